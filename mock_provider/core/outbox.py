"""The outbox: every SMS and e-mail the mock "sends" lands here instead of a phone or a mailbox.

Developers read it through the control plane (``/_mock/outbox``), and automated tests take the latest SMS code
for a number from it. A message to a scenario number (see :mod:`mock_provider.core.misbehaviour.scenarios`) is
kept but marked undelivered, as a phone that never receives it. An e-mail may carry attachments (:class:`Attachment`):
the listing names them, :func:`attachment` gives one's content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core.ids import new_id
from mock_provider.core.models import OutboxAttachment, OutboxMessage
from mock_provider.core.storage import next_in_sequence


@dataclass(frozen=True)
class Attachment:
    """A file to attach to an e-mail."""

    name: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class AttachmentView:
    id: str
    name: str
    media_type: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "media_type": self.media_type, "size": self.size}


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
    attachments: tuple[AttachmentView, ...] = ()

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
            "attachments": [a.as_json() for a in self.attachments],
        }


def _view(row: OutboxMessage, attachments: Sequence[AttachmentView] = ()) -> MessageView:
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
        tuple(attachments),
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
    attachments: Sequence[Attachment] = (),
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
    attached = []
    for file in attachments:
        kept = OutboxAttachment(
            id=new_id("att"),
            message_id=row.id,
            name=file.name,
            media_type=file.media_type,
            size=len(file.content),
            content=file.content,
        )
        session.add(kept)
        attached.append(AttachmentView(kept.id, file.name, file.media_type, len(file.content)))
    return _view(row, attached)


def messages(
    session: Session, *, channel: str | None = None, recipient: str | None = None, limit: int = 100
) -> list[MessageView]:
    query = select(OutboxMessage).order_by(OutboxMessage.seq.desc()).limit(limit)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    rows = session.scalars(query).all()
    files: dict[str, list[AttachmentView]] = {}
    if any(row.channel == "email" for row in rows):
        listed = select(
            OutboxAttachment.id,
            OutboxAttachment.message_id,
            OutboxAttachment.name,
            OutboxAttachment.media_type,
            OutboxAttachment.size,
        ).where(OutboxAttachment.message_id.in_([row.id for row in rows]))
        for file_id, message_id, name, media_type, size in session.execute(listed.order_by(OutboxAttachment.id)):
            files.setdefault(message_id, []).append(AttachmentView(file_id, name, media_type, size))
    return [_view(row, files.get(row.id, ())) for row in rows]


def attachment(session: Session, message_id: str, attachment_id: str) -> Attachment | None:
    """One attachment's file, or None if that message has no such attachment."""
    row = session.get(OutboxAttachment, attachment_id)
    if row is None or row.message_id != message_id:
        return None
    return Attachment(row.name, row.media_type, row.content)


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
