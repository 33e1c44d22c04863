"""Registrations are private: a session token opens its own registration only."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity


@check(
    "registration.isolation.other_registration_invisible",
    title="A registration's session token does not open another registration",
    cites=(
        "Universign REST API v1: a registration is reached with its own session",
        "OWASP API Security Top 10 2023, API1: broken object level authorization",
    ),
    severity=Severity.CRITICAL,
)
def other_registration_invisible(ctx: CheckContext) -> None:
    mine = steps.create(ctx)
    theirs = steps.create(ctx, role="second_accountant")
    for method, suffix in (("GET", ""), ("GET", "/events"), ("POST", "/cancel")):
        answer = ctx.http.request(method, "trust", theirs.path(suffix), headers=mine.auth)
        ctx.expect_refusal(answer, (403, 404), None, f"{method} another registration{suffix} with my token")
    ctx.expect(steps.view(ctx, theirs)["state"] == "created", "the other registration changed")
