"""Webhook endpoints (subscriptions): an operator registers where to send which events, lists and deletes its own.

The URL must be absolute ``https``, or ``http`` to a loopback host only (``localhost``, ``127.0.0.0/8``, ``::1``):
a receiver on the developer's machine or in CI needs no certificate, while anything else travels encrypted. Event
names must be among :data:`~mock_provider.core.webhooks.events.EVENT_TYPES`. Bad input raises
:class:`~mock_provider.core.errors.InvalidInput` (``invalid_webhook``) and stores nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mock_provider.core.errors import InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.webhooks.events import EVENT_TYPES, FAILED, PENDING
from mock_provider.core.webhooks.models import WebhookDelivery, WebhookSubscription

MAX_URL_LENGTH = 2000
MAX_NAME_LENGTH = 200


class SubscriptionJson(TypedDict):
    id: str
    url: str
    name: str | None
    events: list[str]
    created: str


@dataclass(frozen=True)
class Subscription:
    id: str
    owner: str
    url: str
    name: str | None
    events: tuple[str, ...]
    created_at: datetime

    @classmethod
    def of(cls, row: WebhookSubscription) -> Subscription:
        return cls(row.id, row.owner, row.url, row.name, tuple(row.events.split()), row.created_at)

    def as_json(self) -> SubscriptionJson:
        return {
            "id": self.id,
            "url": self.url,
            "name": self.name,
            "events": list(self.events),
            "created": self.created_at.isoformat(),
        }


def _invalid(field: str, code: str, detail: str) -> InvalidInput:
    return InvalidInput(
        f"{field}: {detail}", code="invalid_webhook", errors=[{"field": field, "code": code, "detail": detail}]
    )


def check_url(url: object) -> str:
    """``url`` if it may receive webhooks (see the module's docstring), else :class:`InvalidInput`."""
    if not isinstance(url, str) or not url:
        raise _invalid("url", "required", "an absolute http(s) URL")
    if len(url) > MAX_URL_LENGTH:
        raise _invalid("url", "too_long", f"at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise _invalid("url", "invalid", "an absolute http(s) URL") from exc
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise _invalid("url", "invalid", "an absolute http(s) URL, without credentials")
    if parts.scheme == "http" and not is_loopback(host):
        raise _invalid("url", "https_required", "https, or http to a loopback host (localhost, 127.0.0.1, ::1)")
    return url


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_events(events: object) -> tuple[str, ...]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise _invalid("events", "required", "a non-empty list of event names")
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise _invalid("events", "unknown_event", f"unknown: {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}")
    return tuple(dict.fromkeys(events))


def check_name(name: object) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH:
        raise _invalid("name", "invalid", f"a string of at most {MAX_NAME_LENGTH} characters")
    return name


def create(session: Session, owner: str, body: dict[str, Any], now: datetime) -> Subscription:
    url, events, name = check_url(body.get("url")), check_events(body.get("events")), check_name(body.get("name"))
    row = WebhookSubscription(
        id=new_id("whk"), owner=owner, url=url, name=name, events=" ".join(events), created_at=now
    )
    session.add(row)
    return Subscription.of(row)


def listed(session: Session, owner: str | None) -> list[Subscription]:
    """The subscriptions of ``owner`` (of everyone when None), oldest first."""
    query = select(WebhookSubscription).order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    if owner is not None:
        query = query.where(WebhookSubscription.owner == owner)
    return [Subscription.of(r) for r in session.scalars(query).all()]


def delete(session: Session, owner: str | None, subscription_id: str) -> None:
    """Delete a subscription of ``owner`` (anyone's when None); its pending deliveries fail, unsent. Another
    owner's subscription is "not found", as an unknown one."""
    row = session.get(WebhookSubscription, subscription_id, with_for_update=True)
    if row is None or (owner is not None and row.owner != owner):
        raise NotFound(f"no webhook {subscription_id}", code="webhook_not_found")
    session.delete(row)
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.state == PENDING)
        .values(state=FAILED, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
