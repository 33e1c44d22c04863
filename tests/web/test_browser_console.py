"""The developer console in Chromium: approve a review, advance the clock, revoke and download a certificate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509

from mock_provider.core.clock import ManualClock
from tests.helpers.browser import Screens
from tests.helpers.registration import walk_to_signed

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_console_approves_advances_and_revokes(serve: Any, page: Any, screens: Screens, clock: ManualClock) -> None:
    live = serve(review_mode="manual")
    reg = walk_to_signed(live.app.test_client())  # through the trust API, up to the review
    assert live.services.registrations.get(reg["id"])["state"] == "pending_validation"

    # The applicant's page while the review waits: "Demande en cours de traitement".
    applicant = page.context.new_page()
    applicant.goto(reg["url"])
    applicant.get_by_role("heading", name="Demande en cours de traitement").wait_for()
    assert "Cela peut prendre jusqu'à 24 heures" in applicant.inner_text("main")
    screens(applicant, "demande-en-cours-de-traitement")

    page.goto(f"{live.url}/console/")
    page.get_by_role("heading", name="Console du mock").wait_for()
    assert page.locator(".otp-code").count() == 1  # the SMS code of the agreement
    screens(page, "console")

    # The review queue: approve.
    page.get_by_role("button", name=f"Approuver {reg['id']}").click()
    notice = page.get_by_role("status")
    assert "approuvée" in notice.inner_text()
    assert live.services.registrations.get(reg["id"])["state"] == "certificate_issued"
    assert page.locator(".state[data-state=certificate_issued]").count() == 1
    screens(page, "console-demande-approuvee")
    applicant.get_by_role("link", name="Actualiser").click()  # the applicant sees the decision
    applicant.get_by_role("heading", name="Félicitations !").wait_for()
    applicant.close()

    # The clock: +24 hours.
    before = clock.now()
    page.get_by_role("button", name="Avancer +24 heures").click()
    assert "Horloge avancée de 86400 s" in page.get_by_role("status").inner_text()
    assert clock.now() == before + timedelta(hours=24)
    assert page.locator("#clock-now").get_attribute("datetime") == clock.now().isoformat()

    # The certificate: download it, then revoke it.
    certificate_id = live.services.registrations.get(reg["id"])["certificate_id"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger (PEM)").click()
    pem = download.value.path().read_bytes()
    assert x509.load_pem_x509_certificate(pem).serial_number == live.services.pki.get_certificate(certificate_id).serial
    page.get_by_label("Motif de révocation").select_option("key_compromise")
    page.get_by_role("button", name=f"Révoquer {certificate_id}").click()
    assert "révoqué" in page.get_by_role("status").inner_text()
    record = live.services.pki.get_certificate(certificate_id)
    assert record.revoked_at is not None
    assert record.revocation_reason == "key_compromise"
    assert page.locator(".state[data-state=revoked]").count() == 1
    assert page.get_by_role("button", name=f"Révoquer {certificate_id}").count() == 0
    screens(page, "console-certificat-revoque")

    # The registration's event log.
    page.get_by_role("link", name=reg["id"]).click()
    page.get_by_role("heading", name="Journal des événements").wait_for()
    actions = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert actions[:1] == ["created"]
    assert "approved" in actions
    screens(page, "console-journal")


def test_console_shows_a_refused_action_with_its_code(serve: Any, page: Any) -> None:
    live = serve()
    page.goto(f"{live.url}/console/#scenarios")
    page.get_by_label("Type de scénario").select_option("route_delay")
    page.get_by_label("Cible").fill("GET /trust/v1/*")
    page.get_by_role("button", name="Ajouter le scénario").click()  # a delay needs its milliseconds
    alert = page.get_by_role("alert")
    assert alert.get_attribute("data-problem-code") == "invalid_scenario"
    page.get_by_label("Valeur").fill("50")
    page.get_by_label("Type de scénario").select_option("route_delay")
    page.get_by_label("Cible").fill("GET /trust/v1/*")
    page.get_by_role("button", name="Ajouter le scénario").click()
    assert "Scénario route_delay ajouté" in page.get_by_role("status").inner_text()
    assert page.locator("section[aria-labelledby=scenarios] li").all_inner_texts()[0].startswith("route_delay")
