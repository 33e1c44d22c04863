"""The webhooks service of one app: subscriptions, the JWKS, the deliveries and the sender that sends them.

Due deliveries are sent two ways, which may run at once (the claim keeps each attempt single):

- a background :class:`Sender` thread, started by whoever serves the app (``jesign-mock serve``, the pytest
  plugin's mock, a test's live mock): it looks for due deliveries every :data:`POLL_SECONDS`;
- :meth:`Webhooks.settle`, called by the control plane after it moved the clock, so that advancing the mock clock
  makes the due retries happen before its answer.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mock_provider.core.clock import Clock
from mock_provider.core.errors import Conflict, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.webhooks import (
    WEBHOOK_BODY_NOT_AS_SIGNED,
    WEBHOOK_EVENTS_OUT_OF_ORDER,
    WEBHOOK_RETRIED_FOREVER,
    WEBHOOK_RETRY_TOO_SOON,
    WEBHOOKS_NOT_SENT,
)
from mock_provider.core.misbehaviour.switches import Breakages
from mock_provider.core.pki.keys import KeyVault
from mock_provider.core.storage import Database
from mock_provider.core.webhooks import deliveries, subscriptions
from mock_provider.core.webhooks.deliveries import DeliveryView, Policy
from mock_provider.core.webhooks.keys import WebhookSigningKey
from mock_provider.core.webhooks.models import WebhookDelivery
from mock_provider.core.webhooks.subscriptions import Subscription

#: How often the sender looks for due deliveries, in seconds of the wall clock.
POLL_SECONDS = 0.5

log = logging.getLogger(__name__)


class Webhooks:
    """Subscriptions per operator, the signing key's JWKS, and the deliveries (see the module's docstring)."""

    def __init__(self, db: Database, clock: Clock, vault: KeyVault, breakages: Breakages) -> None:
        self.db = db
        self.clock = clock
        self.breakages = breakages
        self.key = WebhookSigningKey(db, vault)
        self._sender: Sender | None = None

    def _now(self) -> datetime:
        return self.clock.now().replace(microsecond=0)

    def subscribe(self, owner: str, body: dict[str, Any]) -> Subscription:
        with self.db.transaction() as session:
            return subscriptions.create(session, owner, body, self._now())

    def subscriptions(self, owner: str | None) -> list[Subscription]:
        """``owner``'s subscriptions, or everyone's (the control plane) when None."""
        with self.db.read() as session:
            return subscriptions.listed(session, owner)

    def unsubscribe(self, owner: str | None, subscription_id: str) -> None:
        with self.db.transaction() as session:
            subscriptions.delete(session, owner, subscription_id)

    def jwks(self) -> dict[str, Any]:
        return self.key.public_jwks(self._now())

    def deliveries(self, *, state: str | None = None, limit: int = 100) -> list[DeliveryView]:
        """The deliveries, newest first, with their attempts."""
        query = select(WebhookDelivery).order_by(WebhookDelivery.seq.desc()).limit(limit)
        if state is not None:
            query = query.where(WebhookDelivery.state == state)
        with self.db.read() as session:
            return deliveries.views(session, query)

    def delivery(self, delivery_id: str) -> DeliveryView:
        with self.db.read() as session:
            found = deliveries.views(session, select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))
        if not found:
            raise NotFound(f"no webhook delivery {delivery_id}", code="webhook_delivery_not_found")
        return found[0]

    def redeliver(self, delivery_id: str) -> DeliveryView:
        """Send a delivery once more, now, whatever its state: a 2xx makes it ``successful``; a failure leaves its
        state and schedule as they were."""
        self.delivery(delivery_id)
        sender = new_id("snd")
        if not deliveries.claim(self.db, delivery_id, sender, None):
            raise Conflict("a sender is sending this delivery: try again", code="webhook_delivery_busy")
        deliveries.attempt(self.db, self.key, delivery_id, sender, self._now(), manual=True, policy=self._policy())
        return self.delivery(delivery_id)

    def settle(self, sender: str | None = None) -> int:
        """Attempt every delivery due on the mock clock that no other sender has claimed; answer how many."""
        if WEBHOOKS_NOT_SENT in self.breakages:
            return 0
        sender = sender or new_id("snd")
        policy = self._policy()
        sent = 0
        while True:
            now = self._now()
            due = deliveries.due_ids(self.db, now, newest_first=policy.newest_first)
            taken = [d for d in due if deliveries.claim(self.db, d, sender, now)]
            for delivery_id in taken:
                deliveries.attempt(self.db, self.key, delivery_id, sender, now, policy=policy)
            sent += len(taken)
            if len(due) < 50 or not taken:
                return sent

    def _policy(self) -> Policy:
        """The delivery rules, as the rule-breakage switches that are on leave them."""
        on = self.breakages.snapshot()
        too_soon = WEBHOOK_RETRY_TOO_SOON in on
        return Policy(
            retry_delays=tuple(d // 6 for d in deliveries.RETRY_DELAYS) if too_soon else deliveries.RETRY_DELAYS,
            retry_forever=WEBHOOK_RETRIED_FOREVER in on,
            unsigned_suffix=b"\n" if WEBHOOK_BODY_NOT_AS_SIGNED in on else b"",
            newest_first=WEBHOOK_EVENTS_OUT_OF_ORDER in on,
        )

    def start_sender(self) -> Sender:
        """Start this process's background sender (once)."""
        if self._sender is None:
            self._sender = Sender(self)
            self._sender.start()
        return self._sender

    def stop_sender(self) -> None:
        if self._sender is not None:
            self._sender.stop()
            self._sender = None


class Sender:
    """A daemon thread that settles due deliveries (see the module's docstring)."""

    def __init__(self, webhooks: Webhooks) -> None:
        self._webhooks = webhooks
        self.id = new_id("snd")
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="jesign-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            if self._stopped.is_set():
                return
            try:
                self._webhooks.settle(self.id)
            except Exception:  # a database hiccup must not end the thread: the next turn tries again
                log.exception("webhook sender")
