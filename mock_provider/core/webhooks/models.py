"""The webhooks' tables: subscriptions (webhook endpoints), events, deliveries and their attempts.

A delivery is one event for one subscription; it keeps its state (``pending``, ``successful``, ``failed``, as
Universign names them), when its next attempt is due on the mock clock, and the claim of the sender working on it
(a lease on the wall clock: see :mod:`mock_provider.core.webhooks.deliveries`). Everything lives in storage, so that
no delivery is lost across a restart. ``core/models.py`` imports this module, so that ``Database.create_schema``
creates these tables too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mock_provider.core.storage import Base, UtcDateTime


class WebhookSubscription(Base):
    """A webhook endpoint an operator registered: where to send which events."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The operator client that registered it: it sees, and is sent, only its own.
    owner: Mapped[str] = mapped_column(String(120), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: The event names, space-separated.
    events: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookEvent(Base):
    """An event as it is sent: its JSON envelope, made once, the same bytes for every subscription."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    owner: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One event for one subscription, until it is ``successful`` or ``failed``."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    #: No foreign key: a deleted subscription leaves its deliveries' history.
    subscription_id: Mapped[str] = mapped_column(String(40), index=True)
    owner: Mapped[str] = mapped_column(String(120), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: When the next attempt is due, on the mock clock (None once successful or failed).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: The sender working on it and until when (wall clock): a crashed sender's claim lapses.
    claimed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Insertion order (the mock clock can stand still): deliveries are attempted in this order.
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class WebhookAttempt(Base):
    """One try at a delivery: when, what the receiver answered (or the error), how long it took."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    #: The start of the receiver's answer (at most :data:`~mock_provider.core.webhooks.deliveries.BODY_CAP` bytes).
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    manual: Mapped[bool] = mapped_column(default=False)


class WebhookSetting(Base):
    """A named value of the webhooks shared by every worker (the signing key's id)."""

    __tablename__ = "webhook_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
