"""The whole registration in Chromium, as the user guide shows it: from "Connexion" to the success page.

Each screen is photographed (see ``conftest``). On the way the walk meets the guide's error for a missing birth
date, a greyscale identity document refused, and a wrong SMS code, each shown next to its field with the same
problem code as the API.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from jesign_sdk import Client
from tests.helpers.browser import Screens
from tests.helpers.browser_steps import (
    BIRTH_DATE,
    agreement_step,
    document_step,
    field_error,
    identity_step,
    image,
)
from tests.helpers.mock import LiveMock
from tests.helpers.registration import colour_image

pytestmark = [pytest.mark.browser, pytest.mark.live]

INTEGRATOR = "https://integrateur.example.com/retour-enregistrement"


def test_the_whole_registration_in_the_browser(live_mock: LiveMock, page: Any, screens: Screens) -> None:
    page.goto(live_mock.url + "/")
    page.get_by_role("heading", name="La solution dédiée aux Experts-Comptables.").wait_for()
    screens(page, "accueil")
    page.get_by_role("link", name="Connexion").click()
    page.get_by_role("heading", name="Connexion Comptexpert").wait_for()
    screens(page, "connexion-comptexpert")
    page.get_by_role("button", name=re.compile("Marie Dupont")).click()

    # Step 1: the profile from Comptexpert, read-only, and the mandatory mobile.
    page.get_by_role("heading", name="Bravo, votre 1ère connexion s'est déroulée avec succès !").wait_for()
    assert page.get_by_label("Prénom").input_value() == "Marie"
    assert page.get_by_label("Nom", exact=True).get_attribute("readonly") is not None
    assert "Cabinet Ecma" in page.inner_text("main")
    page.get_by_label("Téléphone Mobile").fill("")
    page.get_by_role("button", name="Poursuivre mon enregistrement").click()
    assert field_error(page, "mobile_number").get_attribute("data-problem-code") == "required"
    page.get_by_label("Téléphone Mobile").fill("06 12 34 56 78")
    screens(page, "pre-validation-comptexpert")
    page.get_by_role("button", name="Poursuivre mon enregistrement").click()

    # Steps 2 to 4 at the trust provider; the session token left the address bar.
    identity_step(page, screens)
    assert "session=" not in page.url
    document_step(page, screens)
    agreement_step(page, screens, live_mock)

    # Step 5: decided at once (review_delay_seconds = 0), back to the platform.
    page.get_by_role("heading", name="Félicitations !").wait_for()
    screens(page, "felicitations")
    page.get_by_role("link", name="Accéder au portail de signature").click()

    # Step 6: both boxes for each firm, one forgotten first.
    page.get_by_role("heading", name="Encore quelques secondes avant de pouvoir utiliser la plateforme !").wait_for()
    screens(page, "cgu-et-rgpd")
    boxes = page.get_by_label("J'ai lu et j'accepte les conditions générales d'utilisation")
    policies = page.get_by_label("J'ai lu et j'accepte la politique de protection des données")
    assert boxes.count() == policies.count() == 2
    boxes.nth(0).check()
    page.get_by_role("button", name="Valider mon enregistrement").click()
    assert page.get_by_role("alert").get_attribute("data-problem-code") == "terms_not_accepted"
    assert field_error(page, "privacy-frm_ecma").get_attribute("data-problem-code") == "required"
    screens(page, "cgu-case-oubliee")
    for index in range(2):
        boxes.nth(index).check()
        policies.nth(index).check()
    page.get_by_role("button", name="Valider mon enregistrement").click()
    page.get_by_role("heading", name=re.compile("Félicitations, votre enregistrement en ligne")).wait_for()
    screens(page, "enregistrement-termine")

    status = live_mock.services.registrations.status("usr_marie_dupont")
    assert status["state"] == "active"
    assert status["active_firms"] == ["frm_dupont_associes", "frm_ecma"]


def test_an_integrators_hand_off_returns_with_the_outcome(live_mock: LiveMock, page: Any, screens: Screens) -> None:
    client = Client(live_mock.url)
    client.login_with_hint("marie.dupont")
    client.registration.confirm_profile(mobile_number="0612345678")
    url = client.registration.browser_handoff(redirect_url=INTEGRATOR)
    page.route(INTEGRATOR + "*", lambda route: route.fulfill(content_type="text/html", body="<h1>Retour</h1>"))

    page.goto(url)
    page.get_by_role("heading", name="Validez votre identité").wait_for()
    page.get_by_label("Date de naissance").fill(BIRTH_DATE)
    page.get_by_label("En cochant cette case, vous confirmez").check()
    page.get_by_label("En cochant cette case, vous reconnaissez avoir lu").check()
    page.get_by_role("button", name="Valider").click()
    page.get_by_label("Passeport", exact=True).check()
    page.get_by_label("Pays de délivrance du passeport").select_option("FRA")
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("heading", name="Passeport (FRA)").wait_for()
    assert page.get_by_label("Verso de la pièce").count() == 0  # a passport has no back
    page.get_by_label("Recto de la pièce").set_input_files(image("passeport.jpg", colour_image()))
    page.get_by_label("Numéro de la pièce").fill("19FV12345")
    page.get_by_role("button", name="Envoyer ma pièce d'identité").click()
    page.get_by_label("En cochant cette case, vous reconnaissez avoir lu et vous acceptez les Conditions").check()
    page.get_by_role("button", name="Recevoir mon code par SMS").click()
    code = (
        live_mock.app.test_client().get("/_mock/outbox/otp", query_string={"phone_number": "+33612345678"}).json["otp"]
    )
    page.get_by_label("Code SMS").fill(code)
    page.get_by_role("button", name="Signer l'accord de souscription").click()
    page.get_by_role("link", name="Accéder au portail de signature").click()
    page.get_by_role("heading", name="Retour").wait_for()
    screens(page, "retour-chez-l-integrateur")

    query = parse_qs(urlsplit(page.url).query)
    assert page.url.startswith(INTEGRATOR + "?")
    assert query["outcome"] == ["certificate_issued"]
    status = client.registration.handoff_outcome(page.url)
    assert status.certificate_request is not None
    assert status.certificate_request.id == query["registration_id"][0]
    assert status.next_action == "accept_terms"
