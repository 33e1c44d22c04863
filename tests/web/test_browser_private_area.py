"""The private area in Chromium: Marie Dupont, registered, grants and withdraws delegations, signs a PDF with the
SMS code and seals another with her firm's seal (both downloaded and validated by pyHanko), revokes her certificate
with the SMS code and starts a new request at the trust provider. Each screen is photographed (see ``conftest``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers.browser import Screens
from tests.helpers.browser_steps import agreement_step, document_step, identity_step
from tests.helpers.mock import LiveMock
from tests.helpers.pdf import blank_pdf
from tests.helpers.registration import register_to_active
from tests.helpers.screens import validate

pytestmark = [pytest.mark.browser, pytest.mark.live]

MARIE, LUC, CHLOE = "usr_marie_dupont", "usr_luc_martin", "usr_chloe_bernard"


def sms_code(live: LiveMock) -> str:
    answer = requests.get(f"{live.url}/_mock/outbox/otp", params={"phone_number": "+33612345678"}, timeout=10)
    return str(answer.json()["otp"])


def pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": blank_pdf(name)}


def download(page: Any, button: str, folder: Path) -> tuple[str, bytes]:
    with page.expect_download() as event:
        page.get_by_role("button", name=button).click()
    saved = folder / event.value.suggested_filename
    event.value.save_as(saved)
    return event.value.suggested_filename, saved.read_bytes()


def test_the_private_area_in_the_browser(live_mock: LiveMock, page: Any, screens: Screens, tmp_path: Path) -> None:
    register_to_active(live_mock.app.test_client())
    registrations = live_mock.services.registrations
    page.goto(f"{live_mock.url}/platform/login?login_hint=marie.dupont")
    page.get_by_role("heading", name="Mon compte").wait_for()
    assert "Valide" in page.locator("#certificate").inner_text()
    screens(page, "mon-compte")

    # Delegations: seal to Chloé, prepare to Luc, then Chloé's withdrawn.
    page.get_by_role("link", name="Délégations").click()
    ecma = page.locator("#firm-frm_ecma")
    ecma.get_by_label("Collaborateur", exact=True).select_option(label="Chloé Bernard")
    ecma.get_by_label("Délégation", exact=True).select_option("seal")
    ecma.get_by_role("button", name="Accorder").click()
    page.get_by_text("La délégation est accordée.").wait_for()
    ecma.get_by_label("Collaborateur", exact=True).select_option(label="Luc Martin")
    ecma.get_by_label("Délégation", exact=True).select_option("prepare")
    ecma.get_by_role("button", name="Accorder").click()
    page.locator(f"#firm-frm_ecma tr[data-user={LUC}][data-kind=prepare]").wait_for()
    screens(page, "delegations-accordees")
    held = {(d["user_id"], d["kind"]) for d in registrations.list_delegations(MARIE, "frm_ecma")}
    assert {(CHLOE, "seal"), (LUC, "prepare"), (LUC, "sign")} <= held
    page.get_by_role("button", name="Retirer la délégation Sceller (cachet du cabinet) de Chloé Bernard").click()
    page.get_by_text("La délégation est retirée.").wait_for()
    assert page.locator(f"#firm-frm_ecma tr[data-user={CHLOE}]").count() == 0
    screens(page, "delegation-retiree")
    held = {(d["user_id"], d["kind"]) for d in registrations.list_delegations(MARIE, "frm_ecma")}
    assert (CHLOE, "seal") not in held

    # Signing: the code first, then the PDF and the code; the signed PDF comes back as a download.
    page.get_by_role("link", name="Signer et sceller").click()
    page.get_by_role("button", name="Recevoir le code").click()
    page.get_by_label("Code reçu par SMS").wait_for()
    assert "Un code vous a été envoyé par SMS au 5678" in page.inner_text("main")
    page.locator("#sign-documents").set_input_files(pdf("lettre.pdf"))
    page.get_by_label("Code reçu par SMS").fill(sms_code(live_mock))
    screens(page, "signature")
    name, signed = download(page, "Signer et télécharger", tmp_path)
    assert name == "lettre-signe.pdf"
    status, signer = validate(live_mock.app, signed)
    assert (status.intact, status.valid, status.trusted) == (True, True, True), status.pretty_print_details()
    assert signer == "Marie Dupont"

    # Sealing with the firm's seal: no code.
    page.locator("#seal-documents").set_input_files(pdf("facture.pdf"))
    page.get_by_label("Cabinet", exact=True).select_option("frm_ecma")
    name, sealed = download(page, "Sceller et télécharger", tmp_path)
    assert name == "facture-scelle.pdf"
    status, signer = validate(live_mock.app, sealed)
    assert (status.intact, status.valid, status.trusted) == (True, True, True), status.pretty_print_details()
    assert signer != "Marie Dupont"  # the firm's seal, not her certificate

    # Revocation with the SMS code and a reason, then a new request at the trust provider.
    page.get_by_role("link", name="Mon compte").click()
    page.get_by_role("button", name="Révoquer mon certificat").click()
    page.get_by_label("Code reçu par SMS").fill("000000")
    page.get_by_role("button", name="Révoquer définitivement").click()
    assert page.get_by_role("alert").get_attribute("data-problem-code") == "otp_invalid"
    page.get_by_label("Code reçu par SMS").fill(sms_code(live_mock))
    page.get_by_label("Motif").select_option("key_compromise")
    screens(page, "revocation")
    page.get_by_role("button", name="Révoquer définitivement").click()
    page.get_by_role("status").filter(has_text="Votre certificat a été révoqué.").wait_for()
    assert "Révoqué" in page.locator("#certificate").inner_text()
    screens(page, "certificat-revoque")
    revoked = registrations.current_certificate(MARIE)
    assert revoked["status"] == "revoked"
    page.get_by_role("button", name="Demander un nouveau certificat").click()
    page.get_by_role("heading", name="Validez votre identité").wait_for()
    screens(page, "nouvelle-demande")
    request = registrations.status(MARIE)["certificate_request"]
    assert request is not None
    assert request["id"] != revoked["registration_id"]  # a new request, its identity checked again

    # The new request walks the trust provider's steps again, then the new certificate is valid in the account.
    identity_step(page, screens)
    document_step(page, screens)
    agreement_step(page, screens, live_mock)
    page.get_by_role("heading", name="Félicitations !").wait_for()
    renewed = registrations.current_certificate(MARIE)
    assert (renewed["status"], renewed["id"] != revoked["id"]) == ("valid", True)
    page.goto(live_mock.url + "/platform/espace-prive")
    assert renewed["serial_number"].upper() in page.locator("#certificate").inner_text().upper().replace(" ", "")
    assert "Révoqué" not in page.locator("#certificate").inner_text()
    screens(page, "certificat-renouvele")
