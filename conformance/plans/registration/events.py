"""The event log: every transition written, in order, with who and when (the certificate lifecycle log that the
subscription agreement promises to keep)."""

from __future__ import annotations

from datetime import datetime

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

#: The states a registration goes through on the happy path, in order.
PATH = ("created", "identity_submitted", "documents_submitted", "agreement_signed", "pending_validation")


@check(
    "registration.events.lifecycle_log",
    title="Every transition of the registration is in its event log, in order, with its actor and time",
    cites=(
        "Contrat de souscription, article 4 : « Universign retains … the event log pertaining to the Certificate's "
        "lifecycle »",
        "DESIGN.md §2: every transition is written to an append-only event log (who, what, when, from which state)",
    ),
    severity=Severity.MAJOR,
    needs=("otp", "review"),
)
def lifecycle_log(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "certificate_issued")
    answer = ctx.http.get("trust", reg.path("/events"), headers=reg.auth)
    logged = ctx.expect_status(answer, 200, what="reading the event log")["data"]
    moves = [e for e in logged if e.get("to_state") and e.get("to_state") != e.get("from_state")]
    reached = [e["to_state"] for e in moves]
    expected = [*PATH, "certificate_issued"]
    ctx.expect(
        [s for s in reached if s in expected] == expected,
        f"the log's transitions are {reached}, expected {expected}",
    )
    for event in logged:
        ctx.expect(event.get("actor") and event.get("at"), f"an event lacks its actor or time: {event}")
    times = [datetime.fromisoformat(e["at"]) for e in logged]
    ctx.expect(times == sorted(times), "the event log is not in time order")
