"""Scenarios: magic values, and one-shot outcomes queued for the next matching call, as payment sandboxes have.

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
- ``route_error`` and ``route_delay``: deprecated aliases of the fault policy, kept for the callers that use them. Each
  is a fault rule with count 1 (:func:`mock_provider.core.misbehaviour.faults.route_scenario`), listed here and
  cleared with the scenarios, but kept and applied by the fault policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mock_provider.core.errors import InvalidInput
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour import fault_store
from mock_provider.core.misbehaviour.faults import ROUTE_SCENARIOS, FaultRule, route_scenario
from mock_provider.core.models import ScenarioEntry

UNDELIVERED_NUMBER = "+33699999999"
REJECTED_SURNAME = "rejet"
STOLEN_PREFIX = "VOLE"
BLURRED_PREFIX = "FLOU"
MISMATCH_BIRTH_DATE = date(1900, 1, 1)

KINDS = ("sms_undelivered", "review_reject", "review_delay", *ROUTE_SCENARIOS)
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
    if kind in ROUTE_SCENARIOS:
        return _alias_view(fault_store.add(session, route_scenario(kind, target, value), now))
    if value is not None and kind != "review_delay":
        raise InvalidInput(f"a {kind} scenario takes no value", code="invalid_scenario")
    if kind == "review_delay" and (value is None or not 0 < value <= 86_400):
        raise InvalidInput("value must be a delay of 1 to 86400 seconds", code="invalid_scenario")
    if kind == "review_reject" and target is not None and target not in REJECTION_REASONS:
        raise InvalidInput(f"reason must be one of {', '.join(REJECTION_REASONS)}", code="invalid_scenario")
    row = ScenarioEntry(id=new_id("scn"), kind=kind, target=target, value=value, created_at=now)
    session.add(row)
    return ScenarioView(row.id, row.kind, row.target, row.value, row.created_at)


def _alias_view(rule: FaultRule) -> ScenarioView:
    """A route scenario's fault rule, as the scenario that queued it."""
    spec = rule.spec
    value = spec.status if spec.alias == "route_error" else spec.delay_ms_max
    return ScenarioView(rule.id, spec.alias or "", spec.routes[0], value, rule.updated_at)


def pending(session: Session) -> list[ScenarioView]:
    rows = session.scalars(
        select(ScenarioEntry).where(ScenarioEntry.consumed_at.is_(None)).order_by(ScenarioEntry.created_at)
    ).all()
    queued = [ScenarioView(r.id, r.kind, r.target, r.value, r.created_at) for r in rows]
    aliases = [_alias_view(rule) for rule in fault_store.rules(session) if rule.spec.alias is not None]
    return sorted([*queued, *aliases], key=lambda view: view.created_at)


def clear_pending(session: Session) -> None:
    """Drop every pending entry (the route scenarios' fault rules too)."""
    session.execute(delete(ScenarioEntry).where(ScenarioEntry.consumed_at.is_(None)))
    fault_store.clear(session, aliases_only=True)


def consume(session: Session, kind: str, now: datetime) -> ScenarioView | None:
    """Take the oldest pending entry of that kind, if any."""
    row = session.scalars(
        select(ScenarioEntry)
        .where(ScenarioEntry.kind == kind, ScenarioEntry.consumed_at.is_(None))
        .order_by(ScenarioEntry.created_at)
        .limit(1)
        .with_for_update()
    ).first()
    if row is None:
        return None
    row.consumed_at = now
    return ScenarioView(row.id, row.kind, row.target, row.value, row.created_at)


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
