"""Login through the profession's SSO (Comptexpert / ExpertPass): OpenID Connect, code flow with PKCE.

The integrator's application sends the person to :meth:`SSO.authorization_url`, gets them back on its redirect URI
with a code, and calls :meth:`SSO.exchange_code`. The id_token is verified here (signature through the SSO's
JWKS, issuer, audience, expiry, nonce) with joserfc; nothing of it is trusted otherwise. Tokens refresh with
:meth:`SSO.refresh`. :meth:`SSO.login_with_hint` is the mock's non-interactive login, for automated tests.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from jesign_sdk._clock import DEFAULT_LEEWAY, Clock, system_clock
from jesign_sdk._errors import APIResponseValidationError, APIStatusError, IdTokenError
from jesign_sdk._json import field, json_object
from jesign_sdk._models import Tokens
from jesign_sdk._requestor import Auth, Requestor, basic, bearer, read_json

DEFAULT_SCOPE = "openid profile email phone offline_access"


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier (86 characters) and its S256 challenge (RFC 7636 sections 4.1 and 4.2)."""
    verifier = secrets.token_urlsafe(64)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class AuthorizationRequest:
    """One login attempt: the URL to open, and the secrets to check the answer with (keep it server-side). Its repr
    leaves the PKCE verifier out; the state and the nonce travel in the URL, through the browser."""

    url: str
    redirect_uri: str
    state: str
    nonce: str
    code_verifier: str = dataclasses.field(repr=False)


class SSO:
    """The SSO party, for one registered client (``client_secret`` None for a public client)."""

    def __init__(
        self,
        requestor: Requestor,
        *,
        client_id: str,
        client_secret: str | None = None,
        clock: Clock = system_clock,
        leeway: timedelta = DEFAULT_LEEWAY,
    ) -> None:
        self._requestor = requestor
        self.client_id = client_id
        self.client_secret = client_secret
        #: The clock and leeway the id_token's times are checked on (the client's: see :class:`~jesign_sdk.Client`).
        self.clock = clock
        self.leeway = leeway
        self._discovery: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def with_requestor(self, requestor: Requestor) -> SSO:
        """The same client of the SSO, with what it looked up so far, sending through another requestor (other
        options: :meth:`jesign_sdk.Client.with_options`)."""
        derived = copy.copy(self)
        derived._requestor = requestor
        return derived

    # -- the protocol ----------------------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        """The SSO's OpenID Provider metadata (fetched once), with the endpoints the SDK uses checked."""
        if self._discovery is None:
            answer = self._requestor.request("GET", "sso", "/.well-known/openid-configuration")
            self._discovery = read_json(answer, _discovery)
        return self._discovery

    @property
    def issuer(self) -> str:
        return str(self.discovery()["issuer"])

    def authorization_url(
        self, redirect_uri: str, *, scope: str = DEFAULT_SCOPE, login_hint: str | None = None
    ) -> AuthorizationRequest:
        """A fresh authorization request: state, nonce and a PKCE S256 verifier made here."""
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if login_hint:
            query["login_hint"] = login_hint
        url = f"{self.discovery()['authorization_endpoint']}?{urlencode(query)}"
        return AuthorizationRequest(url, redirect_uri, state, nonce, verifier)

    def exchange_code(self, request: AuthorizationRequest, callback_url: str) -> Tokens:
        """Read the code from the URL the person came back on (checking ``state``), and redeem it."""
        query = parse_qs(urlsplit(callback_url).query)
        if query.get("state", [None])[0] != request.state:
            raise IdTokenError("the state returned by the SSO is not the one sent: refusing the answer")
        if "error" in query:
            raise APIStatusError(
                query.get("error_description", query["error"])[0],
                status_code=400,
                code=query["error"][0],
                body={k: v[0] for k, v in query.items()},
            )
        code = query.get("code", [None])[0]
        if not code:
            raise IdTokenError("the SSO came back without a code")
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
            "code_verifier": request.code_verifier,
        }
        return self._token(body, nonce=request.nonce)

    def refresh(self, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise IdTokenError("these tokens carry no refresh token")
        fresh = self._token({"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}, nonce=None)
        return fresh if fresh.claims else Tokens(**{**fresh.__dict__, "claims": tokens.claims})

    def userinfo(self, tokens: Tokens) -> dict[str, Any]:
        answer = self._requestor.request("GET", "sso", "/userinfo", auth=bearer(tokens.access_token))
        return read_json(answer, json_object)

    def logout_url(self, tokens: Tokens, *, post_logout_redirect_uri: str | None = None) -> str:
        """RP-initiated logout: the URL to send the person to (it also revokes this client's tokens)."""
        return f"{self._end_session_endpoint()}?{urlencode(self._logout_request(tokens, post_logout_redirect_uri))}"

    def logout(self, tokens: Tokens) -> None:
        """Log out without a browser: the logout request with the id_token as hint (the SSO revokes this client's
        tokens for the person), posted as a form, which RP-initiated logout allows, so that the id_token is in no
        URL (URLs end up in logs: the HTTP library's, the servers')."""
        form = self._logout_request(tokens, None)
        self._requestor.send("POST", self._end_session_endpoint(), data=form, allow_redirects=False)

    def _logout_request(self, tokens: Tokens, post_logout_redirect_uri: str | None) -> dict[str, str]:
        request = {"client_id": self.client_id}
        if tokens.id_token:
            request["id_token_hint"] = tokens.id_token
        if post_logout_redirect_uri:
            request["post_logout_redirect_uri"] = post_logout_redirect_uri
        return request

    def _end_session_endpoint(self) -> str:
        endpoint = self.discovery().get("end_session_endpoint")
        if not isinstance(endpoint, str):
            raise APIResponseValidationError("the SSO's discovery document names no end_session_endpoint")
        return endpoint

    # -- the mock's non-interactive login -------------------------------------------------------------------------

    def login_with_hint(self, login: str, *, redirect_uri: str, scope: str = DEFAULT_SCOPE) -> Tokens:
        """Log a seeded account in without a browser (the mock's ``login_hint``; its control plane must be on)."""
        request = self.authorization_url(redirect_uri, scope=scope, login_hint=login)
        answer = self._requestor.send("GET", request.url, allow_redirects=False)
        location = answer.headers.get("Location", "")
        if answer.status_code not in (302, 303) or not location.startswith(redirect_uri):
            raise APIStatusError(
                "the SSO did not log the account in: is the mock's control plane on, and the login seeded?",
                status_code=answer.status_code,
                code="login_hint_refused",
            )
        return self.exchange_code(request, location)

    # -- helpers ---------------------------------------------------------------------------------------------------

    def _client_auth(self, body: dict[str, str]) -> Auth | None:
        if self.client_secret is None:
            body["client_id"] = self.client_id  # a public client: PKCE is its proof
            return None
        return basic(self.client_id, self.client_secret)

    def _token(self, body: dict[str, str], *, nonce: str | None) -> Tokens:
        auth = self._client_auth(body)
        # Not idempotent: a code (and a rotated refresh token) is single-use, and the SSO revokes what a replayed
        # one gave. Sent again only when it cannot have reached the SSO.
        answer = self._requestor.request("POST", "sso", "/token", data=body, auth=auth, idempotent=False)
        # The expiry is a duration from now, on this machine (Tokens.expired reads this machine's clock too).
        received = datetime.now(UTC)
        tokens = read_json(answer, lambda payload: Tokens.from_json(payload, now=received))
        if tokens.id_token:
            tokens = dataclasses.replace(tokens, claims=self.verify_id_token(tokens.id_token, nonce=nonce))
        return tokens

    def verify_id_token(self, id_token: str, *, nonce: str | None) -> dict[str, Any]:
        """Verify an id_token: RS256 signature by a key of the SSO's JWKS, iss, aud, exp, and iat and nbf when
        present (on the client's clock, within its leeway), and nonce if given."""
        keys = self._jwks()
        try:
            token = jwt.decode(id_token, keys, algorithms=["RS256"])
        except (JoseError, ValueError):
            self._keys = None  # the SSO may have rotated its key: fetch the JWKS again, once
            try:
                token = jwt.decode(id_token, self._jwks(), algorithms=["RS256"])
            except (JoseError, ValueError) as exc:
                raise IdTokenError(f"the id_token's signature does not verify: {exc}") from exc
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.client_id},
            "exp": {"essential": True},
            "sub": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        try:
            now = int(self.clock().timestamp())
            registry = jwt.JWTClaimsRegistry(now=lambda: now, leeway=int(self.leeway.total_seconds()), **options)
            registry.validate(token.claims)
        except JoseError as exc:
            raise IdTokenError(f"the id_token's claims do not hold: {exc}") from exc
        return dict(token.claims)

    def _jwks(self) -> KeySet:
        if self._keys is None:
            answer = self._requestor.send("GET", self.discovery()["jwks_uri"])
            self._keys = read_json(answer, _key_set)
        return self._keys


def _discovery(body: Any) -> dict[str, Any]:
    for name in ("issuer", "authorization_endpoint", "jwks_uri"):
        field(body, name, str)
    return json_object(body)


def _key_set(body: Any) -> KeySet:
    try:
        return KeySet.import_key_set(json_object(body))  # type: ignore[arg-type]
    except JoseError as exc:
        raise ValueError(f"not a JWK set: {exc}") from exc
