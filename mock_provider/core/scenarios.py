"""Scenarios: magic values and one-shot queued faults that make outcomes reproducible, as payment sandboxes do.

Magic values (documented in docs/scenarios.md):

- a surname ``Rejet`` (any case): the identity review rejects, reason ``document_unreadable``;
- the mobile number ``+33699999999``: SMS are kept in the outbox but never delivered;
- a document number starting with ``VOLE`` (French for stolen): the upload is refused as reported stolen;
- a document number starting with ``FLOU`` (blurred): the review rejects, reason ``document_unreadable``;
- a birth date of 1 January 1900: the review rejects, reason ``identity_mismatch``.

One-shot entries, queued through the control plane and consumed by the next matching call:

- ``sms_undelivered``: the next SMS is not delivered;
- ``review_reject`` (target: the reason): the next review decision is a rejection;
- ``review_delay`` (value: seconds, 1 to 86400): the next request submitted for an automatic review is decided
  that much later than configured (``review_due_at`` says when);
- ``route_error`` (target: ``METHOD /path/pattern``, value: HTTP status, 503 by default): the next matching call
  answers that status with problem+json and changes nothing;
- ``route_delay`` (target: ``METHOD /path/pattern``, value: milliseconds): the next matching call is delayed.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core.errors import InvalidInput
from mock_provider.core.ids import new_id
from mock_provider.core.models import ScenarioEntry
from mock_provider.core.storage import bump_counter

UNDELIVERED_NUMBER = "+33699999999"
REJECTED_SURNAME = "rejet"
STOLEN_PREFIX = "VOLE"
BLURRED_PREFIX = "FLOU"
MISMATCH_BIRTH_DATE = date(1900, 1, 1)

KINDS = ("sms_undelivered", "review_reject", "review_delay", "route_error", "route_delay")
ROUTE_KINDS = ("route_error", "route_delay")
#: Moves whenever an entry is queued, so that each call can skip the queue while nothing new was queued.
REVISION_COUNTER = "scenarios_revision"
REJECTION_REASONS = ("document_unreadable", "document_expired", "identity_mismatch", "document_reported_stolen")


@dataclass(frozen=True)
class ScenarioView:
    id: str
    kind: str
    target: str | None
    value: int | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
        }


def enqueue(session: Session, *, kind: str, target: str | None, value: int | None, now: datetime) -> ScenarioView:
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", code="invalid_scenario")
    if value is not None and kind not in (*ROUTE_KINDS, "review_delay"):
        raise InvalidInput(f"a {kind} scenario takes no value", code="invalid_scenario")
    if kind == "review_delay" and (value is None or not 0 < value <= 86_400):
        raise InvalidInput("value must be a delay of 1 to 86400 seconds", code="invalid_scenario")
    if kind in ("route_error", "route_delay"):
        if not target or " " not in target.strip():
            raise InvalidInput("target must be 'METHOD /path/pattern'", code="invalid_scenario")
        if kind == "route_error" and value is not None and not 400 <= value <= 599:
            raise InvalidInput("value must be an HTTP error status", code="invalid_scenario")
        if kind == "route_delay" and (value is None or not 0 < value <= 30_000):
            raise InvalidInput("value must be a delay of 1 to 30000 milliseconds", code="invalid_scenario")
    if kind == "review_reject" and target is not None and target not in REJECTION_REASONS:
        raise InvalidInput(f"reason must be one of {', '.join(REJECTION_REASONS)}", code="invalid_scenario")
    row = ScenarioEntry(id=new_id("scn"), kind=kind, target=target, value=value, created_at=now)
    session.add(row)
    bump_counter(session, REVISION_COUNTER)
    return ScenarioView(row.id, row.kind, row.target, row.value, row.created_at)


def any_pending(session: Session, kinds: tuple[str, ...]) -> bool:
    """Whether an entry of one of ``kinds`` waits."""
    return (
        session.scalar(
            select(ScenarioEntry.id).where(ScenarioEntry.kind.in_(kinds), ScenarioEntry.consumed_at.is_(None)).limit(1)
        )
        is not None
    )


def pending(session: Session) -> list[ScenarioView]:
    rows = session.scalars(
        select(ScenarioEntry).where(ScenarioEntry.consumed_at.is_(None)).order_by(ScenarioEntry.created_at)
    ).all()
    return [ScenarioView(r.id, r.kind, r.target, r.value, r.created_at) for r in rows]


def consume(session: Session, kind: str, now: datetime, *, route: str | None = None) -> ScenarioView | None:
    """Take the oldest pending entry of that kind (matching ``route`` for route entries), if any."""
    rows = session.scalars(
        select(ScenarioEntry)
        .where(ScenarioEntry.kind == kind, ScenarioEntry.consumed_at.is_(None))
        .order_by(ScenarioEntry.created_at)
        .with_for_update()
    ).all()
    for row in rows:
        if route is not None and not _route_matches(row.target or "", route):
            continue
        row.consumed_at = now
        return ScenarioView(row.id, row.kind, row.target, row.value, row.created_at)
    return None


def _route_matches(pattern: str, route: str) -> bool:
    method, _, path = pattern.strip().partition(" ")
    actual_method, _, actual_path = route.partition(" ")
    return method.upper() == actual_method.upper() and fnmatch.fnmatchcase(actual_path, path.strip())


def sms_undelivered(phone_number: str) -> bool:
    return phone_number == UNDELIVERED_NUMBER


def review_rejection(family_name: str, document_number: str | None, birth_date: date | None) -> str | None:
    """The rejection reason a magic value forces, if any."""
    if family_name.strip().lower() == REJECTED_SURNAME:
        return "document_unreadable"
    if document_number and document_number.upper().startswith(BLURRED_PREFIX):
        return "document_unreadable"
    if birth_date == MISMATCH_BIRTH_DATE:
        return "identity_mismatch"
    return None


def reported_stolen(document_number: str) -> bool:
    return document_number.upper().startswith(STOLEN_PREFIX)
