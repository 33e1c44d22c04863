"""The operator's side of the trust provider's registrations (Universign's ``/v1/registrations``): an operator reads
its own registrations only, and a session left unfinished ends after 7 days."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

UNIVERSIGN_KEYS = (
    "Universign, API keys: « If the API key you provided does not grant you access to the resource, you will "
    "receive a 403 - Forbidden response »"
)
UNIVERSIGN_SESSION = (
    "Universign, Certificates: « a registration session is valid only for 7 days. Beyond this delay, you need to "
    "initiate another registration session »"
)
#: The session's length, and how far the check goes on either side of its end.
SESSION_SECONDS, MARGIN_SECONDS = 7 * 24 * 3600, 60


@check(
    "registration.operator.owner_only",
    title="An operator reads its own registrations, not another operator's",
    cites=(UNIVERSIGN_KEYS, "OWASP API Security Top 10 2023, API1: broken object level authorization"),
    severity=Severity.CRITICAL,
    needs=("operators",),
)
def owner_only(ctx: CheckContext) -> None:
    """A registration opened with the target's operator credentials is read by them, and by no other operator's key
    (neither by its id nor in that key's list)."""
    mine = steps.create(ctx)
    own = ctx.expect_status(ctx.http.get("trust", mine.path(), auth=steps.operator_auth(ctx)), 200)
    ctx.expect(own.get("id") == mine.id, "the operator's read of its registration names another")
    other = {"Authorization": f"Bearer {ctx.harness.operator_key('conformance-other-operator')}"}
    answer = ctx.http.get("trust", mine.path(), headers=other)
    ctx.expect_refusal(answer, (403, 404), None, "another operator's key reading my registration")
    listed = ctx.expect_status(ctx.http.get("trust", "/registrations", headers=other), 200)
    ids = [r.get("id") for r in listed.get("data", [])]
    ctx.expect(mine.id not in ids, "another operator's list holds my registration")


@check(
    "registration.operator.session_expiry",
    title="A registration session left unfinished ends 7 days after it was opened",
    cites=(UNIVERSIGN_SESSION,),
    severity=Severity.MAJOR,
    needs=("clock",),
)
def session_expiry(ctx: CheckContext) -> None:
    """A minute before the 7 days, the applicant's session works; a minute after, it is refused (410
    ``registration_expired``) and the operator reads the registration ``expired``."""
    reg = steps.create(ctx)
    ctx.harness.advance_clock(SESSION_SECONDS - MARGIN_SECONDS)
    ctx.expect(steps.view(ctx, reg)["state"] == "created", "the session changed before its 7 days")
    ctx.harness.advance_clock(2 * MARGIN_SECONDS)
    answer = ctx.http.get("trust", reg.path(), headers=reg.auth)
    ctx.expect_refusal(answer, 410, "registration_expired", "the applicant's session after 7 days")
    seen = ctx.expect_status(ctx.http.get("trust", reg.path(), auth=steps.operator_auth(ctx)), 200)
    ctx.expect(seen.get("state") == "expired", f"the operator reads the expired session {seen.get('state')}")
