"""The event log: every transition written, in order, with who and when (the certificate lifecycle log that the
subscription agreement promises to keep), on every path: the happy one, a cancellation, a rejection, an error
report's revocation and reissue."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.plans.registration.fixtures import issued_registration, rejected_registration
from conformance.registry import check
from conformance.results import Severity

#: The states a registration goes through on the happy path, in order.
PATH = ("created", "identity_submitted", "documents_submitted", "agreement_signed", "pending_validation")
ARTICLE_4 = (
    "Contrat de souscription, article 4 : « Universign retains … the event log pertaining to the Certificate's "
    "lifecycle, as well as the reason for its revocation »"
)
RULE_LOG = "DESIGN.md §2: every transition is written to an append-only event log (who, what, when, from which state)"


@check(
    "registration.events.lifecycle_log",
    title="Every transition of the registration is in its event log, in order, with its actor and time",
    cites=(ARTICLE_4, RULE_LOG),
    severity=Severity.MAJOR,
    needs=("otp", "review"),
)
def lifecycle_log(ctx: CheckContext) -> None:
    """The log of a request walked to its certificate: its moves reach each state of the path in order, each move
    leaves the state the previous one reached, every event has an actor and a time, and times never go back."""
    _expect_moves(ctx, ctx.use(issued_registration), [*PATH, "certificate_issued"], "a certificate's request")


@check(
    "registration.events.every_transition",
    title="A cancellation, a rejection and an error report's revocation are logged too, the revocation with its reason",
    cites=(ARTICLE_4, RULE_LOG, "RFC 5280 §5.3.1: reason code superseded"),
    severity=Severity.MAJOR,
    needs=("otp", "review"),
)
def every_transition(ctx: CheckContext) -> None:
    """Three logs besides the happy path's: a request cancelled after its identity (``created``,
    ``identity_submitted``, ``cancelled``); a rejected one (the path, then ``rejected``); and one whose holder
    reported an error, where an event names the revoked certificate with the reason ``superseded`` and, after it,
    an event names the new one."""
    cancelled = steps.walk(ctx, "identity_submitted")
    ctx.expect_status(ctx.http.post("trust", cancelled.path("/cancel"), headers=cancelled.auth), 200, what="cancel")
    _expect_moves(ctx, cancelled, ["created", "identity_submitted", "cancelled"], "a cancelled request")
    _expect_moves(ctx, ctx.use(rejected_registration), [*PATH, "rejected"], "a rejected request")
    reg = steps.walk(ctx, "certificate_issued")
    old = _certificate_id(ctx, reg)
    answer = ctx.http.post(
        "trust", reg.path("/certificate/report-error"), json={"detail": "Prénom erroné."}, headers=reg.auth
    )
    ctx.expect_status(answer, 200, what="reporting an error in the certificate")
    new = _certificate_id(ctx, reg)
    logged = [json.dumps(event, ensure_ascii=False) for event in _log(ctx, reg)]
    revoked = [i for i, text in enumerate(logged) if old in text and "superseded" in text]
    ctx.expect(revoked, f"no event names the revoked certificate {old} with its reason (superseded)")
    ctx.expect(any(new in text for text in logged[revoked[0] + 1 :]), f"no event after it names the new one {new}")


def _log(ctx: CheckContext, reg: steps.Registration) -> list[dict[str, Any]]:
    answer = ctx.http.get("trust", reg.path("/events"), headers=reg.auth)
    logged: list[dict[str, Any]] = ctx.expect_status(answer, 200, what="reading the event log")["data"]
    return logged


def _expect_moves(ctx: CheckContext, reg: steps.Registration, expected: list[str], what: str) -> None:
    logged = _log(ctx, reg)
    moves = [e for e in logged if e.get("to_state") and e.get("to_state") != e.get("from_state")]
    reached = [e["to_state"] for e in moves]
    ctx.expect(
        [s for s in reached if s in expected] == expected,
        f"the log of {what} moves to {reached}, expected {expected}",
    )
    for previous, move in itertools.pairwise(moves):
        ctx.expect(
            move.get("from_state") == previous["to_state"],
            f"in the log of {what}, a move to {move['to_state']} starts from {move.get('from_state')}, "
            f"not {previous['to_state']}",
        )
    for event in logged:
        ctx.expect(event.get("actor") and event.get("at"), f"an event of {what} lacks its actor or time: {event}")
    times = [datetime.fromisoformat(e["at"]) for e in logged]
    ctx.expect(times == sorted(times), f"the log of {what} is not in time order")


def _certificate_id(ctx: CheckContext, reg: steps.Registration) -> str:
    answer = ctx.http.get("trust", reg.path("/certificate"), headers=reg.auth)
    return str(ctx.expect_status(answer, 200, what="reading the certificate")["id"])
