"""The events the mock sends as webhooks, their names, their envelope, and :func:`emit`, which queues them.

Names: Universign publishes its list (:data:`UNIVERSIGN_EVENTS`); of it the mock sends
``identity-validation.processed`` (when the trust provider has checked an identity: here, when the review of step 5
decides) and ``transaction.lifecycle.created``, ``.started``, ``.cancelled``, ``.expired`` (from
:mod:`mock_provider.core.transactions`), and accepts subscriptions to the rest, which it will send once it plays the
signer's pages and API keys, emitted the same way. ``registration.<state>``, one per state a trust registration
reaches, are the mock's own (Universign's hosted registration publishes none).

The envelope (the mock's own shape) is a JSON object: ``id`` (``evt_…``, the same for every subscription), ``type``
(the event's name), ``created`` (ISO 8601 on the mock clock) and ``data`` (the object the event is about).

:func:`emit` is called by whoever makes the change, inside its transaction: the event and one delivery per
subscription of the owner that asked for its name are stored with the change, or not at all.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core.ids import new_id
from mock_provider.core.storage import next_in_sequence
from mock_provider.core.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription

IDENTITY_VALIDATION_PROCESSED = "identity-validation.processed"

#: Universign's published event names (apps.universign.com/docs/developer_tools/webhooks/).
UNIVERSIGN_EVENTS = (
    "apikey.created",
    "apikey.updated",
    "apikey.deleted",
    "transaction.lifecycle.created",
    "transaction.lifecycle.started",
    "transaction.lifecycle.paused",
    "transaction.lifecycle.cancelled",
    "transaction.lifecycle.expired",
    "transaction.lifecycle.completed",
    "transaction.chat.message.received",
    "action.opened",
    "action.closed",
    "action.stalled",
    "action.manualreminder.sent",
    "action.reminder.sent",
    "action.waitingperiod.cancelled",
    "action.waitingperiod.ended",
    IDENTITY_VALIDATION_PROCESSED,
)

#: The trust registration's states, each an event ``registration.<state>`` (the mock's own names).
REGISTRATION_STATES = (
    "created",
    "identity_submitted",
    "documents_submitted",
    "agreement_signed",
    "pending_validation",
    "certificate_issued",
    "rejected",
    "cancelled",
    # Sent when the mock finds the 7-day session over: on the next call that reads or moves the registration.
    "expired",
)

#: Every event name a subscription may ask for: Universign's, then the mock's own.
EVENT_TYPES = (*UNIVERSIGN_EVENTS, *(f"registration.{state}" for state in REGISTRATION_STATES))

PENDING, SUCCESSFUL, FAILED = "pending", "successful", "failed"


def emit(session: Session, *, owner: str, type: str, data: dict[str, Any], at: datetime) -> str | None:
    """Queue the event ``type`` about ``data`` for each subscription of ``owner`` that asked for it, in the
    caller's transaction; answer the event's id, or None when no subscription wanted it (nothing is stored)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {type!r}")
    subscriptions = [
        s
        for s in session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.owner == owner).order_by(WebhookSubscription.id)
        ).all()
        if type in s.events.split()
    ]
    if not subscriptions:
        return None
    event_id = new_id("evt")
    envelope = {"id": event_id, "type": type, "created": at.isoformat(), "data": data}
    session.add(
        WebhookEvent(id=event_id, type=type, owner=owner, body=json.dumps(envelope, sort_keys=True), created_at=at)
    )
    session.flush()  # the deliveries reference it (no ORM relationship orders the inserts)
    seq = next_in_sequence(session, WebhookDelivery.seq)
    for offset, subscription in enumerate(subscriptions):
        session.add(
            WebhookDelivery(
                id=new_id("dlv"),
                event_id=event_id,
                subscription_id=subscription.id,
                owner=owner,
                url=subscription.url,
                state=PENDING,
                attempts=0,
                next_attempt_at=at,
                created_at=at,
                seq=seq + offset,
            )
        )
    return event_id
