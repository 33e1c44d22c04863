"""All of the SDK's HTTP policy, in one place.

:class:`Requestor` sends every request of every resource: it resolves the party's base URL, sets the user agent,
the timeout and the credentials, retries what is safe to retry, and turns error answers into the exception tree
of :mod:`jesign_sdk._errors`. Nothing the transport raises gets out as it is: whatever ``requests``, urllib3,
``http.client`` or the socket raise becomes an :class:`APIConnectionError` (:func:`transport_failure` decides
which, and whether another try is safe). :func:`read_json` and :func:`read_body` read a success's body, and
turn one that is not JSON, or not of the shape the caller expects, into :class:`APIResponseValidationError`.

Retries, with exponential backoff and full jitter (``backoff_base * 2**attempt``, capped at ``backoff_max``), or
after the server's ``Retry-After`` when it gives one:

- the answers 408, 429, 5xx, and a 409 saying the server is still working on the same idempotency key;
- a failure before the request was sent (DNS, refused connection, connect timeout, unreachable proxy): always;
- a failure after it may have been sent (read timeout, reset, truncated or undecodable body, TLS): only when the
  call is idempotent. GET, PUT and DELETE are by nature; a POST is because it carries an ``Idempotency-Key``
  (as each DELETE does too), made once for the logical call and sent unchanged on each of its retries, so that
  the server answers a replay with its first answer and never repeats a side effect (no second SMS, no second
  certificate). A call the server cannot replay says ``idempotent=False`` (the SSO's token endpoint: an
  authorization code is single-use, and a replayed one revokes what it gave);
- never: what another try cannot mend (a URL or header the HTTP library refuses, a TLS certificate that does not
  verify, endless redirects, the session's own retries exhausted).

Each attempt is logged at DEBUG on the ``jesign_sdk`` logger: the method and URL when it leaves, then its status,
the server's request id (``X-Request-Id``) and how long it took, or why no answer came. Nothing secret is logged: no
header (``Authorization`` least of all), no body (codes, passwords, tokens), and the query's values are masked
(:func:`loggable_url`). A retry is logged at INFO, with the same masking.
"""

from __future__ import annotations

import copy
import dataclasses
import email.utils
import enum
import http.client
import logging
import os
import random
import ssl
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias, TypeVar, overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import urllib3.exceptions
from requests.sessions import merge_setting

from jesign_sdk._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    error_for,
)
from jesign_sdk._version import __version__

log = logging.getLogger("jesign_sdk")

#: The parties a client talks to, as in DESIGN.md section 1.
PARTIES = ("sso", "platform", "trust", "pki", "control", "csc")
_DEFAULT_PREFIXES = {
    "sso": "/sso",
    "platform": "/platform/api/v1",
    "trust": "/trust/v1",
    "pki": "/pki",
    "control": "/_mock",
    "csc": "/trust/csc/v2",
}
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Methods the server may receive twice with no more effect than once (RFC 9110 section 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Methods that carry an ``Idempotency-Key`` (the servers replay a POST's or a DELETE's first answer).
KEYED_METHODS = frozenset({"POST", "DELETE"})

T = TypeVar("T")


@dataclass(frozen=True)
class Endpoints:
    """The base URL of each party. :meth:`single_origin` is the mock's layout: every party under one origin.

    ``csc`` is the trust provider's Cloud Signature Consortium API (v2), which remote signing calls.
    """

    sso: str
    platform: str
    trust: str
    pki: str
    control: str | None = None
    csc: str | None = None

    @classmethod
    def single_origin(cls, origin: str) -> Endpoints:
        origin = origin.rstrip("/")
        return cls(**{party: origin + prefix for party, prefix in _DEFAULT_PREFIXES.items()})

    def url(self, party: str, path: str) -> str:
        base = getattr(self, party)
        if base is None:
            raise ValueError(f"no base URL is configured for the {party} party")
        return f"{str(base).rstrip('/')}/{path.lstrip('/')}" if path else str(base)


#: A multipart form's files: one per field name, or (field name, file) pairs where a name repeats.
Files: TypeAlias = Mapping[str, tuple[str, bytes, str]] | Sequence[tuple[str, tuple[str, bytes, str]]]
#: A credential: a function that decorates the headers of a request (and may refresh itself).
Auth = Callable[[dict[str, str]], None]


def bearer(token: str) -> Auth:
    def apply(headers: dict[str, str]) -> None:
        headers["Authorization"] = f"Bearer {token}"

    return apply


def basic(client_id: str, secret: str) -> Auth:
    import base64

    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def apply(headers: dict[str, str]) -> None:
        headers["Authorization"] = f"Basic {encoded}"

    return apply


@dataclass
class RetryPolicy:
    """How failed calls are retried: up to ``max_retries`` more attempts, after ``backoff_base * 2**attempt``
    seconds (full jitter, at most ``backoff_max``) or the server's ``Retry-After`` when it gives one and it is at
    most ``max_retry_after`` (a longer wait gives up with the error instead)."""

    max_retries: int = 3
    backoff_base: float = 0.25
    backoff_max: float = 8.0
    #: The longest Retry-After the SDK will wait for before giving up with the error instead.
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.rng.uniform(0, min(self.backoff_max, self.backoff_base * (2**attempt)))


class Session(requests.Session):
    """requests' session, reading the environment's proxy settings once per origin rather than on every call.

    With ``trust_env`` (the default), requests looks up the proxies (``HTTPS_PROXY``, ``NO_PROXY``...) and the CA
    bundle (``REQUESTS_CA_BUNDLE``) in the environment before each request, which costs about a millisecond: as
    much as the whole answer of a local server. This session does it once per scheme and host, and then merges as
    requests does. A change to those variables is seen by sessions made afterwards. The default session of
    :class:`Requestor`; a session given to the client is used as it is.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[str, str], tuple[dict[str, str], str | None]] = {}

    def merge_environment_settings(
        self,
        url: str,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> dict[str, Any]:
        if not self.trust_env or (proxies is not None and "no_proxy" in proxies):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        origin = (parts.scheme, parts.netloc)
        found = self._environment.get(origin)
        if found is None:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            found = self._environment[origin] = (requests.utils.get_environ_proxies(url), bundle)
        environ_proxies, bundle = found
        proxies = dict(proxies or {})
        for scheme, proxy in environ_proxies.items():
            proxies.setdefault(scheme, proxy)
        if (verify is True or verify is None) and bundle:
            verify = bundle
        # What requests.Session.merge_environment_settings does next, with the session's own settings.
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }


class Requestor:
    """Sends requests to the parties with the client's policy. Resources hold one and call :meth:`request`."""

    @classmethod
    def for_client(
        cls,
        base_url: str | None,
        endpoints: Endpoints | None,
        *,
        session: requests.Session | None,
        timeout: float,
        max_retries: int,
        retry: RetryPolicy | None,
    ) -> Requestor:
        """A client's requestor: ``base_url`` serves every party from one origin, or ``endpoints`` names each."""
        if endpoints is None:
            if base_url is None:
                raise ValueError("give base_url (one origin for every party) or endpoints")
            endpoints = Endpoints.single_origin(base_url)
        return cls(endpoints, session=session, timeout=timeout, retry=retry or RetryPolicy(max_retries=max_retries))

    def __init__(
        self,
        endpoints: Endpoints | None,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        user_agent: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoints = endpoints
        self.session = session or Session()
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.user_agent = user_agent or f"jesign-python/{__version__}"
        self._sleep = sleep

    def with_options(self, *, timeout: float | None = None, max_retries: int | None = None) -> Requestor:
        """A requestor with another default timeout or number of retries (None: this one's), on the same session
        (its connections) and endpoints; this one is unchanged."""
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout is a number of seconds above 0, not {timeout!r}")
        if max_retries is not None and max_retries < 0:
            raise ValueError(f"max_retries is 0 or more, not {max_retries!r}")
        derived = copy.copy(self)
        if timeout is not None:
            derived.timeout = timeout
        if max_retries is not None:
            derived.retry = dataclasses.replace(self.retry, max_retries=max_retries)
        return derived

    def request(
        self,
        method: str,
        party: str,
        path: str,
        *,
        auth: Auth | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | None = None,
        files: Files | None = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        idempotent: bool = True,
        timeout: float | None = None,
        max_retries: int | None = None,
        allow_redirects: bool = True,
        no_retry_on: frozenset[int] = frozenset(),
    ) -> requests.Response:
        """Send a request and return the successful answer; raise the matching :class:`APIStatusError` else,
        or :class:`APIConnectionError` when no whole answer came.

        A POST or a DELETE gets an ``Idempotency-Key`` (``idempotency_key`` or a new UUID) that every retry
        repeats. ``idempotent=False`` says the server cannot replay this call: it then carries no key, and is not
        sent again once it may have reached the server. ``no_retry_on`` lists statuses the caller handles itself
        (a 429 that means "a code was just sent").
        """
        if self.endpoints is None:
            raise ValueError("this requestor has no endpoints: send() takes absolute URLs")
        return self.send(
            method,
            self.endpoints.url(party, path),
            auth=auth,
            json=json,
            data=data,
            files=files,
            params=params,
            idempotency_key=idempotency_key,
            idempotent=idempotent,
            timeout=timeout,
            max_retries=max_retries,
            allow_redirects=allow_redirects,
            no_retry_on=no_retry_on,
        )

    def send(
        self,
        method: str,
        url: str,
        *,
        auth: Auth | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | None = None,
        files: Files | None = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        idempotent: bool = True,
        timeout: float | None = None,
        max_retries: int | None = None,
        allow_redirects: bool = True,
        no_retry_on: frozenset[int] = frozenset(),
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """:meth:`request` for an absolute URL (one a discovery document or a redirect gave). ``headers`` add to
        (or replace) the SDK's own: an ``Accept`` or ``Content-Type`` of another protocol than JSON."""
        method = method.upper()
        headers = {"User-Agent": self.user_agent, "Accept": "application/json", **(headers or {})}
        if method in KEYED_METHODS and idempotent:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        replayable = idempotent and (method in IDEMPOTENT_METHODS or "Idempotency-Key" in headers)
        retries = self.retry.max_retries if max_retries is None else max_retries
        # Any answer's head (a redirect's too) tells that the request reached a server.
        answered: list[requests.Response] = []
        hooks = {"response": [lambda answer, *args, **kwargs: answered.append(answer)]}
        attempt = 0
        shown = loggable_url(url, params)
        while True:
            if auth is not None:
                auth(headers)
            answered.clear()
            log.debug("%s %s: sent (attempt %d of %d)", method, shown, attempt + 1, retries + 1)
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=headers,
                    json=json,
                    data=data,
                    files=files,
                    params=params,
                    timeout=timeout or self.timeout,
                    allow_redirects=allow_redirects,
                    hooks=hooks,
                    stream=False,  # the body is read here, inside the retries, whatever the session's default
                )
            except TRANSPORT_ERRORS as exc:
                failure = transport_failure(exc, answered=bool(answered))
                log.debug("%s %s: no answer, %s (%.1f ms)", method, shown, failure.what, _ms_since(started))
                safe = failure.retry is RetrySafety.ALWAYS or (
                    failure.retry is RetrySafety.IF_IDEMPOTENT and replayable
                )
                if not safe or attempt >= retries:
                    raise failure.error(method, url, exc, attempts=attempt + 1, replayable=replayable) from exc
                self._pause(method, shown, attempt, None, failure.what)
            else:
                log.debug(
                    "%s %s: %d %s, request id %s (%.1f ms)",
                    method,
                    shown,
                    response.status_code,
                    response.reason,
                    response.headers.get("X-Request-Id"),
                    _ms_since(started),
                )
                if response.status_code < 400:
                    return response
                if _retryable(response, no_retry_on) and attempt < retries:
                    retry_after = _retry_after(response)
                    if retry_after is None or retry_after <= self.retry.max_retry_after:
                        self._pause(method, shown, attempt, retry_after, f"status {response.status_code}")
                        attempt += 1
                        continue
                raise make_error(response)
            attempt += 1

    def _pause(self, method: str, shown_url: str, attempt: int, retry_after: float | None, why: str) -> None:
        delay = self.retry.delay(attempt, retry_after)
        log.info("retrying %s %s in %.2fs (%s)", method, shown_url, delay, why)
        self._sleep(delay)


def loggable_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """The URL as the logs show it: each query value (an ``id_token_hint``, a ``state``...) masked, the query
    parameters given apart (``params``) included, without user information or fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:  # the request will fail as unsendable: say so without showing it
        return "(a URL that does not parse)"
    query = [(name, "***") for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    query += [(str(name), "***") for name in params or ()]
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*"), ""))


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000


# -- transport failures --------------------------------------------------------------------------------------------

#: What sending a request may raise: requests' own errors, and what gets past them from urllib3, http.client and
#: the socket (from a transport mounted on the session, or a body read outside requests' wrappers).
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)

#: The request could not be made: no try will make it.
_UNSENDABLE: tuple[type[BaseException], ...] = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.URLRequired,
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidJSONError,
    requests.exceptions.UnrewindableBodyError,
    urllib3.exceptions.LocationValueError,
)


class RetrySafety(enum.Enum):
    """When another try of a failed request is safe."""

    #: The request was never sent: nothing can have happened.
    ALWAYS = "always"
    #: The request may have reached the server: only a call the server can replay may go again.
    IF_IDEMPOTENT = "if_idempotent"
    #: Another try would fail the same way.
    NEVER = "never"


@dataclass(frozen=True)
class TransportFailure:
    """What a transport failure means: the class it becomes, in words, and whether to try again."""

    kind: type[APIConnectionError]
    what: str
    retry: RetrySafety

    def error(
        self, method: str, url: str, exc: BaseException, *, attempts: int, replayable: bool
    ) -> APIConnectionError:
        detail = str(exc) or type(exc).__name__
        text = f"{method} {url}: {self.what} ({detail}); {attempts} attempt(s)"
        if self.retry is RetrySafety.IF_IDEMPOTENT and not replayable:
            text += ", not retried: the request may have reached the server, which cannot replay this call"
        return self.kind(text)


def transport_failure(exc: BaseException, *, answered: bool) -> TransportFailure:
    """Classify what the transport raised; ``answered`` when a response's head had come (from any redirect)."""
    chain = list(causes(exc))

    def caused_by(*kinds: type[BaseException]) -> bool:
        return any(isinstance(cause, kinds) for cause in chain)

    if isinstance(exc, requests.TooManyRedirects):
        return TransportFailure(APIConnectionError, "redirected too many times", RetrySafety.NEVER)
    if isinstance(exc, requests.exceptions.RetryError):
        return TransportFailure(APIConnectionError, "the session's own retries gave up", RetrySafety.NEVER)
    if caused_by(*_UNSENDABLE):
        return TransportFailure(APIConnectionError, "the request cannot be sent", RetrySafety.NEVER)
    if caused_by(ssl.SSLCertVerificationError):
        return TransportFailure(APIConnectionError, "the server's TLS certificate does not verify", RetrySafety.NEVER)
    # Connecting failed: nothing was sent, unless a redirect had been answered (the first request did reach a server).
    connecting = RetrySafety.IF_IDEMPOTENT if answered else RetrySafety.ALWAYS
    # urllib3 makes a refusal (DNS, refused, unreachable) a kind of connect timeout: tell them apart first.
    refused = caused_by(urllib3.exceptions.NewConnectionError)
    if refused or caused_by(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        return TransportFailure(APIConnectionError, "cannot connect", connecting)
    if caused_by(requests.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return TransportFailure(APITimeoutError, "timed out connecting", connecting)
    if caused_by(requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
        what = "timed out reading the answer" if answered else "timed out waiting for the answer"
        return TransportFailure(APITimeoutError, what, RetrySafety.IF_IDEMPOTENT)
    if answered:
        return TransportFailure(
            APIConnectionError, "the connection broke before the answer was whole", RetrySafety.IF_IDEMPOTENT
        )
    return TransportFailure(
        APIConnectionError, "the connection failed before an answer came", RetrySafety.IF_IDEMPOTENT
    )


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: requests keeps urllib3's error in ``args``, urllib3 the socket's in ``reason``."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, getattr(current, "reason", None)]
        linked += [getattr(current, "original_error", None), *current.args]
        pending.extend(item for item in linked if isinstance(item, BaseException))


# -- answers -------------------------------------------------------------------------------------------------------

#: What reading a body of the wrong shape raises (:mod:`jesign_sdk._json`, a model's ``from_json``, a decoder).
SHAPE_ERRORS: tuple[type[Exception], ...] = (KeyError, IndexError, TypeError, ValueError, AttributeError)


@overload
def read_json(response: requests.Response) -> Any: ...


@overload
def read_json(response: requests.Response, parse: Callable[[Any], T]) -> T: ...


def read_json(response: requests.Response, parse: Callable[[Any], Any] | None = None) -> Any:
    """A success's JSON body (None when empty), read by ``parse`` (a model's ``from_json``) when given.

    A body that is not JSON, or that ``parse`` finds of the wrong shape (a field missing or of the wrong type),
    is an :class:`APIResponseValidationError`.
    """
    body: Any = None
    if response.content:
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:
            media_type = response.headers.get("Content-Type") or "no Content-Type"
            raise _invalid(response, f"the answer is not JSON ({media_type})", response.text[:2000]) from exc
    return body if parse is None else _parsed(response, parse, body)


def read_body(response: requests.Response, parse: Callable[[bytes], T]) -> T:
    """A success's raw body (a DER certificate …), read by ``parse``; an undecodable one is an
    :class:`APIResponseValidationError`."""
    return _parsed(response, parse, response.content)


def _parsed(response: requests.Response, parse: Callable[[Any], T], body: Any) -> T:
    try:
        return parse(body)
    except SHAPE_ERRORS as exc:
        problem = f"no {exc.args[0]!r} field" if isinstance(exc, KeyError) and exc.args else str(exc)
        shown = body if not isinstance(body, bytes) else None
        raise _invalid(response, f"the answer is not what the API promises: {problem}", shown) from exc


def _invalid(response: requests.Response, problem: str, body: Any) -> APIResponseValidationError:
    request = response.request
    where = f"{request.method} {response.url}" if request is not None else str(response.url)
    return APIResponseValidationError(
        f"{where}: {problem}",
        status_code=response.status_code,
        request_id=response.headers.get("X-Request-Id"),
        body=body,
    )


def make_error(response: requests.Response) -> APIStatusError:
    """The exception for an error answer: RFC 9457 problem+json, an OAuth error, or anything else."""
    body: Any
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = response.text[:2000]
    code = message = request_id = None
    errors: list[dict[str, Any]] = []
    if isinstance(body, dict):
        code = body.get("code") or body.get("error")
        message = body.get("detail") or body.get("error_description") or body.get("title")
        request_id = body.get("request_id")
        found = body.get("errors")
        if isinstance(found, list):
            errors = [e for e in found if isinstance(e, dict)]
    request_id = request_id or response.headers.get("X-Request-Id")
    cls = error_for(response.status_code, code if isinstance(code, str) else None)
    return cls(
        str(message or f"HTTP {response.status_code}"),
        status_code=response.status_code,
        code=code if isinstance(code, str) else None,
        request_id=request_id,
        errors=errors,
        body=body,
        retry_after=_retry_after(response),
    )


def _retryable(response: requests.Response, no_retry_on: frozenset[int]) -> bool:
    """Worth another try: a passing failure, or the server still working on this very idempotency key."""
    if response.status_code in no_retry_on:
        return False
    if response.status_code in RETRYABLE_STATUSES:
        return True
    if response.status_code != 409:
        return False
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return False
    return isinstance(body, dict) and body.get("code") == "idempotency_request_in_progress"


def _retry_after(response: requests.Response) -> float | None:
    """The answer's ``Retry-After`` in seconds: a number of seconds, or an HTTP-date counted from the answer's own
    ``Date`` (the server's clock, which need not agree with this machine's), else from now."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    when, sent = _http_date(raw), _http_date(response.headers.get("Date"))
    if when is None:
        return None
    return max(0.0, (when - (sent or datetime.now(UTC))).total_seconds())


def _http_date(raw: str | None) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(raw or "")
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when
