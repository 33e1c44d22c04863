"""The client: one object per person and deployment, with the parties' resources as attributes."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar, overload

import requests

from jesign_sdk._clock import DEFAULT_LEEWAY, Clock, system_clock
from jesign_sdk._errors import AuthenticationError
from jesign_sdk._loopback import LOOPBACK_REDIRECT_URI
from jesign_sdk._models import Me, Tokens
from jesign_sdk._requestor import Endpoints, Requestor, RetryPolicy, bearer, read_json
from jesign_sdk.resources.certificates import Certificates
from jesign_sdk.resources.delegations import Delegations
from jesign_sdk.resources.registration import Registration
from jesign_sdk.resources.sso import SSO
from jesign_sdk.signing import Signing

T = TypeVar("T")


@dataclass
class _Login:
    """The person's login: one per client, shared with the copies :meth:`Client.with_options` makes of it."""

    tokens: Tokens | None
    on_tokens_refreshed: Callable[[Tokens], None] | None
    #: Held while refreshing: a refresh token is single-use, and the SSO revokes what a replayed one gave.
    refreshing: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """A person's client to jesignexpert.com (or the mock, or a sandbox).

    ``base_url`` serves every party from one origin, as the mock does (``http://127.0.0.1:8400``); give
    ``endpoints`` instead when the parties live apart. ``client_id``/``client_secret`` are the OIDC client
    registered with the SSO (no secret: a public client, PKCE only). ``tokens`` resumes a saved login.

    ``clock`` answers the current instant (timezone-aware; this machine's clock by default, a
    :class:`~jesign_sdk.ServerClock` to follow a server's): read to check the id_token's ``iat``, ``nbf`` and
    ``exp``, to validate signatures at, and as the time a new signature claims; ``leeway`` is the clock skew
    tolerated in those checks (see :mod:`jesign_sdk._clock`).

    Everything about HTTP (timeouts, retries, the idempotency key) is decided in one place,
    :class:`~jesign_sdk._requestor.Requestor`, with the ``timeout`` (seconds per attempt) and ``max_retries`` given
    here. Per-call options: :meth:`with_options` gives a client with another timeout or number of retries for the
    calls made through it (``client.with_options(timeout=120).signing.sign_pdfs(...)``), and each method that makes
    one POST or DELETE takes a keyword-only ``idempotency_key``.
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
        self.requestor = Requestor.for_client(
            base_url, endpoints, session=session, timeout=timeout, max_retries=max_retries, retry=retry
        )
        self.sso = SSO(self.requestor, client_id=client_id, client_secret=client_secret, clock=clock, leeway=leeway)
        self._login = _Login(tokens, on_tokens_refreshed)
        self._attach_resources(None)

    def _attach_resources(self, signing: Signing | None) -> None:
        self.registration = Registration(self)
        self.delegations = Delegations(self)
        self.certificates = Certificates(self)
        self.signing = Signing(self) if signing is None else signing.for_client(self)

    def with_options(self, *, timeout: float | None = None, max_retries: int | None = None) -> Client:
        """A client whose calls use this ``timeout`` (seconds per attempt) or ``max_retries`` (None: this client's),
        as openai-python's ``with_options``; this client is unchanged.

        The copy is the same person on the same deployment: it shares this client's login (a refresh made through
        either is seen by both), its HTTP session (the open connections) and what it looked up (the SSO's
        discovery, the signing credentials, the trust roots), so making one for a single call costs no request.
        """
        derived = copy.copy(self)
        derived.requestor = self.requestor.with_options(timeout=timeout, max_retries=max_retries)
        derived.sso = self.sso.with_requestor(derived.requestor)
        derived._attach_resources(self.signing)
        return derived

    @property
    def clock(self) -> Clock:
        """The clock the client reads (kept with the SSO's, so that setting it reaches the id_token checks too)."""
        return self.sso.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.sso.clock = clock

    @property
    def leeway(self) -> timedelta:
        """The clock skew tolerated where the clock decides (id_token times, validation)."""
        return self.sso.leeway

    @leeway.setter
    def leeway(self, leeway: timedelta) -> None:
        self.sso.leeway = leeway

    @property
    def tokens(self) -> Tokens | None:
        """The person's tokens (None before the login, and after :meth:`logout`)."""
        return self._login.tokens

    @tokens.setter
    def tokens(self, tokens: Tokens | None) -> None:
        self._login.tokens = tokens

    @property
    def on_tokens_refreshed(self) -> Callable[[Tokens], None] | None:
        """Called with the new tokens whenever the client refreshes them (to save them, as the CLI does)."""
        return self._login.on_tokens_refreshed

    @on_tokens_refreshed.setter
    def on_tokens_refreshed(self, callback: Callable[[Tokens], None] | None) -> None:
        self._login.on_tokens_refreshed = callback

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
        (see :func:`~jesign_sdk._requestor.read_json`). ``kwargs`` go to
        :meth:`~jesign_sdk._requestor.Requestor.request` (``json``, ``idempotency_key``, ``timeout``...)."""
        tokens = self._current_tokens()
        if tokens.expired() and tokens.refresh_token:
            tokens = self._refresh(tokens)
        try:
            answer = self.requestor.request(method, party, path, auth=bearer(tokens.access_token), **kwargs)
        except AuthenticationError:
            if not tokens.refresh_token:
                raise
            tokens = self._refresh(tokens)
            answer = self.requestor.request(method, party, path, auth=bearer(tokens.access_token), **kwargs)
        return read_json(answer) if parse is None else read_json(answer, parse)

    def _current_tokens(self) -> Tokens:
        tokens = self._login.tokens
        if tokens is None:
            raise AuthenticationError("log in first", status_code=401, code="not_logged_in")
        return tokens

    def _refresh(self, stale: Tokens) -> Tokens:
        """Fresh tokens in place of ``stale`` ones, refreshed once for every call that found them expired or
        refused at the same time (concurrent calls, copies made by :meth:`with_options`)."""
        with self._login.refreshing:
            current = self._current_tokens()
            if current is not stale:
                return current  # another call refreshed them meanwhile
            fresh = self.sso.refresh(stale)
            self._login.tokens = fresh
            if self._login.on_tokens_refreshed is not None:
                self._login.on_tokens_refreshed(fresh)
            return fresh
