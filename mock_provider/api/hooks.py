"""Cross-cutting request hooks of the control plane: one-shot route scenarios, the request history, and the standing
fault policy (``faults``).

All are part of the control plane and so exist only when it is enabled. They leave ``/_mock`` itself alone, and
OCSP never reaches them (it is served in front of Flask).
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from mock_provider.api import faults
from mock_provider.api.common import CONTROL_PREFIXES, write_after_response
from mock_provider.core import scenarios
from mock_provider.core.errors import MockError
from mock_provider.core.models import RequestRecord
from mock_provider.core.storage import AbsenceLatch
from mock_provider.http_common.problems import current_request_id
from mock_provider.http_common.services import services


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
        svc = services()
        started = g.get("started", time.perf_counter())
        record = RequestRecord(
            request_id=current_request_id(),
            method=request.method,
            path=request.full_path.rstrip("?")[:2000],
            status=response.status_code,
            duration_ms=int((time.perf_counter() - started) * 1000),
            at=svc.clock.now(),
        )
        write_after_response(lambda session: session.add(record))
        return response

    # After the history's hook, so that its after_request runs first and the history records the injected status.
    faults.install(app)
