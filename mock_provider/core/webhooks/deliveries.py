"""Sending a delivery: the claim, one attempt over HTTP, and the retry schedule.

A delivery is attempted at once, then, while the receiver does not answer 2xx, again after 1 min, 5 min, 30 min,
2 h, 6 h, 24 h and 48 h (Universign's published schedule, each delay counted on the mock clock from the attempt
before), staying ``pending`` meanwhile; the attempt after the last delay failing, it is ``failed``.

At most one sender works on a delivery: :func:`claim` is a conditional UPDATE (the delivery still due, and no
other sender's claim running), whose row count says who won, on SQLite and PostgreSQL alike. A claim is a lease
on the wall clock (:data:`LEASE`): a sender that dies mid-attempt leaves a claim that lapses, and the delivery is
taken again. The attempt itself runs outside any transaction, bounded by :data:`TIMEOUT` seconds; only the first
:data:`BODY_CAP` bytes of the answer are read and kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mock_provider.core.storage import Database, rows_changed
from mock_provider.core.webhooks.events import FAILED, PENDING, SUCCESSFUL
from mock_provider.core.webhooks.keys import SIGNATURE_HEADER, WebhookSigningKey
from mock_provider.core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent

#: The delays before each retry, in seconds (Universign's: 1 min, 5 min, 30 min, 2 h, 6 h, 24 h, 48 h).
RETRY_DELAYS = (60, 300, 1800, 7200, 21600, 86400, 172800)
#: How long an attempt may take (connect, then each read), in seconds.
TIMEOUT = 5.0
#: How long a claim holds (wall clock): longer than any attempt.
LEASE = timedelta(seconds=30)
#: How much of a receiver's answer is kept.
BODY_CAP = 1024
USER_AGENT = "jesign-mock-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status (and the start of the body), or an error."""

    status: int | None
    error: str | None
    duration_ms: int
    body: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class AttemptView:
    number: int
    at: datetime
    status: int | None
    error: str | None
    duration_ms: int
    response_body: str | None
    manual: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "at": self.at.isoformat(),
            "status": self.status,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "response_body": self.response_body,
            "manual": self.manual,
        }


@dataclass(frozen=True)
class DeliveryView:
    id: str
    event_id: str
    event_type: str
    subscription_id: str
    owner: str
    url: str
    state: str
    next_attempt_at: datetime | None
    created_at: datetime
    attempts: tuple[AttemptView, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": {"id": self.event_id, "type": self.event_type},
            "webhook_id": self.subscription_id,
            "operator": self.owner,
            "url": self.url,
            "state": self.state,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "created": self.created_at.isoformat(),
            "attempts": [a.as_json() for a in self.attempts],
        }


@dataclass(frozen=True)
class Policy:
    """How deliveries are made: the rules, or a rule-breakage switch's broken version of one."""

    retry_delays: tuple[int, ...] = RETRY_DELAYS
    #: After the last delay, retry again (every last delay) instead of failing.
    retry_forever: bool = False
    #: Appended to the body after signing it.
    unsigned_suffix: bytes = b""
    #: Due deliveries taken newest event first.
    newest_first: bool = False


def due_ids(db: Database, now: datetime, limit: int = 50, *, newest_first: bool = False) -> list[str]:
    """The deliveries due at ``now`` (mock clock), in the order of their events."""
    order = WebhookDelivery.seq.desc() if newest_first else WebhookDelivery.seq
    with db.read() as session:
        return list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.state == PENDING, WebhookDelivery.next_attempt_at <= now)
                .order_by(order)
                .limit(limit)
            ).all()
        )


def claim(db: Database, delivery_id: str, sender: str, now: datetime | None) -> bool:
    """Take ``delivery_id`` for ``sender``: True for exactly one of the senders that try at once. With ``now``
    (mock clock), only if it is still pending and due then; without, in any state (a manual redelivery)."""
    wall = datetime.now(UTC)
    statement = update(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id,
        or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < wall),
    )
    if now is not None:
        statement = statement.where(WebhookDelivery.state == PENDING, WebhookDelivery.next_attempt_at <= now)
    with db.transaction() as session:
        return rows_changed(session, statement.values(claimed_by=sender, claimed_until=wall + LEASE)) == 1


def attempt(
    db: Database,
    key: WebhookSigningKey,
    delivery_id: str,
    sender: str,
    now: datetime,
    *,
    manual: bool = False,
    policy: Policy = Policy(),
) -> Outcome | None:
    """Send a claimed delivery once, signed at ``now`` (mock clock), and record the outcome; the claim ends. None
    when the delivery is gone meanwhile (a reset)."""
    with db.read() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        event = session.get(WebhookEvent, delivery.event_id) if delivery is not None else None
        if delivery is None or event is None:
            return None
        url, body, event_type = delivery.url, event.body.encode(), event.type
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: key.sign(body, now),
        "Jesign-Event": event_type,
        "Jesign-Delivery": delivery_id,
    }
    outcome = post(url, body + policy.unsigned_suffix, headers)
    with db.transaction() as session:
        _record(session, delivery_id, sender, now, outcome, manual=manual, policy=policy)
    return outcome


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url``: no redirect followed, no proxy from the environment, :data:`TIMEOUT` bounded."""
    started = time.monotonic()
    try:
        with requests.Session() as http:
            http.trust_env = False
            with http.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False, stream=True) as r:
                raw = r.raw.read(BODY_CAP, decode_content=True) or b""
                status = r.status_code
    except (requests.RequestException, OSError) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], _since(started))
    return Outcome(status, None, _since(started), raw.decode("utf-8", "replace"))


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _record(
    session: Session, delivery_id: str, sender: str, now: datetime, outcome: Outcome, *, manual: bool, policy: Policy
) -> None:
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        return  # deleted while it was being sent (a reset): nothing to record
    number = len(session.scalars(select(WebhookAttempt.id).where(WebhookAttempt.delivery_id == delivery_id)).all())
    session.add(
        WebhookAttempt(
            delivery_id=delivery_id,
            number=number + 1,
            at=now,
            status=outcome.status,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response_body=outcome.body,
            manual=manual,
        )
    )
    if delivery.claimed_by != sender:
        return  # our claim lapsed and another sender took it: it decides what comes next
    delivery.claimed_by = delivery.claimed_until = None
    if outcome.delivered:
        delivery.state, delivery.next_attempt_at = SUCCESSFUL, None
    elif not manual and delivery.state == PENDING:
        delivery.attempts += 1
        delays = policy.retry_delays
        if delivery.attempts <= len(delays) or policy.retry_forever:
            delivery.next_attempt_at = now + timedelta(seconds=delays[min(delivery.attempts, len(delays)) - 1])
        else:
            delivery.state, delivery.next_attempt_at = FAILED, None


def views(session: Session, query: Any) -> list[DeliveryView]:
    """The deliveries ``query`` selects, with their event's type and their attempts."""
    rows = session.scalars(query).all()
    ids = [r.id for r in rows]
    events = select(WebhookEvent.id, WebhookEvent.type).where(WebhookEvent.id.in_([r.event_id for r in rows]))
    types = {event_id: event_type for event_id, event_type in session.execute(events)}
    attempts: dict[str, list[AttemptView]] = {}
    for a in session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)).order_by(WebhookAttempt.id)
    ).all():
        attempts.setdefault(a.delivery_id, []).append(
            AttemptView(a.number, a.at, a.status, a.error, a.duration_ms, a.response_body, a.manual)
        )
    return [
        DeliveryView(
            r.id,
            r.event_id,
            types.get(r.event_id, ""),
            r.subscription_id,
            r.owner,
            r.url,
            r.state,
            r.next_attempt_at,
            r.created_at,
            tuple(attempts.get(r.id, ())),
        )
        for r in rows
    ]
