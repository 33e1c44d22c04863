"""A client for a CSC provider's own OAuth2 (``authType`` ``oauth2code``: CSC 1.0.4 §8.3, CSC 2.0 §8.3 to 8.4).

Independent of jesign's SSO and platform: give it the ``oauth2`` base URI that the provider's ``info`` answers, and
a client registered there. :meth:`CscOAuth2.service_token` gets a ``scope=service`` token (for ``credentials/list``,
``info``, ``sendOTP``, ``authorize``…); :meth:`CscOAuth2.credential_token` a ``scope=credential`` token for a
credential and the exact hashes to sign, which ``signatures/signHash`` takes as Bearer in place of the SAD. Both
go through ``oauth2/authorize`` (a browser page) with PKCE S256 and a ``state`` checked on the way back, then
``oauth2/token``.

Who goes through the page is the ``authorize`` callable: given the authorization URL, it answers the URL the
browser came back on. By default, the browser and a loopback listener, as ``jesign login`` does
(:func:`jesign_sdk._loopback.browser_authorize`: the redirect URI is ``http://127.0.0.1:<port>/callback``, which
a loopback registration accepts on any port). :func:`mock_authorize` is the jesign mock's headless one.

Every failure is a :class:`~jesign_sdk.JesignError`: an OAuth error at the redirect is an
:class:`~jesign_sdk.APIStatusError` with the ``error`` as its code; a ``state`` that is not the one sent an
:class:`~jesign_sdk.IdTokenError`.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from jesign_sdk._errors import APIResponseValidationError, APIStatusError, IdTokenError
from jesign_sdk._json import field, optional
from jesign_sdk._loopback import LOOPBACK_REDIRECT_URI, browser_authorize
from jesign_sdk._requestor import Auth, Endpoints, Requestor, basic, read_json
from jesign_sdk.otp import OtpRequest, OtpSource
from jesign_sdk.resources.sso import pkce_pair

__all__ = ["CscOAuth2", "CscToken", "mock_authorize"]

SHA256 = "2.16.840.1.101.3.4.2.1"
#: The SHA-2 lengths the hashes are checked against before any request (CSC: each hash of its algorithm's length).
_LENGTHS = {SHA256: 32, "2.16.840.1.101.3.4.2.2": 48, "2.16.840.1.101.3.4.2.3": 64}


@dataclass(frozen=True)
class CscToken:
    """An access token of the provider's authorization server. Its repr leaves the tokens out."""

    access_token: str = dataclasses.field(repr=False)
    expires_at: datetime
    scope: str
    refresh_token: str | None = dataclasses.field(default=None, repr=False)

    def expired(self, *, margin: timedelta = timedelta(seconds=30)) -> bool:
        return datetime.now(UTC) + margin >= self.expires_at

    @property
    def auth(self) -> dict[str, str]:
        """The ``Authorization`` header that carries it."""
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass(frozen=True)
class _Request:
    url: str
    redirect_uri: str
    state: str
    code_verifier: str = dataclasses.field(repr=False)


class CscOAuth2:
    """The OAuth2 authorization server of one CSC provider, for one client."""

    def __init__(
        self,
        oauth2_url: str,
        *,
        client_id: str,
        client_secret: str | None = None,
        redirect_uri: str = LOOPBACK_REDIRECT_URI,
        requestor: Requestor | None = None,
        authorize: Callable[[str], str] | None = None,
    ) -> None:
        self.oauth2_url = oauth2_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        #: The redirect URI sent with a custom ``authorize`` (the default browser flow uses its listener's).
        self.redirect_uri = redirect_uri
        self._requestor = requestor or Requestor(Endpoints.single_origin(self.oauth2_url))
        self._authorize = authorize

    # -- the two scopes ----------------------------------------------------------------------------------------------

    def service_token(self, *, login_hint: str | None = None) -> CscToken:
        """A ``scope=service`` token (with its refresh token, where the provider gives one)."""
        return self._flow({"scope": "service"}, login_hint)

    def credential_token(
        self,
        credential_id: str,
        hashes: Sequence[bytes],
        *,
        version: str = "2",
        hash_algorithm_oid: str = SHA256,
        login_hint: str | None = None,
    ) -> CscToken:
        """A ``scope=credential`` token for ``credential_id`` and exactly ``hashes`` (digests, one signature each).

        ``version`` "1" sends the hashes as CSC 1.0.4's ``hash`` (SHA-256 only); "2" as ``hashes`` with
        ``hashAlgorithmOID``. A hash of the wrong length is refused here, before any page opens."""
        if version not in ("1", "2"):
            raise ValueError(f"version is '1' or '2', not {version!r}")
        length = _LENGTHS.get(hash_algorithm_oid)
        if version == "1" and hash_algorithm_oid != SHA256:
            raise ValueError("CSC 1.0.4's oauth2/authorize carries SHA-256 hashes only")
        if not hashes or length is None or any(len(h) != length for h in hashes):
            raise ValueError(f"give one or more digests of {length or 'a SHA-2'} bytes for {hash_algorithm_oid}")
        encoded = ",".join(base64.urlsafe_b64encode(h).rstrip(b"=").decode() for h in hashes)
        query = {"scope": "credential", "credentialID": credential_id, "numSignatures": str(len(hashes))}
        if version == "1":
            query["hash"] = encoded
        else:
            query |= {"hashes": encoded, "hashAlgorithmOID": hash_algorithm_oid}
        return self._flow(query, login_hint)

    def refresh(self, token: CscToken) -> CscToken:
        """A new service token from the refresh token (used once: keep the new one's)."""
        if not token.refresh_token:
            raise IdTokenError("this token carries no refresh token")
        return self._token({"grant_type": "refresh_token", "refresh_token": token.refresh_token})

    # -- the protocol ------------------------------------------------------------------------------------------------

    def authorization_request(
        self, query: dict[str, str], *, redirect_uri: str, login_hint: str | None = None
    ) -> _Request:
        """A fresh ``oauth2/authorize`` request: ``state`` and a PKCE S256 verifier made here."""
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **query,
        }
        if login_hint:
            params["login_hint"] = login_hint
        return _Request(f"{self.oauth2_url}/oauth2/authorize?{urlencode(params)}", redirect_uri, state, verifier)

    def exchange(self, request: _Request, callback_url: str) -> CscToken:
        """Read the code from the URL the browser came back on (its ``state`` checked) and redeem it."""
        answer = {k: v[0] for k, v in parse_qs(urlsplit(callback_url).query).items()}
        if answer.get("state") != request.state:
            raise IdTokenError("the state returned by the authorization server is not the one sent: refused")
        if "error" in answer:
            raise APIStatusError(
                answer.get("error_description", answer["error"]), status_code=400, code=answer["error"], body=answer
            )
        if not answer.get("code"):
            raise APIResponseValidationError("the authorization server came back without a code")
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": answer["code"],
                "redirect_uri": request.redirect_uri,
                "code_verifier": request.code_verifier,
            }
        )

    def _flow(self, query: dict[str, str], login_hint: str | None) -> CscToken:
        if self._authorize is not None:
            request = self.authorization_request(query, redirect_uri=self.redirect_uri, login_hint=login_hint)
            return self.exchange(request, self._authorize(request.url))
        made: list[_Request] = []

        def url_for(redirect_uri: str) -> str:
            made.append(self.authorization_request(query, redirect_uri=redirect_uri, login_hint=login_hint))
            return made[-1].url

        callback = browser_authorize(url_for)
        return self.exchange(made[-1], callback)

    def _token(self, body: dict[str, str]) -> CscToken:
        auth: Auth | None = None
        if self.client_secret is None:
            body["client_id"] = self.client_id
        else:
            auth = basic(self.client_id, self.client_secret)
        # Not idempotent: a code (and a rotated refresh token) is single use.
        answer = self._requestor.send("POST", f"{self.oauth2_url}/oauth2/token", data=body, auth=auth, idempotent=False)
        received = datetime.now(UTC)
        return read_json(answer, lambda payload: _token_from_json(payload, received))


def _token_from_json(body: Any, now: datetime) -> CscToken:
    token_type = field(body, "token_type", str)
    if token_type.lower() != "bearer":
        raise ValueError(f"token_type is {token_type!r}, not Bearer")
    expires_in = optional(body, "expires_in", int)
    return CscToken(
        access_token=field(body, "access_token", str),
        expires_at=now + timedelta(seconds=3600 if expires_in is None else expires_in),
        scope=optional(body, "scope", str) or "",
        refresh_token=optional(body, "refresh_token", str),
    )


# -- the jesign mock's headless page --------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def mock_authorize(
    requestor: Requestor, login: str, *, otp: OtpSource | None = None, phone_last_digits: str = ""
) -> Callable[[str], str]:
    """An ``authorize`` callable for the jesign mock (its control plane on): ``login_hint=<login>`` logs the seeded
    account in, and where the page asks for the SMS code (a SCAL2 credential) the code comes from ``otp`` (a
    :class:`~jesign_sdk.otp.MockOutboxOtpSource`) and is posted with the page's form. The requests go through
    ``requestor``'s session, which keeps the page's cookie."""

    def authorize(url: str) -> str:
        hinted = f"{url}&{urlencode({'login_hint': login})}"
        answer = _send(requestor, "GET", hinted)
        if answer.status_code == 200 and otp is not None:
            found = _CSRF.search(answer.text)
            if found is None:
                raise APIResponseValidationError("the mock's authorization page has no form")
            code = otp.get_code(OtpRequest("", "", phone_last_digits))
            answer = _send(requestor, "POST", hinted, data={"csrf_token": found.group(1), "otp": code})
        location = answer.headers.get("Location", "")
        if answer.status_code not in (302, 303) or not location:
            raise APIStatusError(
                "the mock did not authorize: is its control plane on, the login seeded, the SMS code read?",
                status_code=answer.status_code,
                code="authorization_not_completed",
            )
        return location

    return authorize


def _send(requestor: Requestor, method: str, url: str, **kwargs: Any) -> requests.Response:
    return requestor.send(method, url, allow_redirects=False, idempotent=method == "GET", **kwargs)
