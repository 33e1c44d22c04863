"""RFC 9457 problem details: the one error format of every JSON API of the mock.

Every error body carries ``type``, ``title``, ``status``, ``detail``, a stable snake_case ``code`` and the
``request_id``; field errors add ``errors[]``. Unexpected exceptions become a bare 500 ``internal_error`` whose
body reveals nothing of the server (the traceback goes to the log, under the same request id).
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from mock_provider.core.errors import MockError
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.http import (
    INTERNALS_IN_ERROR_BODIES,
    PROBLEM_REQUEST_ID_MISMATCH,
    PROBLEM_SERVED_AS_JSON,
    PROBLEM_STATUS_MISMATCH,
)
from mock_provider.core.misbehaviour.switch import Breakage

PROBLEM_TYPE_BASE = "https://jesign.dev/problems/"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("mock_provider")


def _broken() -> frozenset[Breakage]:
    """The switches that are on, read on the error path: if storage itself is what failed, none."""
    try:
        return current_app.extensions["jesign_mock"].breakages.snapshot()  # type: ignore[no-any-return]
    except Exception:  # an error answer must not fail for want of the switches
        return frozenset()


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    broken = _broken()
    advertised = 500 if PROBLEM_STATUS_MISMATCH in broken else status
    request_id = new_id("req") if PROBLEM_REQUEST_ID_MISMATCH in broken else current_request_id()
    body = problem_body(advertised, code, title, detail, request_id=request_id, errors=errors, extra=extra)
    mimetype = "application/json" if PROBLEM_SERVED_AS_JSON in broken else "application/problem+json"
    response = Response(body, status=status, mimetype=mimetype)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_body(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    request_id: str,
    errors: Sequence[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """The JSON text of a problem, for callers outside a Flask request (plain WSGI endpoints)."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = list(errors)
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return json.dumps(body)


def request_id_from(supplied: str | None) -> str:
    """The caller's X-Request-Id if it is sane, else a new ``req_`` id."""
    return supplied if supplied and _REQUEST_ID.match(supplied) else new_id("req")


def current_request_id() -> str:
    rid = g.get("request_id")
    if rid is None:
        rid = request_id_from(request.headers.get("X-Request-Id"))
        g.request_id = rid
    return str(rid)


def _http_code(exc: HTTPException) -> str:
    name = (exc.name or "error").lower()
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


def install(app: Flask) -> None:
    """Register the request-id hook and the problem+json error handlers on ``app``."""

    @app.before_request
    def _assign_request_id() -> None:
        current_request_id()

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = current_request_id()
        return response

    @app.errorhandler(MockError)
    def _domain_error(exc: MockError) -> Response:
        detail = exc.detail
        if INTERNALS_IN_ERROR_BODIES in current_app.extensions["jesign_mock"].breakages:
            detail = f"{detail}\n{traceback.format_exc()}"
        return problem(exc.status, exc.code, exc.title, detail, errors=exc.errors, headers=exc.headers, extra=exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        headers = {}
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return problem(status, _http_code(exc), exc.name, exc.description, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error (request %s)", current_request_id())
        return problem(500, "internal_error", "Internal error", "The mock failed to answer; see its log.")


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON answer (the counterpart of :func:`problem` for success)."""
    return Response(json.dumps(body), status=status, mimetype="application/json")
