"""The client: one object per person and deployment, with the parties' resources as attributes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, overload

import requests

from jesign_sdk._clock import DEFAULT_LEEWAY, Clock, system_clock
from jesign_sdk._errors import AuthenticationError
from jesign_sdk._models import Me, Tokens
from jesign_sdk._requestor import Endpoints, Requestor, RetryPolicy, bearer, read_json
from jesign_sdk.resources.certificates import Certificates
from jesign_sdk.resources.delegations import Delegations
from jesign_sdk.resources.registration import Registration
from jesign_sdk.resources.sso import SSO
from jesign_sdk.signing import Signing

T = TypeVar("T")

#: The loopback redirect URI registered for native clients (any port matches, RFC 8252 section 7.3).
LOOPBACK_REDIRECT_URI = "http://127.0.0.1/callback"


class Client:
    """A person's client to jesignexpert.com (or the mock, or a sandbox).

    ``base_url`` serves every party from one origin, as the mock does (``http://127.0.0.1:8400``); give
    ``endpoints`` instead when the parties live apart. ``client_id``/``client_secret`` are the OIDC client
    registered with the SSO (no secret: a public client, PKCE only). ``tokens`` resumes a saved login.

    ``clock`` answers the current instant (timezone-aware; this machine's clock by default, a
    :class:`~jesign_sdk.ServerClock` to follow a server's): read to check the id_token's ``iat``, ``nbf`` and
    ``exp``, to validate signatures at, and as the time a new signature claims; ``leeway`` is the clock skew
    tolerated in those checks (see :mod:`jesign_sdk._clock`).

    Per-call overrides are keyword-only on the resources' methods; everything about HTTP (timeouts, retries,
    the idempotency key) is decided in one place, :class:`~jesign_sdk._requestor.Requestor`.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        endpoints: Endpoints | None = None,
        client_id: str = "jesign-cli",
        client_secret: str | None = None,
        tokens: Tokens | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        on_tokens_refreshed: Callable[[Tokens], None] | None = None,
        clock: Clock = system_clock,
        leeway: timedelta = DEFAULT_LEEWAY,
    ) -> None:
        if endpoints is None:
            if base_url is None:
                raise ValueError("give base_url (one origin for every party) or endpoints")
            endpoints = Endpoints.single_origin(base_url)
        policy = retry or RetryPolicy(max_retries=max_retries)
        self.requestor = Requestor(endpoints, session=session, timeout=timeout, retry=policy)
        self.clock = clock
        self.leeway = leeway
        self.sso = SSO(self.requestor, client_id=client_id, client_secret=client_secret, clock=clock, leeway=leeway)
        self.tokens = tokens
        #: Called with the new tokens whenever the client refreshes them (to save them, as the CLI does).
        self.on_tokens_refreshed = on_tokens_refreshed
        self.registration = Registration(self)
        self.delegations = Delegations(self)
        self.certificates = Certificates(self)
        self.signing = Signing(self)

    # -- login -----------------------------------------------------------------------------------------------------

    def login_with_hint(self, login: str, *, redirect_uri: str = LOOPBACK_REDIRECT_URI) -> Tokens:
        """The mock's non-interactive login of a seeded account (its control plane must be on)."""
        self.tokens = self.sso.login_with_hint(login, redirect_uri=redirect_uri)
        return self.tokens

    def logout(self) -> None:
        if self.tokens is not None:
            self.sso.logout(self.tokens)
            self.tokens = None

    # -- the platform ----------------------------------------------------------------------------------------------

    def me(self) -> Me:
        return self.platform("GET", "/me", parse=Me.from_json)

    @overload
    def platform(self, method: str, path: str, *, parse: Callable[[Any], T], **kwargs: Any) -> T: ...

    @overload
    def platform(self, method: str, path: str, *, parse: None = None, **kwargs: Any) -> Any: ...

    def platform(self, method: str, path: str, **kwargs: Any) -> Any:
        """A call to the platform as the logged-in person (see :meth:`as_user`)."""
        return self.as_user(method, "platform", path, **kwargs)

    @overload
    def as_user(self, method: str, party: str, path: str, *, parse: Callable[[Any], T], **kwargs: Any) -> T: ...

    @overload
    def as_user(self, method: str, party: str, path: str, *, parse: None = None, **kwargs: Any) -> Any: ...

    def as_user(
        self, method: str, party: str, path: str, *, parse: Callable[[Any], Any] | None = None, **kwargs: Any
    ) -> Any:
        """A call to a party as the logged-in person, with their SSO access token; an expired or refused access
        token is refreshed once. Answers the decoded JSON (None for an empty answer), read by ``parse`` when given
        (see :func:`~jesign_sdk._requestor.read_json`)."""
        if self.tokens is None:
            raise AuthenticationError("log in first", status_code=401, code="not_logged_in")
        if self.tokens.expired() and self.tokens.refresh_token:
            self._refresh()
        try:
            answer = self.requestor.request(method, party, path, auth=bearer(self.tokens.access_token), **kwargs)
        except AuthenticationError:
            if not self.tokens.refresh_token:
                raise
            self._refresh()
            assert self.tokens is not None
            answer = self.requestor.request(method, party, path, auth=bearer(self.tokens.access_token), **kwargs)
        return read_json(answer) if parse is None else read_json(answer, parse)

    def _refresh(self) -> None:
        assert self.tokens is not None
        self.tokens = self.sso.refresh(self.tokens)
        if self.on_tokens_refreshed is not None:
            self.on_tokens_refreshed(self.tokens)
