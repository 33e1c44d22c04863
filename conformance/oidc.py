"""Logging a test account in at the SSO: OpenID Connect code flow with PKCE (S256), through the recording client.

The harness does the human part (:meth:`conformance.harness.Harness.authorize`); this module builds the request,
redeems the code, and judges what came back. A login is judged in two halves:

- whether it **works**: the SSO redirects back with a code, and its token endpoint answers 200 with an access
  token. When it does not, :func:`login` raises :class:`LoginError`: the account cannot be logged in at all, which
  the smoke gate reports as "unreachable";
- what it **answered**: the ``state`` of the redirect and the id_token, claim by claim (:mod:`conformance.id_token`).
  A defect there does not stop the login: it is one of the tokens' :attr:`Tokens.findings`, which the checks
  ``smoke.login.answer_verifies`` and ``sso.*`` report as failures of conformance.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from conformance.harness import Harness, HarnessError
from conformance.http import RecordingClient
from conformance.id_token import Expected, Finding, Judged, judge
from conformance.target import Account, Credentials, Target

#: Characters a ``state`` may hold (RFC 6749 appendix A.5: VSCHAR) that URL encodings are known to trip on.
AWKWARD_STATE = " +/=?&%#~"


class LoginError(RuntimeError):
    """The SSO did not log the account in: no redirect with a code, or no access token for it."""


@dataclass(frozen=True)
class Tokens:
    """What a login gave. ``claims`` are the id_token's, as read (trusted only when ``findings`` is empty)."""

    access_token: str
    id_token: str
    refresh_token: str | None
    claims: dict[str, Any] = field(default_factory=dict)
    #: Every defect of the redirect's state and of the id_token (see :mod:`conformance.id_token`).
    findings: tuple[Finding, ...] = ()

    @property
    def bearer(self) -> dict[str, str]:
        """The ``Authorization`` header for the platform."""
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass(frozen=True)
class AuthorizationRequest:
    """What a client sends to the authorization endpoint, and keeps to check the answer."""

    state: str
    nonce: str
    verifier: str
    challenge: str


@dataclass(frozen=True)
class Answer:
    """One whole login: the request, the redirect's parameters, the token response, and the tokens judged."""

    request: AuthorizationRequest
    landed: dict[str, str]
    response: requests.Response
    payload: dict[str, Any]
    judged: Judged
    tokens: Tokens


def pkce_pair(length: int = 64) -> tuple[str, str]:
    """A PKCE verifier of ``length`` characters and its S256 challenge (RFC 7636 sections 4.1 and 4.2)."""
    verifier = secrets.token_urlsafe(length)[:length]
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def new_request(*, state: str | None = None, nonce: str | None = None) -> AuthorizationRequest:
    """Fresh values: a state with :data:`AWKWARD_STATE` in it, a 43-character nonce, a PKCE pair."""
    verifier, challenge = pkce_pair()
    return AuthorizationRequest(
        state=state if state is not None else secrets.token_urlsafe(16) + AWKWARD_STATE,
        nonce=nonce if nonce is not None else secrets.token_urlsafe(32),
        verifier=verifier,
        challenge=challenge,
    )


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


def authorize(
    http: RecordingClient,
    harness: Harness,
    account: Account,
    query: dict[str, str],
    *,
    meta: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Send ``account`` to the authorization endpoint with ``query``; answer the parameters it came back with.

    Raises :class:`LoginError` when the SSO does not redirect to ``query["redirect_uri"]``. A code in the answer is
    masked in every report from then on."""
    meta = meta if meta is not None else discovery(http)
    url = f"{meta['authorization_endpoint']}?{urlencode(query)}"
    try:
        # A fragment in redirect_uri (which no SSO should take) would follow the parameters a redirect adds.
        landed = harness.authorize(url, query["redirect_uri"].split("#", 1)[0], account.login)
    except HarnessError as exc:
        raise LoginError(str(exc)) from exc
    answer = {k: v[0] for k, v in parse_qs(urlsplit(landed).query, keep_blank_values=True).items()}
    http.add_secret(answer.get("code"))
    return answer


def redeem(
    http: RecordingClient,
    target: Target,
    token_endpoint: str,
    code: str,
    verifier: str | None,
    *,
    client: Credentials | None = None,
    redirect_uri: str | None = None,
    omit_redirect_uri: bool = False,
) -> requests.Response:
    """POST the code to the token endpoint as ``client`` (the target's by default): HTTP Basic for a confidential
    client, ``client_id`` in the body for a public one."""
    client = client or target.oidc
    body = {"grant_type": "authorization_code", "code": code}
    if not omit_redirect_uri:
        body["redirect_uri"] = redirect_uri or target.redirect_uri
    if verifier is not None:
        body["code_verifier"] = verifier
    auth = (client.client_id, client.client_secret) if client.client_secret else None
    if auth is None:
        body["client_id"] = client.client_id
    return http.post("sso", token_endpoint, data=body, auth=auth)


def refresh(
    http: RecordingClient,
    target: Target,
    token_endpoint: str,
    refresh_token: str,
    *,
    client: Credentials | None = None,
    scope: str | None = None,
) -> requests.Response:
    """Exchange a refresh token (RFC 6749 section 6) as ``client`` (the target's by default), for ``scope`` (the
    grant's by default)."""
    client = client or target.oidc
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope is not None:
        body["scope"] = scope
    auth = (client.client_id, client.client_secret) if client.client_secret else None
    if auth is None:
        body["client_id"] = client.client_id
    return http.post("sso", token_endpoint, data=body, auth=auth)


def code_for(
    http: RecordingClient,
    harness: Harness,
    target: Target,
    account: Account,
    request: AuthorizationRequest,
    *,
    meta: dict[str, Any] | None = None,
) -> str:
    """A code for ``request`` (raises :class:`LoginError` when the SSO gives none)."""
    query = authorization_query(target, challenge=request.challenge, state=request.state, nonce=request.nonce)
    landed = authorize(http, harness, account, query, meta=meta)
    if "code" not in landed:
        raise LoginError(f"the SSO answered without a code: {landed.get('error', '?')}")
    return landed["code"]


def answered_login(
    http: RecordingClient,
    harness: Harness,
    target: Target,
    account: Account,
    request: AuthorizationRequest | None = None,
) -> Answer:
    """The whole code flow for ``account``, with everything sent and received; the tokens are masked in every
    report from then on. Raises :class:`LoginError` only when the login does not work (see the module's doc)."""
    request = request or new_request()
    meta = discovery(http)
    query = authorization_query(target, challenge=request.challenge, state=request.state, nonce=request.nonce)
    landed = authorize(http, harness, account, query, meta=meta)
    if "code" not in landed:
        raise LoginError(f"the SSO answered without a code: {landed.get('error', 'no code, no error')}")
    response = redeem(http, target, meta["token_endpoint"], landed["code"], request.verifier)
    if response.status_code != 200:
        raise LoginError(f"the token endpoint answered {response.status_code} to a proper code: {response.text[:200]}")
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
        raise LoginError("the token endpoint answered 200 without an access_token in a JSON object")
    for name in ("access_token", "id_token", "refresh_token"):
        value = payload.get(name)
        http.add_secret(value if isinstance(value, str) else None)
    judged = judge(payload.get("id_token"), expected(http, meta, target, request.nonce, payload, response))
    findings = [*state_findings(request.state, landed), *judged.findings]
    refresh_token = payload.get("refresh_token")
    tokens = Tokens(
        access_token=payload["access_token"],
        id_token=str(payload.get("id_token") or ""),
        refresh_token=refresh_token if isinstance(refresh_token, str) else None,
        claims=judged.claims,
        findings=tuple(findings),
    )
    return Answer(request, landed, response, payload, judged, tokens)


def login(http: RecordingClient, harness: Harness, target: Target, account: Account) -> Tokens:
    """The tokens of a whole code flow for ``account`` (see :func:`answered_login`)."""
    return answered_login(http, harness, target, account).tokens


def state_findings(sent: str, landed: dict[str, str]) -> list[Finding]:
    """RFC 6749 section 4.1.2: the redirect carries the exact ``state`` the client sent."""
    if "state" not in landed:
        return [Finding("state", "the redirect carries no state")]
    if landed["state"] != sent:
        return [Finding("state", f"the redirect carries {landed['state']!r}, not the state sent, {sent!r}")]
    return []


def expected(
    http: RecordingClient,
    meta: dict[str, Any],
    target: Target,
    nonce: str | None,
    payload: dict[str, Any],
    response: requests.Response,
) -> Expected:
    """What the id_token of ``response`` must hold (the JWKS is fetched now)."""
    jwks = http.get("sso", str(meta.get("jwks_uri", "/jwks")))
    try:
        keys = jwks.json() if jwks.status_code == 200 else {}
    except ValueError:
        keys = {}
    access_token = payload.get("access_token")
    return Expected(
        issuer=str(meta.get("issuer", "")),
        client_id=target.oidc.client_id,
        jwks=keys if isinstance(keys, dict) else {},
        algorithms=tuple(meta.get("id_token_signing_alg_values_supported") or ("RS256",)),
        nonce=nonce,
        access_token=access_token if isinstance(access_token, str) else None,
        client_secret=target.oidc.client_secret,
        now=server_time(response),
    )


def server_time(response: requests.Response) -> float:
    """When the server answered, from its ``Date`` header (RFC 9110 section 6.6.1); the suite's clock without one."""
    try:
        return email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError, IndexError):
        return time.time()
