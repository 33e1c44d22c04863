"""The outbox: every SMS and e-mail the mock "sends" lands here instead of a phone or a mailbox.

Developers read it through the control plane (``/_mock/outbox``), and automated tests take the latest SMS code
for a number from it. A message to a scenario number (see :mod:`mock_provider.core.misbehaviour.scenarios`) is
kept but marked undelivered, as a phone that never receives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core.ids import new_id
from mock_provider.core.models import OutboxMessage
from mock_provider.core.storage import next_in_sequence


@dataclass(frozen=True)
class MessageView:
    id: str
    channel: str
    recipient: str
    subject: str | None
    body: str
    otp_code: str | None
    delivered: bool
    related_id: str | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "recipient": self.recipient,
            "subject": self.subject,
            "body": self.body,
            "otp_code": self.otp_code,
            "delivered": self.delivered,
            "related_id": self.related_id,
            "created_at": self.created_at.isoformat(),
        }


def _view(row: OutboxMessage) -> MessageView:
    return MessageView(
        row.id,
        row.channel,
        row.recipient,
        row.subject,
        row.body,
        row.otp_code,
        row.delivered,
        row.related_id,
        row.created_at,
    )


def send(
    session: Session,
    *,
    channel: str,
    recipient: str,
    body: str,
    at: datetime,
    subject: str | None = None,
    otp_code: str | None = None,
    delivered: bool = True,
    related_id: str | None = None,
) -> MessageView:
    row = OutboxMessage(
        id=new_id("msg"),
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        otp_code=otp_code,
        delivered=delivered,
        related_id=related_id,
        created_at=at,
        seq=next_in_sequence(session, OutboxMessage.seq),
    )
    session.add(row)
    return _view(row)


def messages(
    session: Session, *, channel: str | None = None, recipient: str | None = None, limit: int = 100
) -> list[MessageView]:
    query = select(OutboxMessage).order_by(OutboxMessage.seq.desc()).limit(limit)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return [_view(row) for row in session.scalars(query).all()]


def latest_otp(session: Session, phone_number: str) -> MessageView | None:
    """The most recent delivered SMS carrying a code to that number."""
    row = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == "sms",
            OutboxMessage.recipient == phone_number,
            OutboxMessage.otp_code.is_not(None),
            OutboxMessage.delivered.is_(True),
        )
        .order_by(OutboxMessage.seq.desc())
        .limit(1)
    ).first()
    return _view(row) if row else None
