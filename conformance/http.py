"""The recording HTTP client every check talks through: one call per request, every exchange kept, secrets masked.

``ctx.http.post("trust", "/registrations", json=...)`` resolves the party's base URL from the target, sends the
request with :mod:`requests` (no retry: a conformance suite judges the first answer), and appends an
:class:`~conformance.results.Exchange` to the current check's record. Nothing secret reaches a report:

- headers ``Authorization``, ``Cookie``, ``Set-Cookie`` are masked;
- JSON and form fields named like a secret (``*token*``, ``*secret*``, ``password``, ``otp``, ``code_verifier``,
  ``sad``…, and ``code`` in forms: the OAuth authorization code) are masked;
- any value registered with :meth:`RecordingClient.add_secret` (a session token, an SMS code read from the
  outbox) is masked wherever it appears, URLs and free text included.

Bodies are cut to :data:`MAX_BODY` characters; binary bodies are summarised (media type and size).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

import requests

from conformance.results import Exchange
from conformance.target import Target
from jesign_sdk._requestor import Session as EnvironmentOnceSession

MASK = "***"
MAX_BODY = 4000
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
_SECRET_FIELD = re.compile(r"(token|secret|password|passwd|otp|code_verifier|^sad$|api_key|private)", re.IGNORECASE)
#: In forms (OAuth token requests) ``code`` is the authorization code; in JSON it is a problem's error code.
_SECRET_FORM_FIELD = re.compile(_SECRET_FIELD.pattern + "|^code$", re.IGNORECASE)
_TEXTUAL = ("json", "text", "xml", "x-www-form-urlencoded", "html", "problem")


class RecordingClient:
    """HTTP to the target's parties, recording each exchange into the list :attr:`record` points at."""

    def __init__(self, target: Target, *, timeout: float = 15.0) -> None:
        self.target = target
        self.timeout = timeout
        # The SDK's session: the environment's proxy settings read once per origin, not before every request.
        self.session: requests.Session = EnvironmentOnceSession()
        self.session.headers["User-Agent"] = "jesign-conformance"
        self.record: list[Exchange] = []
        self._secrets: set[str] = set()
        #: The secrets, longest first (a secret inside another is masked with it), kept in step with ``_secrets``.
        self._longest_first: tuple[str, ...] = ()
        self._lock = threading.Lock()
        #: The session of a thread started by :meth:`concurrently` (each on its own connections).
        self._local = threading.local()

    # -- masking ---------------------------------------------------------------------------------------------------

    def add_secret(self, value: str | None) -> None:
        """Mask ``value`` wherever it appears: in the exchanges recorded from now on, and in those of the current
        check already recorded (a code is often learnt from the answer that carried it)."""
        if not value or len(value) < 4:
            return
        with self._lock:
            if value not in self._secrets:
                self._secrets.add(value)
                self._longest_first = tuple(sorted(self._secrets, key=len, reverse=True))
        for exchange in self.record:
            for name in ("url", "request_body", "response_body", "error"):
                text = getattr(exchange, name)
                if text and value in text:
                    setattr(exchange, name, text.replace(value, MASK))
            for headers in (exchange.request_headers, exchange.response_headers):
                for key, text in headers.items():
                    headers[key] = text.replace(value, MASK)

    def mask_text(self, text: str) -> str:
        for secret in self._longest_first:  # a tuple replaced whole by add_secret: no lock needed to read it
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def _mask_json(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (MASK if _SECRET_FIELD.search(str(k)) and v not in (None, "") else self._mask_json(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._mask_json(v) for v in value]
        return value

    def _body_text(self, content: bytes | str | None, media_type: str) -> str | None:
        return self._body(content, media_type)[0]

    def _body(self, content: bytes | str | None, media_type: str) -> tuple[str | None, bool]:
        """The body as a report shows it, and whether that is the whole body (not summarised nor cut short)."""
        if content is None or content in (b"", ""):
            return None, True
        if isinstance(content, bytes):
            if not any(t in media_type for t in _TEXTUAL):
                return f"<{len(content)} bytes of {media_type or 'binary'}>", False
            text = content.decode("utf-8", "replace")
        else:
            text = content
        if "json" in media_type:
            # Hostile bodies are recorded too: one nested too deep for Python's parser is kept as it was sent.
            with contextlib.suppress(ValueError, RecursionError):
                text = json.dumps(self._mask_json(json.loads(text)), ensure_ascii=False, indent=1)
        elif "x-www-form-urlencoded" in media_type:
            pairs = [p.split("=", 1) for p in text.split("&") if p]
            text = "&".join(f"{k}={MASK}" if _SECRET_FORM_FIELD.search(k) else "=".join([k, *v]) for k, *v in pairs)
        text = self.mask_text(text)
        if len(text) <= MAX_BODY:
            return text, True
        return text[:MAX_BODY] + f"… ({len(text)} characters)", False

    def _headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        return {k: (MASK if k.lower() in _SECRET_HEADERS else self.mask_text(v)) for k, v in headers}

    # -- requests --------------------------------------------------------------------------------------------------

    def url(self, party: str, path: str) -> str:
        """The absolute URL of ``path`` at ``party`` (an absolute ``path`` is kept as is)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.target.base_url(party).rstrip("/") + "/" + path.lstrip("/")

    def request(self, method: str, party: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request (``requests`` keyword arguments) and record it. Redirects are never followed."""
        url = self.url(party, path)
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        started = time.perf_counter()
        session: requests.Session = getattr(self._local, "session", None) or self.session
        try:
            response = session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            self._record_error(party, method, url, kwargs, started, exc)
            raise
        self._record(party, response, started)
        return response

    def concurrently(
        self, calls: Sequence[Callable[[], requests.Response]]
    ) -> list[requests.Response | requests.RequestException]:
        """Run ``calls`` (each sending one request through this client) at the same time, each in its own thread on
        its own connection, released together by a barrier once every thread is ready; answer what each got, in
        order (the exception where a request failed; it is recorded too).

        How a check tries a once-only rule the way double-clicks and retrying clients do.
        """
        barrier = threading.Barrier(len(calls))
        answers: list[requests.Response | Exception | None] = [None] * len(calls)

        def run(index: int, call: Callable[[], requests.Response]) -> None:
            with EnvironmentOnceSession() as session:
                session.headers.update(self.session.headers)
                self._local.session = session
                barrier.wait()
                try:
                    answers[index] = call()
                except Exception as exc:  # kept, and raised below unless it is a transport failure
                    answers[index] = exc

        threads = [
            threading.Thread(target=run, args=(i, call), name=f"conformance-parallel-{i}", daemon=True)
            for i, call in enumerate(calls)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        found: list[requests.Response | requests.RequestException] = []
        for answer in answers:
            if isinstance(answer, requests.Response | requests.RequestException):
                found.append(answer)
            else:
                raise answer or RuntimeError("a parallel call answered nothing")
        return found

    def get(self, party: str, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", party, path, **kwargs)

    def post(self, party: str, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", party, path, **kwargs)

    def put(self, party: str, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", party, path, **kwargs)

    def delete(self, party: str, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", party, path, **kwargs)

    def _record(self, party: str, response: requests.Response, started: float) -> None:
        sent = response.request
        request_type = str(sent.headers.get("Content-Type", ""))
        body = sent.body if isinstance(sent.body, bytes | str) else None
        if request_type.startswith("multipart/"):
            request_body: str | None = f"<multipart form of {len(body or b'')} bytes>"
            whole = False
        else:
            request_body, whole = self._body(body, request_type)
        self.record.append(
            Exchange(
                party=party,
                method=str(sent.method),
                url=self.mask_text(str(sent.url)),
                request_headers=self._headers((k, str(v)) for k, v in sent.headers.items()),
                request_body=request_body,
                request_body_whole=whole,
                status=response.status_code,
                response_headers=self._headers(response.headers.items()),
                response_body=self._body_text(response.content, response.headers.get("Content-Type", "")),
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        )

    def _record_error(
        self, party: str, method: str, url: str, kwargs: dict[str, Any], started: float, exc: Exception
    ) -> None:
        params = kwargs.get("params")
        full = f"{url}?{urlencode(params)}" if isinstance(params, dict) and params else url
        self.record.append(
            Exchange(
                party=party,
                method=method,
                url=self.mask_text(full),
                request_headers={},
                request_body="<not recorded: no answer came>" if {"json", "data", "files"} & kwargs.keys() else None,
                request_body_whole=not {"json", "data", "files"} & kwargs.keys(),
                status=None,
                response_headers={},
                response_body=None,
                duration_ms=(time.perf_counter() - started) * 1000,
                error=f"{type(exc).__name__}: {self.mask_text(str(exc))}",
            )
        )
