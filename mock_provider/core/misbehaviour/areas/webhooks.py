"""The rule switches of the webhooks: delivery, signature, retry schedule, the end of retries, event order.

Declarations only, listed by :mod:`mock_provider.core.misbehaviour.catalogue`; each section says where its switches
are honoured, with one guard style: ``if SWITCH in breakages:``.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.switch import declare

# -- honoured in mock_provider/core/webhooks/service.py ---------------------------------------------------------------

WEBHOOKS_NOT_SENT = declare(
    "webhooks_not_sent",
    rule="An event an operator subscribed to is delivered to its webhook endpoint.",
    check="webhooks.delivery.delivered",
)
WEBHOOK_BODY_NOT_AS_SIGNED = declare(
    "webhook_body_not_as_signed",
    rule="A delivery's signature is a detached JWS over the body exactly as sent, by a key of the published JWKS.",
    check="webhooks.delivery.signature_valid",
)
WEBHOOK_RETRY_TOO_SOON = declare(
    "webhook_retry_too_soon",
    rule="A failed delivery is retried 1 min, 5 min, 30 min... after each failed attempt, not sooner.",
    check="webhooks.delivery.retry_schedule",
)
WEBHOOK_RETRIED_FOREVER = declare(
    "webhook_retried_forever",
    rule="After the retry 48 h later fails, the delivery is failed: no attempt follows.",
    check="webhooks.delivery.failed_after_last_retry",
)
WEBHOOK_EVENTS_OUT_OF_ORDER = declare(
    "webhook_events_out_of_order",
    rule="A registration's events are delivered in the order of its states.",
    check="webhooks.delivery.event_order",
)
