"""The fault policy's hook: applies the rules of :mod:`mock_provider.core.misbehaviour.faults` to each call.

Part of the control plane (installed only when it is on). A call costs one counter read, and no database read
while the rules have not changed (:class:`~mock_provider.core.misbehaviour.fault_store.RulesByRevision`). The
hook takes one use of each matching counted rule (a conditional update: a one-shot rule fires once under parallel
calls), waits the drawn delay, and fails the call before its handler runs, or after (``g.fault_after``: the
handler ran and committed, the caller sees the failure).
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from mock_provider.core.errors import MockError
from mock_provider.core.misbehaviour import fault_store
from mock_provider.core.misbehaviour.faults import EXEMPT_PREFIXES, Dice, Failure
from mock_provider.http_common.problems import problem
from mock_provider.http_common.services import services

CODE = "fault_injected"
TITLE = "Injected fault"
#: The problem a deprecated route scenario's failure answers, as it always has.
SCENARIO_CODE = "scenario_injected_failure"


def _headers(failure: Failure) -> dict[str, str]:
    return {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}


def _before_processing(failure: Failure) -> MockError:
    route = f"{request.method} {request.path}"
    if failure.rule.spec.alias is not None:
        error = MockError(
            f"a queued scenario made {route} fail", code=SCENARIO_CODE, extra={"scenario": failure.rule.id}
        )
        error.title = "Injected failure"
    else:
        error = MockError(
            f"a fault policy of the control plane made {route} fail before processing",
            code=CODE,
            extra={"phase": "before_processing"},
        )
        error.title = TITLE
    error.status = failure.status
    error.headers.update(_headers(failure))
    return error


def install(app: Flask) -> None:
    """Register the hooks. Call it after the request-history hook, so that history sees the final status."""
    dice = Dice()
    kept = fault_store.RulesByRevision(app.extensions["jesign_mock"].db)

    @app.before_request
    def _faults_before() -> None:
        if request.path.startswith(EXEMPT_PREFIXES):
            return
        rules = kept.current()
        if not rules:
            return
        dice.forget_others(rule.id for rule in rules)
        matching = [rule for rule in rules if rule.matches(request.method, request.path)]
        if any(rule.remaining is not None for rule in matching):
            with services().db.transaction() as session:
                matching = [r for r in matching if r.remaining is None or fault_store.take_use(session, r.id)]
        decision = dice.decide(matching)
        if decision.delay_ms > 0:
            time.sleep(decision.delay_ms / 1000)
        failure = decision.failure
        if failure is None:
            return
        if failure.after_processing:
            g.fault_after = failure
            return
        raise _before_processing(failure)

    @app.after_request
    def _faults_after(response: Response) -> Response:
        failure: Failure | None = g.pop("fault_after", None)
        if failure is None:
            return response
        return problem(
            failure.status,
            CODE,
            TITLE,
            f"a fault policy of the control plane made {request.method} {request.path} fail after processing"
            " (the call took effect)",
            headers=_headers(failure),
            extra={"phase": "after_processing"},
        )
