"""The append-only event log (DESIGN.md section 2): who did what, when, from which state to which.

It is also the certificate life-cycle log that the subscription agreement promises to keep. Rows are only ever
added, in the same transaction as the change they record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mock_provider.core.ids import new_id
from mock_provider.core.models import Event
from mock_provider.core.storage import next_in_sequence


class EventJson(TypedDict):
    """One entry of an event log (:meth:`EventView.as_json`)."""

    id: str
    subject_type: str
    subject_id: str
    actor: str | None
    action: str
    from_state: str | None
    to_state: str | None
    at: str
    detail: dict[str, object] | None


@dataclass(frozen=True)
class EventView:
    id: str
    subject_type: str
    subject_id: str
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    at: datetime
    detail: dict[str, Any] | None

    def as_json(self) -> EventJson:
        return {
            "id": self.id,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "actor": self.actor,
            "action": self.action,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "at": self.at.isoformat(),
            "detail": self.detail,
        }


def record(
    session: Session,
    *,
    subject_type: str,
    subject_id: str,
    actor: str,
    action: str,
    at: datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
    related_id: str | None = None,
) -> None:
    seq = next_in_sequence(session, Event.seq)
    session.add(
        Event(
            id=new_id("evt"),
            subject_type=subject_type,
            subject_id=subject_id,
            actor=actor,
            action=action,
            from_state=from_state,
            to_state=to_state,
            detail=json.dumps(detail, sort_keys=True) if detail else None,
            related_id=related_id,
            at=at,
            seq=seq,
        )
    )


def history(session: Session, subject_id: str) -> list[EventView]:
    """Events about ``subject_id`` and those related to it (a registration's certificates), in order."""
    rows = session.scalars(
        select(Event).where(or_(Event.subject_id == subject_id, Event.related_id == subject_id)).order_by(Event.seq)
    ).all()
    return [
        EventView(
            r.id,
            r.subject_type,
            r.subject_id,
            r.actor,
            r.action,
            r.from_state,
            r.to_state,
            r.at,
            json.loads(r.detail) if r.detail else None,
        )
        for r in rows
    ]
