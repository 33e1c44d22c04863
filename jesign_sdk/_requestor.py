"""All of the SDK's HTTP policy, in one place.

:class:`Requestor` sends every request of every resource: it resolves the party's base URL, sets the user agent,
the timeout and the credentials, retries what is safe to retry, and turns error answers into the exception tree
of :mod:`jesign_sdk._errors`.

Retries: connection errors, timeouts, 408, 429, 5xx, and a 409 saying the server is still working on the same
idempotency key, are retried with exponential backoff and full
jitter (``backoff_base * 2**attempt``, capped at ``backoff_max``), or after the server's ``Retry-After`` when it
gives one. Every call is safe to retry: GET, PUT and DELETE are idempotent by nature, and each POST carries an
``Idempotency-Key`` made once for the logical call and sent unchanged on each of its retries, so the server
answers a replay with its first answer and never repeats a side effect (no second SMS, no second certificate).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from jesign_sdk._errors import APIConnectionError, APIStatusError, APITimeoutError, error_for
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


class Requestor:
    """Sends requests to the parties with the client's policy. Resources hold one and call :meth:`request`."""

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        user_agent: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoints = endpoints
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.user_agent = user_agent or f"jesign-python/{__version__}"
        self._sleep = sleep

    def request(
        self,
        method: str,
        party: str,
        path: str,
        *,
        auth: Auth | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        allow_redirects: bool = True,
        no_retry_on: frozenset[int] = frozenset(),
    ) -> requests.Response:
        """Send a request and return the successful answer; raise the matching :class:`APIStatusError` else.

        A POST gets an ``Idempotency-Key`` (``idempotency_key`` or a new UUID) that every retry repeats.
        ``no_retry_on`` lists statuses the caller handles itself (a 429 that means "a code was just sent").
        """
        return self.send(
            method,
            self.endpoints.url(party, path),
            auth=auth,
            json=json,
            data=data,
            files=files,
            params=params,
            idempotency_key=idempotency_key,
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
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        allow_redirects: bool = True,
        no_retry_on: frozenset[int] = frozenset(),
    ) -> requests.Response:
        """:meth:`request` for an absolute URL (one a discovery document or a redirect gave)."""
        method = method.upper()
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        retries = self.retry.max_retries if max_retries is None else max_retries
        attempt = 0
        while True:
            if auth is not None:
                auth(headers)
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
                )
            except requests.Timeout as exc:
                if attempt >= retries:
                    raise APITimeoutError(f"{method} {url} timed out after {attempt + 1} attempt(s)") from exc
                self._pause(method, url, attempt, None, f"timeout: {exc}")
            except requests.ConnectionError as exc:
                if attempt >= retries:
                    raise APIConnectionError(f"{method} {url}: cannot connect ({exc})") from exc
                self._pause(method, url, attempt, None, f"connection error: {exc}")
            else:
                if response.status_code < 400:
                    return response
                if _retryable(response, no_retry_on) and attempt < retries:
                    retry_after = _retry_after(response)
                    if retry_after is None or retry_after <= self.retry.max_retry_after:
                        self._pause(method, url, attempt, retry_after, f"status {response.status_code}")
                        attempt += 1
                        continue
                raise make_error(response)
            attempt += 1

    def _pause(self, method: str, url: str, attempt: int, retry_after: float | None, why: str) -> None:
        delay = self.retry.delay(attempt, retry_after)
        log.info("retrying %s %s in %.2fs (%s)", method, url, delay, why)
        self._sleep(delay)


def make_error(response: requests.Response) -> APIStatusError:
    """The exception for an error answer: RFC 9457 problem+json, an OAuth error, or anything else."""
    body: Any
    try:
        body = response.json()
    except ValueError:
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
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == "idempotency_request_in_progress"


def _retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
