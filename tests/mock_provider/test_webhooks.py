"""Webhooks over HTTP against a served mock: the operator's endpoints, the signed deliveries (checked with joserfc
directly and with the SDK), the retry schedule on the mock clock, the claim under parallel senders, a restart."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet
from joserfc.registry import HeaderParameter
from sqlalchemy import update

from jesign_sdk.webhook_receiver import WebhookReceiver
from jesign_sdk.webhooks import JwksFetcher, WebhookSignatureError, verify
from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.models import OAuthClient
from mock_provider.core.webhooks import deliveries
from mock_provider.core.webhooks.models import WebhookDelivery
from mock_provider.pytest_plugin import MockServer
from tests.helpers.documents import colour_png
from tests.helpers.mock import LiveMock, memory_config
from tests.helpers.registration import OPERATOR_HEADERS, colour_image, create_registration, td1, walk_to_signed
from tests.helpers.serve import serving

#: joserfc taught the ``iat`` header parameter: the tests verify with it, not with the SDK's code.
REGISTRY = jws.JWSRegistry(header_registry={"iat": HeaderParameter("signing time", "int", True)}, algorithms=["ES256"])
REGISTRATION_EVENTS = [
    "registration.created",
    "registration.identity_submitted",
    "registration.documents_submitted",
    "registration.agreement_signed",
    "registration.pending_validation",
    "identity-validation.processed",
    "registration.certificate_issued",
]
RETRY_DELAYS = [60, 300, 1800, 7200, 21600, 86400, 172800]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as found:
        yield found


def subscribe(base: str, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    answer = requests.post(
        f"{base}/trust/v1/webhooks", json={"url": url, "events": events, **extra}, headers=OPERATOR_HEADERS, timeout=10
    )
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def joserfc_verify(body: bytes, signature: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify a delivery with joserfc alone: the detached compact JWS over the body, the key by its kid."""
    verified = jws.deserialize_compact(signature, KeySet.import_key_set(jwks), payload=body, registry=REGISTRY)
    return dict(verified.headers())


def test_a_subscription_receives_a_registrations_events_in_order_signed(
    live_mock: LiveMock, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    subscription = subscribe(live_mock.url, receiver.url, REGISTRATION_EVENTS, name="CI")
    assert subscription["id"].startswith("whk_")
    assert subscription["name"] == "CI"
    live_mock.services.webhooks.start_sender()
    try:
        reg = walk_to_signed(live_mock.app.test_client())
        got = receiver.wait_for(len(REGISTRATION_EVENTS))
    finally:
        live_mock.services.webhooks.stop_sender()
    jwks = requests.get(f"{live_mock.url}/trust/v1/webhooks/jwks.json", timeout=10).json()
    assert [key["alg"] for key in jwks["keys"]] == ["ES256"]
    assert all("d" not in key for key in jwks["keys"])
    types = []
    for delivery in got:
        signature = delivery.headers["Jesign-Signature"]
        payload_part = signature.split(".")[1]
        assert payload_part == ""  # detached
        protected = joserfc_verify(delivery.body, signature, jwks)
        assert protected["kid"] == jwks["keys"][0]["kid"]
        assert protected["iat"] == int(clock.now().timestamp())
        event = verify(delivery.body, delivery.headers, jwks, now=clock.now())
        envelope = json.loads(delivery.body)
        assert (event.id, event.type) == (envelope["id"], envelope["type"])
        assert event.id.startswith("evt_")
        assert delivery.headers["Jesign-Event"] == event.type
        types.append(event.type)
    assert types == REGISTRATION_EVENTS
    first = verify(got[0].body, got[0].headers, jwks, now=clock.now())
    assert first.data == {"object": "registration", "id": reg["id"], "state": "created", "previous_state": None}
    processed = verify(got[5].body, got[5].headers, jwks, now=clock.now())
    assert processed.data["status"] == "valid"
    listed = requests.get(f"{live_mock.url}/_mock/webhooks/deliveries", timeout=10).json()["data"]
    assert {d["state"] for d in listed} == {"successful"}
    assert all(len(d["attempts"]) == 1 and d["attempts"][0]["status"] == 200 for d in listed)


def test_a_tampered_delivery_is_refused(live_mock: LiveMock, receiver: WebhookReceiver, clock: ManualClock) -> None:
    subscribe(live_mock.url, receiver.url, ["registration.created"])
    create_registration(live_mock.app.test_client())
    assert requests.post(f"{live_mock.url}/_mock/webhooks/deliveries/settle", timeout=10).json() == {"sent": 1}
    delivery = receiver.wait_for(1)[0]
    jwks = requests.get(f"{live_mock.url}/trust/v1/webhooks/jwks.json", timeout=10).json()
    tampered = delivery.body.replace(b"registration.created", b"registration.cancelled")
    with pytest.raises(BadSignatureError):
        joserfc_verify(tampered, delivery.headers["Jesign-Signature"], jwks)
    with pytest.raises(WebhookSignatureError):
        verify(tampered, delivery.headers, jwks, now=clock.now())


def test_failed_deliveries_are_retried_on_the_schedule_then_failed(
    live_mock: LiveMock, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    """1 min, 5 min, 30 min, 2 h, 6 h, 24 h, 48 h after each failed attempt, as the mock clock moves; then failed."""
    subscribe(live_mock.url, receiver.url, ["registration.created"])
    receiver.fail_always(500)
    create_registration(live_mock.app.test_client())
    start = clock.now().replace(microsecond=0)
    base = live_mock.url
    assert requests.post(f"{base}/_mock/webhooks/deliveries/settle", timeout=10).json() == {"sent": 1}
    for number, delay in enumerate(RETRY_DELAYS, start=2):
        requests.post(f"{base}/_mock/clock/advance", json={"seconds": delay - 1}, timeout=10)
        assert len(receiver.deliveries) == number - 1  # not due yet
        requests.post(f"{base}/_mock/clock/advance", json={"seconds": 1}, timeout=10)
        assert len(receiver.deliveries) == number  # the clock's move sent the due retry before answering
    (delivery,) = requests.get(f"{base}/_mock/webhooks/deliveries", timeout=10).json()["data"]
    assert delivery["state"] == "failed"
    assert delivery["next_attempt_at"] is None
    times = [datetime.fromisoformat(a["at"]) for a in delivery["attempts"]]
    assert [int((t - start).total_seconds()) for t in times] == [0, *_running_sums(RETRY_DELAYS)]
    assert {a["status"] for a in delivery["attempts"]} == {500}
    # Redelivered by hand once the receiver is back: successful.
    receiver.fail_always(None)
    answer = requests.post(f"{base}/_mock/webhooks/deliveries/{delivery['id']}/redeliver", timeout=10).json()
    assert answer["state"] == "successful"
    assert answer["attempts"][-1] == {**answer["attempts"][-1], "status": 200, "manual": True}


def _running_sums(delays: list[int]) -> list[int]:
    total, sums = 0, []
    for delay in delays:
        total += delay
        sums.append(total)
    return sums


def test_a_pending_delivery_waits_while_the_receiver_fails_then_succeeds(
    live_mock: LiveMock, receiver: WebhookReceiver
) -> None:
    subscribe(live_mock.url, receiver.url, ["registration.created"])
    receiver.fail_next(1, status=503)
    create_registration(live_mock.app.test_client())
    base = live_mock.url
    requests.post(f"{base}/_mock/webhooks/deliveries/settle", timeout=10)
    (pending,) = requests.get(f"{base}/_mock/webhooks/deliveries", timeout=10).json()["data"]
    assert pending["state"] == "pending"
    assert pending["attempts"][0]["status"] == 503
    assert pending["attempts"][0]["response_body"] == "no"
    requests.post(f"{base}/_mock/clock/advance", json={"seconds": 60}, timeout=10)
    (done,) = requests.get(f"{base}/_mock/webhooks/deliveries", timeout=10).json()["data"]
    assert done["state"] == "successful"
    assert len(receiver.deliveries) == 2


def test_an_unreachable_receiver_is_an_error_attempt(live_mock: LiveMock, receiver: WebhookReceiver) -> None:
    url = receiver.url
    receiver.close()  # nobody listens there any more
    subscribe(live_mock.url, url, ["registration.created"])
    create_registration(live_mock.app.test_client())
    requests.post(f"{live_mock.url}/_mock/webhooks/deliveries/settle", timeout=10)
    (delivery,) = requests.get(f"{live_mock.url}/_mock/webhooks/deliveries", timeout=10).json()["data"]
    assert delivery["state"] == "pending"
    assert delivery["attempts"][0]["status"] is None
    assert "ConnectionError" in delivery["attempts"][0]["error"]


# -- the operator's endpoints ---------------------------------------------------------------------------------------


def _problem(answer: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert body["code"] == code
    return body


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"events": ["registration.created"]}, "url", "required"),
        ({"url": "ftp://127.0.0.1/x", "events": ["registration.created"]}, "url", "invalid"),
        ({"url": "http://hooks.example.com/x", "events": ["registration.created"]}, "url", "https_required"),
        ({"url": "https://u:p@hooks.example.com/x", "events": ["registration.created"]}, "url", "invalid"),
        ({"url": "https://hooks.example.com/x"}, "events", "required"),
        ({"url": "https://hooks.example.com/x", "events": []}, "events", "required"),
        ({"url": "https://hooks.example.com/x", "events": ["transaction.nope"]}, "events", "unknown_event"),
        ({"url": "https://hooks.example.com/x", "events": ["registration.created"], "name": 3}, "name", "invalid"),
    ],
)
def test_a_bad_subscription_is_refused_and_nothing_stored(
    live_mock: LiveMock, body: dict[str, Any], field: str, code: str
) -> None:
    answer = requests.post(f"{live_mock.url}/trust/v1/webhooks", json=body, headers=OPERATOR_HEADERS, timeout=10)
    problem = _problem(answer, 400, "invalid_webhook")
    assert problem["errors"][0]["field"] == field
    assert problem["errors"][0]["code"] == code
    assert requests.get(f"{live_mock.url}/_mock/webhooks", timeout=10).json() == {"data": []}


def test_subscriptions_belong_to_their_operator(live_mock: LiveMock) -> None:
    base = live_mock.url
    for loopback in ("http://localhost:9/h", "http://[::1]:9/h", "https://hooks.example.com/h"):
        subscribe(base, loopback, ["registration.created"])
    with live_mock.services.db.transaction() as session:
        session.add(OAuthClient(client_id="other-platform", client_secret="other-secret", redirect_uris="", name="x"))
    other = {"Authorization": "Basic " + base64.b64encode(b"other-platform:other-secret").decode()}
    mine = requests.get(f"{base}/trust/v1/webhooks", headers=OPERATOR_HEADERS, timeout=10).json()["data"]
    assert len(mine) == 3
    assert requests.get(f"{base}/trust/v1/webhooks", headers=other, timeout=10).json() == {"data": []}
    target = mine[0]["id"]
    _problem(requests.delete(f"{base}/trust/v1/webhooks/{target}", headers=other, timeout=10), 404, "webhook_not_found")
    unauthenticated = requests.get(f"{base}/trust/v1/webhooks", timeout=10)
    assert unauthenticated.status_code == 401  # how an operator authenticates is trust's (_operator), not ours
    assert (
        requests.delete(f"{base}/trust/v1/webhooks/{target}", headers=OPERATOR_HEADERS, timeout=10).status_code == 204
    )
    left = requests.get(f"{base}/trust/v1/webhooks", headers=OPERATOR_HEADERS, timeout=10).json()["data"]
    assert [s["id"] for s in left] == [s["id"] for s in mine[1:]]
    everyone = requests.get(f"{base}/_mock/webhooks", timeout=10).json()["data"]
    assert {s["operator"] for s in everyone} == {"jesign-platform"}


def test_the_control_plane_refuses_bad_queries(live_mock: LiveMock) -> None:
    base = live_mock.url
    _problem(requests.get(f"{base}/_mock/webhooks/deliveries?state=lost", timeout=10), 400, "invalid_query")
    _problem(requests.get(f"{base}/_mock/webhooks/deliveries?limit=0", timeout=10), 400, "invalid_query")
    _problem(requests.get(f"{base}/_mock/webhooks/deliveries/dlv_nope", timeout=10), 404, "webhook_delivery_not_found")
    answer = requests.post(f"{base}/_mock/webhooks/deliveries/dlv_nope/redeliver", timeout=10)
    _problem(answer, 404, "webhook_delivery_not_found")


# -- once means once, and nothing lost ------------------------------------------------------------------------------


def _file_config(tmp_path: Path) -> dict[str, Any]:
    return memory_config(database_url=f"sqlite:///{tmp_path / 'mock.db'}")


def _claimed_once(database_config: dict[str, Any], clock: ManualClock, receiver: WebhookReceiver) -> None:
    app = create_app(database_config, clock=clock)
    services = services_of(app)
    try:
        client = app.test_client()
        answer = client.post(
            "/trust/v1/webhooks",
            json={"url": receiver.url, "events": ["registration.created"]},
            headers=OPERATOR_HEADERS,
        )
        assert answer.status_code == 201
        create_registration(client)
        (delivery,) = services.webhooks.deliveries()
        now = clock.now()
        barrier = threading.Barrier(8)
        won: list[bool] = []

        def take(number: int) -> None:
            barrier.wait()
            won.append(deliveries.claim(services.db, delivery.id, f"snd_{number}", now))

        threads = [threading.Thread(target=take, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(won) == [False] * 7 + [True]
        # Parallel senders settling together send it once.
        with services.db.transaction() as session:  # the winner above never sends: release its claim
            session.execute(update(WebhookDelivery).values(claimed_by=None, claimed_until=None))
        barrier = threading.Barrier(4)

        def settle() -> None:
            barrier.wait()
            services.webhooks.settle()

        threads = [threading.Thread(target=settle) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(receiver.deliveries) == 1
        assert [len(d.attempts) for d in services.webhooks.deliveries()] == [1]
    finally:
        services.close()


def test_one_delivery_is_claimed_once_under_parallel_senders_on_sqlite(
    tmp_path: Path, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    _claimed_once(_file_config(tmp_path), clock, receiver)


def test_one_delivery_is_claimed_once_under_parallel_senders_on_postgresql(
    postgres_url: str, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    _claimed_once(memory_config(database_url=postgres_url), clock, receiver)


def test_a_pending_delivery_and_the_key_survive_a_restart(
    tmp_path: Path, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    config = _file_config(tmp_path)
    first = create_app(config, clock=clock)
    client = first.test_client()
    client.post(
        "/trust/v1/webhooks", json={"url": receiver.url, "events": ["registration.created"]}, headers=OPERATOR_HEADERS
    )
    create_registration(client)
    jwks = client.get("/trust/v1/webhooks/jwks.json").json
    services_of(first).close()  # stopped before sending anything

    again = create_app(config, clock=clock)
    try:
        assert again.test_client().get("/trust/v1/webhooks/jwks.json").json == jwks
        assert services_of(again).webhooks.settle() == 1
        delivery = receiver.wait_for(1)[0]
        assert verify(delivery.body, delivery.headers, jwks, now=clock.now()).type == "registration.created"
    finally:
        services_of(again).close()


def test_the_pytest_plugins_mock_sends_webhooks_to_the_plugins_receiver(
    jesign_mock: MockServer, jesign_webhook_receiver: WebhookReceiver
) -> None:
    """What an integrator's test does: the plugin's served mock (its sender running), the SDK's receiver and
    verification, the keys fetched from the JWKS URL."""
    subscribe(jesign_mock.url, jesign_webhook_receiver.url, ["registration.created"])
    body = {"email": "marie.dupont@cabinet-ecma.example.com", "level": "qcp", "phone_number": "+33612345678"}
    created = requests.post(
        f"{jesign_mock.url}/trust/v1/registrations", json=body, headers=OPERATOR_HEADERS, timeout=10
    )
    assert created.status_code == 201
    delivery = jesign_webhook_receiver.wait_for(1)[0]
    keys = JwksFetcher(f"{jesign_mock.url}/trust/v1/webhooks/jwks.json")
    event = verify(delivery.body, delivery.headers, keys, now=jesign_mock.clock())
    assert event.data["id"] == created.json()["id"]


def test_the_console_lists_the_deliveries(live_mock: LiveMock, receiver: WebhookReceiver) -> None:
    subscribe(live_mock.url, receiver.url, ["registration.created"])
    create_registration(live_mock.app.test_client())
    requests.post(f"{live_mock.url}/_mock/webhooks/deliveries/settle", timeout=10)
    (delivery,) = requests.get(f"{live_mock.url}/_mock/webhooks/deliveries", timeout=10).json()["data"]
    page = requests.get(f"{live_mock.url}/console/", timeout=10).text
    assert delivery["id"] in page
    assert 'data-state="successful"' in page


@pytest.mark.slow
def test_jesign_mock_serve_sends_from_each_worker_once(tmp_path: Path, receiver: WebhookReceiver) -> None:
    """The real server: two worker processes, each with its sender thread, on one SQLite file; the clock of the
    server is real time. Every event reaches the receiver once."""
    with serving(tmp_path, "--workers", "2") as served:
        subscribe(served.base, receiver.url, ["registration.created"])
        body = {"email": "marie.dupont@cabinet-ecma.example.com", "level": "qcp", "phone_number": "+33612345678"}
        for _ in range(3):
            answer = requests.post(
                f"{served.base}/trust/v1/registrations", json=body, headers=OPERATOR_HEADERS, timeout=10
            )
            assert answer.status_code == 201
        receiver.wait_for(3)
        time.sleep(1.5)  # three poll turns of both senders: nothing is sent twice
        jwks = requests.get(f"{served.base}/trust/v1/webhooks/jwks.json", timeout=10).json()
    events = [verify(d.body, d.headers, jwks) for d in receiver.deliveries]
    assert len({e.id for e in events}) == len(events) == 3


def test_a_reset_drops_the_endpoints_and_deliveries_and_keeps_the_key(live_mock: LiveMock) -> None:
    base = live_mock.url
    subscribe(base, "https://hooks.example.com/h", ["registration.created"])
    create_registration(live_mock.app.test_client())
    jwks = requests.get(f"{base}/trust/v1/webhooks/jwks.json", timeout=10).json()
    assert requests.post(f"{base}/_mock/reset", timeout=10).status_code == 200
    assert requests.get(f"{base}/trust/v1/webhooks/jwks.json", timeout=10).json() == jwks
    assert requests.get(f"{base}/_mock/webhooks", timeout=10).json() == {"data": []}
    assert requests.get(f"{base}/_mock/webhooks/deliveries", timeout=10).json() == {"data": []}


def test_an_identity_prevalidation_is_announced_to_its_operator(
    live_mock: LiveMock, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    """``POST /trust/v1/id-validations`` queues Universign's ``identity-validation.processed`` for the operator that
    sent it, signed as every delivery; valid and invalid alike."""
    subscribe(live_mock.url, receiver.url, ["identity-validation.processed"])
    form = {"document_type": "id_card:fra", "email": "m@example.com", "birthdate": "1980-04-12"}
    made = []
    for full_name in ("Marie Dupont", "Jean Martin"):
        files = [
            ("document", ("recto.jpg", colour_image(), "image/jpeg")),
            ("document", ("verso.png", colour_png(mrz=td1("X4RTBPFW4")), "image/png")),
        ]
        answer = requests.post(
            f"{live_mock.url}/trust/v1/id-validations",
            data={**form, "full_name": full_name},
            files=files,
            headers=OPERATOR_HEADERS,
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json())
    assert requests.post(f"{live_mock.url}/_mock/webhooks/deliveries/settle", timeout=10).json() == {"sent": 2}
    jwks = requests.get(f"{live_mock.url}/trust/v1/webhooks/jwks.json", timeout=10).json()
    got = receiver.wait_for(2)
    for delivery, validation in zip(got, made, strict=True):
        joserfc_verify(delivery.body, delivery.headers["Jesign-Signature"], jwks)
        event = verify(delivery.body, delivery.headers, jwks, now=clock.now())
        assert event.type == "identity-validation.processed"
        assert event.data == {
            "object": "identity_validation",
            "id": validation["id"],
            "status": validation["state"],
            "reason": validation["reason"],
        }
    assert [json.loads(d.body)["data"]["status"] for d in got] == ["valid", "invalid"]


def test_a_session_found_over_is_announced_as_registration_expired(
    live_mock: LiveMock, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    """The 7-day session's end is announced once, when the mock finds it (here: the operator's read)."""
    subscribe(live_mock.url, receiver.url, ["registration.expired"])
    reg = create_registration(live_mock.app.test_client())
    clock.advance(timedelta(days=7, seconds=1))
    for _ in range(2):  # read twice: one expiry, one event
        read = requests.get(f"{live_mock.url}/trust/v1/registrations/{reg['id']}", headers=OPERATOR_HEADERS, timeout=10)
        assert read.json()["state"] == "expired"
    assert requests.post(f"{live_mock.url}/_mock/webhooks/deliveries/settle", timeout=10).json() == {"sent": 1}
    [delivery] = receiver.wait_for(1)
    event = json.loads(delivery.body)
    assert event["type"] == "registration.expired"
    assert event["data"] == {"object": "registration", "id": reg["id"], "state": "expired", "previous_state": "created"}
