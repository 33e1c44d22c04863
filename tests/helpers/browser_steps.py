"""The registration's steps at the trust provider, in Chromium: shared by the whole-registration walk and the
private area's renewal walk (a new request walks the same pages)."""

from __future__ import annotations

import re
from typing import Any

from tests.helpers.browser import Screens
from tests.helpers.mock import LiveMock
from tests.helpers.registration import colour_image, grey_image

BIRTH_DATE = "1980-04-12"


def image(name: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def field_error(page: Any, field: str) -> Any:
    """The error shown next to a field: the last element its ``aria-describedby`` names, once it is invalid."""
    invalid = page.locator(f"#{field}[aria-invalid=true]")
    invalid.wait_for()
    described = (invalid.get_attribute("aria-describedby") or "").split()
    assert described, f"no error is tied to #{field}"
    return page.locator(f"#{described[-1]}")


def identity_step(page: Any, screens: Screens) -> None:
    """Step 2, first without the birth date (the guide's message), then complete, with the keyboard only."""
    page.get_by_role("heading", name="Validez votre identité").wait_for()
    screens(page, "identite")
    page.get_by_label("En cochant cette case, vous confirmez").check()
    page.get_by_label("En cochant cette case, vous reconnaissez avoir lu").check()
    page.get_by_role("button", name="Valider").click()
    alert = page.get_by_role("alert")
    assert "Vous devez saisir votre date de naissance puis cocher les cases." in alert.inner_text()
    assert alert.get_attribute("data-problem-code") == "identity_incomplete"
    assert field_error(page, "birth_date").get_attribute("data-problem-code") == "required"
    screens(page, "identite-date-de-naissance-manquante")
    # The page kept both boxes; untick and tick one again with the keyboard, then submit with Enter.
    page.get_by_label("Date de naissance").fill(BIRTH_DATE)
    assert page.get_by_label("En cochant cette case, vous confirmez").is_checked()
    privacy = page.get_by_label("En cochant cette case, vous reconnaissez avoir lu")
    privacy.focus()
    page.keyboard.press("Space")
    assert not privacy.is_checked()
    page.keyboard.press("Space")
    assert privacy.is_checked()
    page.keyboard.press("Tab")  # the "Que faites-vous de mes informations" disclosure
    page.keyboard.press("Tab")  # the submit button
    assert page.evaluate("document.activeElement.textContent") == "Valider"
    page.keyboard.press("Enter")


def document_step(page: Any, screens: Screens) -> None:
    """Step 3: the type, then the recto (a greyscale one refused, then a colour one kept), then the verso."""
    page.get_by_role("heading", name="Sélectionnez le type de pièce d'identité à vérifier.").wait_for()
    screens(page, "type-de-piece")
    page.get_by_label("Carte nationale d'identité française").check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("heading", name="Veillez charger la photo recto de la pièce d'identité").wait_for()
    assert "en couleur" in page.locator(".rules").inner_text()
    assert page.get_by_label("Verso de la pièce").count() == 0  # the verso has its own page, as in the guide
    page.get_by_label("Recto de la pièce").set_input_files(image("recto.jpg", grey_image()))
    screens(page, "recto")
    page.get_by_role("button", name="Continuer").click()
    error = field_error(page, "front")
    assert error.get_attribute("data-problem-code") == "document_not_in_colour"
    assert "en couleur" in error.inner_text()
    screens(page, "recto-en-noir-et-blanc-refuse")
    page.get_by_label("Recto de la pièce").set_input_files(image("recto.jpg", colour_image()))
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("heading", name="Veillez charger la photo verso de la pièce d'identité").wait_for()
    assert "Recto reçu" in page.inner_text("main")
    page.get_by_label("Verso de la pièce").set_input_files(image("verso.jpg", colour_image()))
    page.get_by_label("Numéro de la pièce (facultatif si la bande MRZ est lue sur la photo)").fill("X4RTBPFW4")
    screens(page, "verso")
    page.get_by_role("button", name="Envoyer ma pièce d'identité").click()


def agreement_step(page: Any, screens: Screens, live: LiveMock) -> None:
    """Step 4: the agreement, its box, the SMS code (a wrong one first), read from the console's outbox."""
    page.get_by_role("heading", name="Contrat de souscription d'Universign").wait_for()
    assert "Vous aurez 30 mins pour signer" in page.content()
    screens(page, "accord-de-souscription")
    page.get_by_label("En cochant cette case, vous reconnaissez avoir lu et vous acceptez les Conditions").check()
    page.get_by_role("button", name="Recevoir mon code par SMS").click()
    page.get_by_label("Code SMS").wait_for()
    assert "Un code vous a été envoyé par SMS au 5678" in page.inner_text("main")
    assert "Ce code est valable 30 minutes." in page.inner_text("main")
    screens(page, "code-sms")
    page.get_by_label("Code SMS").fill("000000")
    page.get_by_role("button", name="Signer l'accord de souscription").click()
    assert field_error(page, "otp").get_attribute("data-problem-code") == "otp_invalid"
    assert "Le code saisi est incorrect : il vous reste 4 essais." in page.inner_text("main")
    screens(page, "code-sms-errone")
    console = page.context.new_page()
    console.goto(f"{live.url}/console/#outbox")
    code = console.locator("tr[data-channel=sms] .otp-code").first.inner_text()
    screens(console, "console-boite-d-envoi")
    console.close()
    assert re.fullmatch(r"[0-9]{6}", code)
    page.get_by_label("Code SMS").fill(code)
    page.get_by_role("button", name="Signer l'accord de souscription").click()
