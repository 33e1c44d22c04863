"""Logging a test account in at the SSO: OpenID Connect code flow with PKCE (S256), through the recording client.

The harness does the human part (:meth:`conformance.harness.Harness.authorize`); this module builds the request,
checks the ``state`` that comes back, redeems the code and verifies the id_token (RS256, the SSO's JWKS, issuer,
audience, nonce) with joserfc.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from conformance.harness import Harness
from conformance.http import RecordingClient
from conformance.target import Account, Target


class LoginError(RuntimeError):
    """The SSO did not log the account in, or answered something that does not verify."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    refresh_token: str | None
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def bearer(self) -> dict[str, str]:
        """The ``Authorization`` header for the platform."""
        return {"Authorization": f"Bearer {self.access_token}"}


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge (RFC 7636 section 4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def discovery(http: RecordingClient) -> dict[str, Any]:
    response = http.get("sso", "/.well-known/openid-configuration")
    if response.status_code != 200:
        raise LoginError(f"the SSO's discovery document answered {response.status_code}")
    found: dict[str, Any] = response.json()
    return found


def authorization_query(target: Target, *, challenge: str | None, state: str, nonce: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": target.oidc.client_id,
        "redirect_uri": target.redirect_uri,
        "scope": target.scope,
        "state": state,
        "nonce": nonce,
    }
    if challenge is not None:
        query["code_challenge"] = challenge
        query["code_challenge_method"] = "S256"
    return query


def redeem(http: RecordingClient, target: Target, token_endpoint: str, code: str, verifier: str | None) -> Any:
    """POST the code to the token endpoint (client authenticated with HTTP Basic); answer the raw response."""
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": target.redirect_uri}
    if verifier is not None:
        body["code_verifier"] = verifier
    auth = (target.oidc.client_id, target.oidc.client_secret) if target.oidc.client_secret else None
    if auth is None:
        body["client_id"] = target.oidc.client_id
    return http.post("sso", token_endpoint, data=body, auth=auth)


def login(http: RecordingClient, harness: Harness, target: Target, account: Account) -> Tokens:
    """The whole code flow for ``account``; the tokens are masked in every report from then on."""
    meta = discovery(http)
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    query = authorization_query(target, challenge=challenge, state=state, nonce=nonce)
    url = f"{meta['authorization_endpoint']}?{urlencode(query)}"
    landed = harness.authorize(url, target.redirect_uri, account.login)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(landed).query).items()}
    if answer.get("state") != state:
        raise LoginError("the SSO answered with another state")
    if "code" not in answer:
        raise LoginError(f"the SSO answered without a code: {answer.get('error', '?')}")
    http.add_secret(answer["code"])
    response = redeem(http, target, meta["token_endpoint"], answer["code"], verifier)
    if response.status_code != 200:
        raise LoginError(f"the token endpoint answered {response.status_code}")
    payload = response.json()
    for name in ("access_token", "id_token", "refresh_token"):
        http.add_secret(payload.get(name))
    claims = verify_id_token(http, meta, target, str(payload.get("id_token", "")), nonce)
    return Tokens(str(payload["access_token"]), str(payload["id_token"]), payload.get("refresh_token"), claims)


def verify_id_token(
    http: RecordingClient, meta: dict[str, Any], target: Target, id_token: str, nonce: str
) -> dict[str, Any]:
    keys = KeySet.import_key_set(http.get("sso", str(meta["jwks_uri"])).json())
    try:
        token = jwt.decode(id_token, keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            leeway=300,
            iss={"essential": True, "value": str(meta["issuer"])},
            aud={"essential": True, "value": target.oidc.client_id},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise LoginError(f"the id_token does not verify: {exc}") from exc
    return dict(token.claims)
