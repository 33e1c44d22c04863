"""Cross-cutting request hooks of the control plane: one-shot route scenarios, the request history, and the standing
fault policy (``faults``).

All are part of the control plane and so exist only when it is enabled. They leave ``/_mock`` itself alone, and
OCSP never reaches them (it is served in front of Flask).
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from sqlalchemy import bindparam, insert

from mock_provider.api import faults
from mock_provider.api.common import CONTROL_PREFIXES, prepared_after_response, services
from mock_provider.api.problems import current_request_id
from mock_provider.core import scenarios
from mock_provider.core.errors import MockError
from mock_provider.core.models import RequestRecord
from mock_provider.core.storage import AbsenceLatch, Prepared

#: The request history's one insert, on every request but the control plane's: prepared, not an ORM object.
HISTORY = Prepared(
    insert(RequestRecord).values(
        {name: bindparam(name) for name in ("request_id", "method", "path", "status", "duration_ms", "at")}
    )
)


def install(app: Flask) -> None:
    queue = AbsenceLatch(app.extensions["jesign_mock"].db, scenarios.REVISION_COUNTER)

    @app.before_request
    def _route_scenarios() -> None:
        g.started = time.perf_counter()
        if request.path.startswith(CONTROL_PREFIXES):
            return
        svc = services()
        revision = queue.revision()
        if queue.known_absent(revision):
            return
        route = f"{request.method} {request.path}"
        with svc.db.transaction() as session:
            now = svc.clock.now()
            delay = scenarios.consume(session, "route_delay", now, route=route)
            error = scenarios.consume(session, "route_error", now, route=route)
            if not scenarios.any_pending(session, scenarios.ROUTE_KINDS):
                queue.mark_absent(revision)
        if delay is not None and delay.value:
            time.sleep(delay.value / 1000)
        if error is not None:
            failure = MockError(
                f"a queued scenario made {route} fail", code="scenario_injected_failure", extra={"scenario": error.id}
            )
            failure.status = error.value or 503
            failure.title = "Injected failure"
            if failure.status == 503:
                failure.headers["Retry-After"] = "1"
            raise failure

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
