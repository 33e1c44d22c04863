"""``/pki/ocsp`` as a plain WSGI app: the one endpoint whose speed matters.

RFC 6960 responders take many small requests, so this path skips Flask's routing, request context and hooks
(about a third of a millisecond a request) and reads the WSGI environ directly; it is mounted in front of the
Flask app by :func:`mock_provider.app.create_app`. It keeps the contracts of the rest of the mock: an
``X-Request-Id`` and the mock clock's ``Date`` on every answer (:mod:`~mock_provider.api.server_headers`),
problem+json for the mock's own header errors, never a 500 for bad input.

- ``POST /pki/ocsp`` with ``Content-Type: application/ocsp-request``; a body of at most ``max_request_bytes``.
- ``GET /pki/ocsp/<base64 of the DER request>`` (RFC 6960 appendix A.1), URL-encoded, padded or not, standard or
  URL-safe alphabet.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from mock_provider.api.pki import parse_fake_time
from mock_provider.api.server_headers import server_headers
from mock_provider.core.errors import InvalidInput
from mock_provider.core.pki.ocsp import OcspAnswer, malformed_request
from mock_provider.core.services import MockServices
from mock_provider.http_common.problems import problem_body, request_id_from

OCSP_REQUEST_TYPE = "application/ocsp-request"
OCSP_RESPONSE_TYPE = "application/ocsp-response"
FAKE_TIME_ENVIRON = "HTTP_X_JESIGN_MOCK_TIME"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
log = logging.getLogger("mock_provider")

_REASONS = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 413: "Content Too Large"}
_REASONS |= {414: "URI Too Long", 415: "Unsupported Media Type", 500: "Internal Server Error"}


class OcspEndpoint:
    """WSGI app answering OCSP requests with the core's :class:`~mock_provider.core.pki.ocsp.OcspResponder`."""

    def __init__(self, services: MockServices) -> None:
        self.services = services
        self.limit = services.config.max_request_bytes
        self.allow_fake_time = services.config.allow_fake_time

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        clock = self.services.clock

        def with_server_headers(status: str, headers: list[tuple[str, str]]) -> Any:
            return start_response(status, headers + server_headers(clock))

        return self._call(environ, with_server_headers, request_id)

    def _call(self, environ: dict[str, Any], start_response: StartResponse, request_id: str) -> Iterable[bytes]:
        try:
            return self._handle(environ, start_response, request_id)
        except InvalidInput as refused:  # the fake time header, the one input that is the mock's own
            body = problem_body(
                400, refused.code, refused.title, refused.detail, request_id=request_id, errors=refused.errors
            )
            return _send(start_response, 400, body.encode(), "application/problem+json", request_id)
        except Exception:
            log.exception("unexpected error (request %s)", request_id)
            body = problem_body(
                500,
                "internal_error",
                "Internal error",
                "The mock failed to answer; see its log.",
                request_id=request_id,
            )
            return _send(start_response, 500, body.encode(), "application/problem+json", request_id)

    def _handle(self, environ: dict[str, Any], start_response: StartResponse, request_id: str) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        if method == "POST" and path in ("", "/"):
            mimetype = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
            if mimetype != OCSP_REQUEST_TYPE:
                return self._answer(start_response, malformed_request(415), request_id)
            body = _read_body(environ, self.limit)
            if body is None:
                return self._answer(start_response, malformed_request(413), request_id)
            answer = self.services.ocsp.respond(body, at=self._fake_time(environ))
            return self._answer(start_response, answer, request_id)
        if method == "GET" and len(path) > 1:
            body = _decode_get(path[1:])
            if body is None:
                return self._answer(start_response, malformed_request(400), request_id)
            if len(body) > self.limit:
                return self._answer(start_response, malformed_request(414), request_id)
            answer = self.services.ocsp.respond(body, at=self._fake_time(environ))
            return self._answer(start_response, answer, request_id)
        if method in ("GET", "POST"):
            return self._answer(start_response, malformed_request(400), request_id)
        detail = "OCSP requests are sent with POST, or with GET and the request in the path"
        body_text = problem_body(405, "method_not_allowed", "Method Not Allowed", detail, request_id=request_id)
        return _send(
            start_response, 405, body_text.encode(), "application/problem+json", request_id, [("Allow", "GET, POST")]
        )

    def _fake_time(self, environ: dict[str, Any]) -> datetime | None:
        raw = environ.get(FAKE_TIME_ENVIRON)
        if raw is None or not self.allow_fake_time:
            return None
        return parse_fake_time(raw, self.services.ocsp.instants)

    @staticmethod
    def _answer(start_response: StartResponse, answer: OcspAnswer, request_id: str) -> Iterable[bytes]:
        return _send(start_response, answer.http_status, answer.der, OCSP_RESPONSE_TYPE, request_id)


def _send(
    start_response: StartResponse,
    status: int,
    body: bytes,
    content_type: str,
    request_id: str,
    extra: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("X-Request-Id", request_id)]
    start_response(f"{status} {_REASONS[status]}", headers + (extra or []))
    return [body]


def _read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit``."""
    try:
        declared = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    stream = environ["wsgi.input"]
    body: bytes = stream.read(declared) if declared else stream.read(limit + 1)
    return None if len(body) > limit else body


def _decode_get(encoded: str) -> bytes | None:
    # PATH_INFO is already percent-decoded by the server, but some clients encode twice ('%2B' for '+').
    if "%" in encoded:
        encoded = unquote(encoded)
    padded = encoded + "=" * (-len(encoded) % 4)  # some clients drop the padding
    try:
        if "-" in encoded or "_" in encoded:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
