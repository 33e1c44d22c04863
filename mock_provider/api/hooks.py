"""Cross-cutting request hooks of the control plane: the request history, and the fault policy (``faults``, which
also plays the deprecated one-shot route scenarios).

All are part of the control plane and so exist only when it is enabled. They leave ``/_mock`` itself alone, and
OCSP never reaches them (it is served in front of Flask).
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from sqlalchemy import bindparam, insert

from mock_provider.api import faults
from mock_provider.api.common import CONTROL_PREFIXES, prepared_after_response
from mock_provider.core.models import RequestRecord
from mock_provider.core.storage import Prepared
from mock_provider.http_common.problems import current_request_id
from mock_provider.http_common.services import services

#: The request history's one insert, on every request but the control plane's: prepared, not an ORM object.
HISTORY = Prepared(
    insert(RequestRecord).values(
        {name: bindparam(name) for name in ("request_id", "method", "path", "status", "duration_ms", "at")}
    )
)


def install(app: Flask) -> None:
    @app.before_request
    def _started() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _history(response: Response) -> Response:
        if request.path.startswith(CONTROL_PREFIXES):
            return response
        started = g.get("started", time.perf_counter())
        record = {
            "request_id": current_request_id(),
            "method": request.method,
            "path": request.full_path.rstrip("?")[:2000],
            "status": response.status_code,
            "duration_ms": int((time.perf_counter() - started) * 1000),
            "at": services().clock.now(),
        }
        prepared_after_response(HISTORY, record)
        return response

    # After the history's hook, so that its after_request runs first and the history records the injected status.
    faults.install(app)
