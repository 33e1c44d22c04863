"""The webhooks plan: the trust provider pushes the events an operator subscribed to, signed, retried, in order.

Each check registers a webhook endpoint as the operator (``POST /webhooks`` at the trust provider) pointing at a
receiver this process runs on a loopback port (:class:`jesign_sdk.webhook_receiver.WebhookReceiver`), then makes
the events happen through the registration's public calls. The target must therefore run on this machine: for a
trust provider elsewhere the checks are SKIPPED, with the reason. The retry checks move the provider's clock
(harness capability ``clock``).

A harness that can move the clock moves it by nothing once the events are made: a provider whose retries follow
its clock (the mock) sends what is due then; any other sends on its own, which the checks wait for.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity
from jesign_sdk.webhook_receiver import ReceivedDelivery, WebhookReceiver
from jesign_sdk.webhooks import WebhookVerificationError, verify

UNIVERSIGN = "Universign developer documentation, Webhooks (apps.universign.com/docs/developer_tools/webhooks/)"
RETRIES = f"{UNIVERSIGN}: a failed delivery is retried after 1 min, 5 min, 30 min, 2 h, 6 h, 24 h, 48 h, then failed"
#: Universign's retry delays, in seconds.
RETRY_DELAYS = (60, 300, 1800, 7200, 21600, 86400, 172800)
#: A registration's states in the order it goes through them (the events ``registration.<state>``).
STATE_ORDER = (
    "created",
    "identity_submitted",
    "documents_submitted",
    "agreement_signed",
    "pending_validation",
    "certificate_issued",
    "rejected",
)
#: How long to wait for a delivery, in seconds.
WAIT = 5.0


@contextmanager
def receiving(ctx: CheckContext, events: list[str], *, status: int | None = None) -> Iterator[WebhookReceiver]:
    """A loopback receiver registered as the operator's webhook endpoint for ``events`` (answering ``status``, or
    200), deleted and closed afterwards."""
    host = urlsplit(ctx.target.base_url("trust")).hostname or ""
    if not _loopback(host):
        ctx.skip(f"the trust provider at {host} cannot reach a receiver on this machine's loopback address")
    with WebhookReceiver() as receiver:
        receiver.fail_always(status)
        answer = ctx.http.post(
            "trust",
            "/webhooks",
            json={"url": receiver.url, "events": events, "name": "jesign-conformance"},
            auth=steps.operator_auth(ctx),
        )
        hook = ctx.expect_status(answer, 201, what="registering the webhook endpoint (POST /webhooks)")
        try:
            yield receiver
        finally:
            ctx.http.delete("trust", f"/webhooks/{hook['id']}", auth=steps.operator_auth(ctx))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _nudge(ctx: CheckContext) -> None:
    """Let a provider whose deliveries follow its clock send what is due now (see the module's docstring)."""
    if "clock" in ctx.harness.capabilities:
        ctx.harness.advance_clock(0)


def _advance(ctx: CheckContext, seconds: float) -> None:
    ctx.harness.advance_clock(seconds)


def _received(ctx: CheckContext, receiver: WebhookReceiver, count: int, what: str) -> list[ReceivedDelivery]:
    try:
        return receiver.wait_for(count, timeout=WAIT)
    except AssertionError:
        ctx.fail(f"{what}: {len(receiver.deliveries)} deliveries received in {WAIT:g} s, {count} expected")


def _settled(receiver: WebhookReceiver) -> list[ReceivedDelivery]:
    """The deliveries once none has come for half a second."""
    seen = -1
    while seen != len(receiver.deliveries):
        seen = len(receiver.deliveries)
        time.sleep(0.5)
    return receiver.deliveries


def _jwks(ctx: CheckContext) -> dict[str, Any]:
    jwks: dict[str, Any] = ctx.expect_status(ctx.http.get("trust", "/webhooks/jwks.json"), 200, what="the JWKS")
    return jwks


@check(
    "webhooks.delivery.delivered",
    title="An event the operator subscribed to is delivered to its webhook endpoint",
    cites=(f"{UNIVERSIGN}: events are pushed to the registered endpoints", "DESIGN.md §5: webhooks"),
    severity=Severity.MAJOR,
)
def delivered(ctx: CheckContext) -> None:
    """The operator subscribes to ``registration.created`` and opens a registration: one ``POST`` reaches the
    endpoint, whose JSON body names the event and the registration."""
    with receiving(ctx, ["registration.created"]) as receiver:
        reg = steps.create(ctx)
        _nudge(ctx)
        first = _received(ctx, receiver, 1, "the registration's creation")[0]
    try:
        envelope = json.loads(first.body)
    except ValueError:
        ctx.fail("the delivery's body is not JSON")
    ctx.expect(envelope.get("type") == "registration.created", f"the event is {envelope.get('type')!r}")
    ctx.expect((envelope.get("data") or {}).get("id") == reg.id, "the event does not name the registration")


@check(
    "webhooks.delivery.signature_valid",
    title="A delivery is signed: a detached JWS over the body as sent, by a key of the published JWKS",
    cites=(
        f"{UNIVERSIGN}: deliveries are signed, the keys published as a JWKS",
        "RFC 7515 appendix F: detached content; RFC 7517 §5: JWK Set",
    ),
    severity=Severity.CRITICAL,
)
def signature_valid(ctx: CheckContext) -> None:
    """The delivery's ``Jesign-Signature`` verifies against ``/webhooks/jwks.json`` over the body exactly as
    received, and its signing time is the provider's clock (within 5 minutes)."""
    with receiving(ctx, ["registration.created"]) as receiver:
        steps.create(ctx)
        _nudge(ctx)
        first = _received(ctx, receiver, 1, "the registration's creation")[0]
    try:
        verify(first.body, first.headers, _jwks(ctx), now=ctx.target_now())
    except WebhookVerificationError as exc:
        ctx.fail(f"the delivery does not verify: {exc}")


@check(
    "webhooks.delivery.retry_schedule",
    title="A failed delivery is retried 1 min, 5 min and 30 min after each failed attempt, not sooner",
    cites=(RETRIES,),
    severity=Severity.MAJOR,
    needs=("clock",),
)
def retry_schedule(ctx: CheckContext) -> None:
    """The endpoint answers 500: the first three retries come when the provider's clock has moved on by their delay,
    and none a second before."""
    with receiving(ctx, ["registration.created"], status=500) as receiver:
        steps.create(ctx)
        _nudge(ctx)
        _received(ctx, receiver, 1, "the first attempt")
        for number, delay in enumerate(RETRY_DELAYS[:3], start=2):
            _advance(ctx, delay - 1)
            time.sleep(0.2)
            early = len(receiver.deliveries)
            ctx.expect(early == number - 1, f"attempt {number} came before {delay} s had passed")
            _advance(ctx, 1)
            _received(ctx, receiver, number, f"attempt {number}, {delay} s after the one before")


@check(
    "webhooks.delivery.failed_after_last_retry",
    title="After the retry 48 h later fails, no attempt follows: the delivery is failed",
    cites=(RETRIES,),
    severity=Severity.MINOR,
    needs=("clock",),
)
def failed_after_last_retry(ctx: CheckContext) -> None:
    """The endpoint answers 500 throughout: eight attempts in all (the first and seven retries), then nothing
    though the clock moves on four more days."""
    with receiving(ctx, ["registration.created"], status=500) as receiver:
        steps.create(ctx)
        _nudge(ctx)
        _received(ctx, receiver, 1, "the first attempt")
        for number, delay in enumerate(RETRY_DELAYS, start=2):
            _advance(ctx, delay)
            _received(ctx, receiver, number, f"attempt {number}")
        _advance(ctx, 4 * 86400)
        time.sleep(0.5)
        count = len(receiver.deliveries)
    ctx.expect(count == 1 + len(RETRY_DELAYS), f"{count} attempts: retried after the last 48-hour retry")


@check(
    "webhooks.delivery.event_order",
    title="A registration's events are delivered in the order of its states",
    cites=(f"{UNIVERSIGN}: events", "docs/webhooks.md: a registration's events come in the order of its states"),
    severity=Severity.MINOR,
)
def event_order(ctx: CheckContext) -> None:
    """Subscribed to every ``registration.*`` event, the operator sees a registration walked to the signed
    agreement: its events arrive created, identity_submitted, documents_submitted, agreement_signed,
    pending_validation (then the decision), each once."""
    events = [f"registration.{state}" for state in STATE_ORDER]
    with receiving(ctx, events) as receiver:
        reg = steps.walk(ctx, "signed")
        _nudge(ctx)
        _received(ctx, receiver, 5, "the registration's first five states")
        got = _settled(receiver)
    states = []
    for delivery in got:
        envelope = json.loads(delivery.body)
        if (envelope.get("data") or {}).get("id") == reg.id:
            states.append(str(envelope.get("type", "")).removeprefix("registration."))
    ranks = [STATE_ORDER.index(s) if s in STATE_ORDER else -1 for s in states]
    ctx.expect(ranks == sorted(set(ranks)) and -1 not in ranks, f"the events came in this order: {', '.join(states)}")
    ctx.expect(states[:5] == list(STATE_ORDER[:5]), f"the first events are {', '.join(states[:5])}")
