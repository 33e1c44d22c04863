"""The ID token (OpenID Connect Core 1.0 section 2): its claims, and its RS256 signature with the SSO's key.

Authlib's code grant calls :class:`IdTokens` after each token response of a code that asked for ``openid``: the
claims are ``iss`` (the issuer of the discovery document), ``aud`` (the client), ``iat`` and ``exp`` (one hour
later) on the mock clock, the request's ``nonce``, ``auth_time``, ``at_hash`` (the left half of the access
token's SHA-256), then the person's claims released by the scope (``sub`` always). The header names the key
(``kid``, its RFC 7638 thumbprint, published at ``/sso/jwks``).

Every rule a relying party checks in an ID token has its rule-breakage switch here, so that the conformance suite
proves it tells each defect by name.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request
from authlib.oidc.core import OpenIDCode
from joserfc import jwt
from joserfc.jwk import RSAKey

from mock_provider.core import sso_tokens as tokens
from mock_provider.core.misbehaviour.areas.sso import (
    ALG_NONE,
    EXPIRED,
    FOREIGN_KEY,
    ISSUER_TRAILING_SLASH,
    LOCAL_TIME,
    LONG_LIVED,
    NONCE_DROPPED,
    NONCE_REQUIRED,
    NONCE_TRUNCATED,
    SUB_PER_LOGIN,
    WRONG_AT_HASH,
    WRONG_AUDIENCE,
)
from mock_provider.sso.keys import SIGNING_ALGORITHM

if TYPE_CHECKING:
    from mock_provider.http_common.oauth2_clients import Client, EndUser
    from mock_provider.sso.server import SsoProvider

LIFETIME_SECONDS = 3600
MAX_NONCE = 255


class IdTokens(OpenIDCode):  # type: ignore[misc]
    """Authlib's OpenID Connect extension of the code grant: validates the nonce, writes the ID token."""

    def __init__(self, provider: SsoProvider) -> None:
        super().__init__(require_nonce=False)
        self.provider = provider
        self._lock = threading.Lock()
        self._foreign_key: RSAKey | None = None

    def validate_openid_authorization_request(self, grant: Any, redirect_uri: str) -> None:
        nonce = grant.request.payload.data.get("nonce")
        if NONCE_REQUIRED in self.provider.services.breakages and not nonce:
            raise InvalidRequestError("Missing 'nonce'.")
        if nonce and (len(nonce) > MAX_NONCE or not tokens.storable(nonce)):
            raise InvalidRequestError(f"The 'nonce' must be at most {MAX_NONCE} characters, without NUL.")
        super().validate_openid_authorization_request(grant, redirect_uri)

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        with self.provider.services.db.transaction() as session:
            return tokens.nonce_used(session, request.payload.client_id, nonce)

    def generate_user_info(self, user: EndUser, scope: str) -> dict[str, Any]:
        return self.provider.scoped_claims(user.id, scope)

    def encode_id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        client: Client = request.client
        now = int(self.provider.now().timestamp())
        claims: dict[str, Any] = {
            "iss": self.provider.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + LIFETIME_SECONDS,
            **self.get_authorization_code_claims(request.authorization_code),
            "at_hash": half_hash(token["access_token"]),
            **self.generate_user_info(request.user, token["scope"]),
        }
        breakages = self.provider.services.breakages
        if ISSUER_TRAILING_SLASH in breakages:
            claims["iss"] += "/"
        if WRONG_AUDIENCE in breakages:
            claims["aud"] = self.provider.issuer
        if NONCE_DROPPED in breakages:
            claims.pop("nonce", None)
        if NONCE_TRUNCATED in breakages and "nonce" in claims:
            claims["nonce"] = claims["nonce"][:32]
        if EXPIRED in breakages:
            claims["exp"] = claims["iat"] - 1
        if LOCAL_TIME in breakages:
            claims.update(iat=claims["iat"] + 7200, exp=claims["exp"] + 7200)
        if LONG_LIVED in breakages:
            claims["exp"] += 23 * LIFETIME_SECONDS
        if WRONG_AT_HASH in breakages:
            claims["at_hash"] = _b64(hashlib.sha256(token["access_token"].encode()).digest())
        if SUB_PER_LOGIN in breakages:
            claims["sub"] = f"{claims['sub']}-{secrets.token_hex(4)}"
        header = {"alg": SIGNING_ALGORITHM, "kid": self.provider.signing_key.kid, "typ": "JWT"}
        if ALG_NONE in breakages:
            return ".".join((_b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()), _b64(_json(claims)), ""))
        key = self._foreign() if FOREIGN_KEY in breakages else self.provider.signing_key.private_jwk()
        return jwt.encode(header, claims, key, algorithms=[SIGNING_ALGORITHM])

    def _foreign(self) -> RSAKey:
        """Another RSA key (made once per process), for the switch that signs with a key the JWKS does not hold."""
        with self._lock:
            if self._foreign_key is None:
                self._foreign_key = RSAKey.generate_key(2048, private=True)
            return self._foreign_key


def half_hash(access_token: str) -> str:
    """``at_hash`` for RS256: base64url of the left half of the SHA-256 of the token (Core section 3.1.3.8)."""
    return _b64(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(claims: dict[str, Any]) -> bytes:
    return json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode()
