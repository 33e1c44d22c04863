"""Issue 18's whole path, as an integrator switching to Universign would run it: the operator opens a registration
with a form-encoded body and its API key, the applicant completes the hosted page in Chromium, and the operator's
local receiver gets the signed events in order, each verified by joserfc alone (not the mock's code, not the SDK's)
and by the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from joserfc import jws
from joserfc.jwk import KeySet
from joserfc.registry import HeaderParameter

from jesign_sdk.operator import TrustOperator
from jesign_sdk.webhook_receiver import WebhookReceiver
from jesign_sdk.webhooks import verify
from tests.helpers.browser import Screens
from tests.helpers.browser_steps import BIRTH_DATE, image
from tests.helpers.mock import LiveMock
from tests.helpers.registration import colour_image

pytestmark = [pytest.mark.browser, pytest.mark.live]

PLATFORM_KEY = "sk_test_jesign_platform_key_0001"
EVENTS = [
    "registration.created",
    "registration.identity_submitted",
    "registration.documents_submitted",
    "registration.agreement_signed",
    "registration.pending_validation",
    "identity-validation.processed",
    "registration.certificate_issued",
]
#: joserfc checks the registered header parameters; the signing time ``iat`` is one more it must accept.
REGISTRY = jws.JWSRegistry(header_registry={"iat": HeaderParameter("signing time", "int", True)}, algorithms=["ES256"])


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as found:
        yield found


def test_an_operator_s_registration_completed_in_the_hosted_page_is_announced_by_signed_webhooks(
    live_mock: LiveMock, page: Any, screens: Screens, receiver: WebhookReceiver
) -> None:
    key = {"Authorization": f"Bearer {PLATFORM_KEY}"}
    subscribed = requests.post(
        f"{live_mock.url}/trust/v1/webhooks", json={"url": receiver.url, "events": EVENTS}, headers=key, timeout=10
    )
    assert subscribed.status_code == 201, subscribed.text
    # Universign's curl example: -d applicant=... -d level=... (form-encoded), the API key as the Basic username.
    opened = requests.post(
        f"{live_mock.url}/trust/v1/registrations",
        data={"applicant": "marie.dupont@cabinet-ecma.example.com", "level": "qcpnqscd", "fullname": "Marie DUPONT"},
        auth=(PLATFORM_KEY, ""),
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    registration = opened.json()
    assert registration["state"] == "created"

    live_mock.services.webhooks.start_sender()
    try:
        page.goto(registration["url"])
        page.get_by_role("heading", name="Validez votre identité").wait_for()
        page.get_by_label("Date de naissance").fill(BIRTH_DATE)
        page.get_by_label("En cochant cette case, vous confirmez").check()
        page.get_by_label("En cochant cette case, vous reconnaissez avoir lu").check()
        page.get_by_role("button", name="Valider").click()
        page.get_by_label("Passeport", exact=True).check()
        page.get_by_label("Pays de délivrance du passeport").select_option("FRA")
        page.get_by_role("button", name="Continuer").click()
        page.get_by_label("Recto de la pièce").set_input_files(image("passeport.jpg", colour_image()))
        page.get_by_label("Numéro de la pièce").fill("19FV12345")
        page.get_by_role("button", name="Envoyer ma pièce d'identité").click()
        page.get_by_label("En cochant cette case, vous reconnaissez avoir lu et vous acceptez les Conditions").check()
        page.get_by_role("button", name="Recevoir mon code par SMS").click()
        code = requests.get(
            f"{live_mock.url}/_mock/outbox/otp", params={"phone_number": "+33612345678"}, timeout=10
        ).json()["otp"]
        page.get_by_label("Code SMS").fill(code)
        page.get_by_role("button", name="Signer l'accord de souscription").click()
        page.get_by_role("heading", name="Félicitations").wait_for()
        screens(page, "page-hebergee-terminee")
        deliveries = receiver.wait_for(len(EVENTS))
    finally:
        live_mock.services.webhooks.stop_sender()

    jwks = requests.get(f"{live_mock.url}/trust/v1/webhooks/jwks.json", timeout=10).json()
    keys = KeySet.import_key_set(jwks)
    received = []
    for delivery in deliveries:
        signature = delivery.headers["Jesign-Signature"]
        jws.deserialize_compact(signature, keys, payload=delivery.body, registry=REGISTRY)  # joserfc alone
        event = verify(delivery.body, delivery.headers, jwks, now=live_mock.services.clock.now())
        assert event.data.get("id", event.data.get("registration_id")) == registration["id"]
        received.append(event.type)
    assert received == EVENTS
    read = TrustOperator(live_mock.url, api_key=PLATFORM_KEY).registrations.get(registration["id"])
    assert read.state == "certificate_issued"
    assert read.certificate_id is not None
