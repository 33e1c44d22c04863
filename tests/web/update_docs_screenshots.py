"""Copy the main screens from the browser tests' screenshots into ``docs/img/screens``, smaller.

Run the browser tests first (``pytest -m browser``), then ``python -m tests.web.update_docs_screenshots``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
DOCS = ROOT / "docs" / "img" / "screens"
WIDTH = 720
#: (test, screenshot) -> name in the docs
PICKED = {
    ("test_the_whole_registration_in_the_browser", "02-connexion-comptexpert"): "connexion-comptexpert",
    ("test_the_whole_registration_in_the_browser", "03-pre-validation-comptexpert"): "pre-validation-comptexpert",
    (
        "test_the_whole_registration_in_the_browser",
        "05-identite-date-de-naissance-manquante",
    ): "identite-date-de-naissance-manquante",
    ("test_the_whole_registration_in_the_browser", "06-type-de-piece"): "type-de-piece",
    ("test_the_whole_registration_in_the_browser", "08-recto-en-noir-et-blanc-refuse"): "recto-en-noir-et-blanc-refuse",
    ("test_the_whole_registration_in_the_browser", "09-accord-de-souscription"): "accord-de-souscription",
    ("test_the_whole_registration_in_the_browser", "11-code-sms-errone"): "code-sms-errone",
    ("test_console_approves_advances_and_revokes", "01-demande-en-cours-de-traitement"): "demande-en-cours",
    ("test_the_whole_registration_in_the_browser", "13-felicitations"): "felicitations",
    ("test_the_whole_registration_in_the_browser", "14-cgu-et-rgpd"): "cgu-et-rgpd",
    ("test_the_whole_registration_in_the_browser", "16-enregistrement-termine"): "enregistrement-termine",
    ("test_console_approves_advances_and_revokes", "04-console-certificat-revoque"): "console",
}


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    for (test, shot), name in PICKED.items():
        image = Image.open(SHOTS / test / f"{shot}.png").convert("RGB")
        image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.Resampling.LANCZOS)
        image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(DOCS / f"{name}.png", optimize=True)
        print(DOCS / f"{name}.png")


if __name__ == "__main__":
    main()
