"""Sample material for a first run: an identity card that passes the mock's rules for a seeded accountant, and PDFs.

``jesign-mock samples DIR`` writes them (:func:`write_samples`); the quickstart, the signing page, the CLI examples
and ``make demo`` use them:

- ``recto.jpg`` and ``verso.jpg``: both sides of a French identity card (TD1) of Marie Dupont, the seeded
  accountant ``marie.dupont`` of Cabinet Ecma, drawn in colour (the mock refuses greyscale) and marked SPECIMEN;
  the verso shows the machine-readable zone;
- ``mrz.txt``: that zone as text, the three lines the registration takes with the pictures. The verso also carries
  them as a JPEG comment, where the mock reads them (its stand-in for the OCR of the real service): uploaded alone,
  the pictures are enough;
- ``lettre.pdf``, ``facture.pdf``, ``contrat.pdf``: one-page documents to sign or seal;
- ``LISEZMOI.txt``: what each file is for.

Marie Dupont was born on 12 April 1980 (:data:`SAMPLE_BIRTH_DATE`, the date to give at step 2) and her mobile is
``+33612345678``; her card's number is ``X4RTBPFW4`` and it expires on 30 June 2031. Everything here is made up.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mock_provider.core.documents import icao_name, mrz_check_digit
from mock_provider.core.text_pdf import text_pdf

__all__ = ["SAMPLE_BIRTH_DATE", "SAMPLE_LOGIN", "SAMPLE_MOBILE", "sample_mrz", "write_samples"]

SAMPLE_LOGIN = "marie.dupont"
SAMPLE_MOBILE = "+33612345678"
SAMPLE_BIRTH_DATE = date(1980, 4, 12)
_SURNAME, _GIVEN = "Dupont", "Marie"
_NUMBER = "X4RTBPFW4"
_EXPIRY = date(2031, 6, 30)
_SIZE = (856, 540)  # an ID-1 card at 254 dpi

#: The PDFs: file name, title, lines of text.
_DOCUMENTS = (
    (
        "lettre.pdf",
        "Lettre de mission",
        ["Cabinet Ecma, experts-comptables", "Mission de présentation des comptes annuels", "Exercice 2026"],
    ),
    ("facture.pdf", "Facture n° 2026-042", ["Honoraires de tenue comptable", "Montant : 1 200,00 EUR HT"]),
    ("contrat.pdf", "Contrat de prestation", ["Entre Cabinet Ecma et Boulangerie Martin SARL", "Durée : un an"]),
)


def sample_mrz() -> str:
    """Marie Dupont's TD1 machine-readable zone (ICAO 9303), three lines of 30 characters."""
    number = _NUMBER.ljust(9, "<")
    line1 = f"IDFRA{number}{mrz_check_digit(number)}".ljust(30, "<")
    born, expires = SAMPLE_BIRTH_DATE.strftime("%y%m%d"), _EXPIRY.strftime("%y%m%d")
    head = f"{born}{mrz_check_digit(born)}F{expires}{mrz_check_digit(expires)}FRA".ljust(29, "<")
    composite = mrz_check_digit(line1[5:30] + head[0:7] + head[8:15] + head[18:29])
    line3 = f"{icao_name(_SURNAME)}<<{icao_name(_GIVEN)}".ljust(30, "<")[:30]
    return "\n".join((line1, head + composite, line3))


def _card(lines: list[str], *, mrz: str | None) -> bytes:
    """A card in colour: a blue-to-pink background, ``lines`` of text, and the MRZ at the bottom if given (in
    Pillow's own font, which has no accents: the text is written as a card's capitals would be, without them)."""
    width, height = _SIZE
    card = Image.new("RGB", _SIZE)
    card.putdata([(90 + 120 * x // width, 150, 235 - 80 * y // height) for y in range(height) for x in range(width)])
    draw = ImageDraw.Draw(card)
    text = ImageFont.load_default(size=30)
    for number, line in enumerate(lines):
        draw.text((40, 40 + 48 * number), line, fill=(20, 30, 80), font=text)
    draw.text((width - 330, height - 230 if mrz else height - 80), "SPECIMEN - TEST", fill=(200, 0, 0), font=text)
    if mrz is not None:
        zone = ImageFont.load_default(size=34)
        draw.rectangle((0, height - 150, width, height), fill=(245, 245, 235))
        for number, line in enumerate(mrz.splitlines()):
            draw.text((30, height - 140 + 44 * number), line, fill=(0, 0, 0), font=zone)
    out = io.BytesIO()
    card.save(out, format="JPEG", quality=90, **({"comment": mrz} if mrz is not None else {}))
    return out.getvalue()


def write_samples(folder: str | Path) -> list[Path]:
    """Write the sample files into ``folder`` (created if needed; files of the same names are replaced)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    mrz = sample_mrz()
    holder = [
        "REPUBLIQUE FRANCAISE",
        "CARTE NATIONALE D'IDENTITE",
        f"Nom : {_SURNAME.upper()}",
        f"Prenom : {_GIVEN}",
        f"Ne(e) le : {SAMPLE_BIRTH_DATE.strftime('%d/%m/%Y')}",
    ]
    files: dict[str, bytes] = {
        "recto.jpg": _card(holder, mrz=None),
        "verso.jpg": _card([f"No {_NUMBER}", f"Expire le : {_EXPIRY.strftime('%d/%m/%Y')}"], mrz=mrz),
        "mrz.txt": (mrz + "\n").encode(),
        **{name: text_pdf(title, lines) for name, title, lines in _DOCUMENTS},
        "LISEZMOI.txt": _readme().encode("utf-8"),
    }
    written = []
    for name, data in files.items():
        path = target / name
        path.write_bytes(data)
        written.append(path)
    return written


def _readme() -> str:
    return (
        "Fichiers d'exemple du mock jesign (TEST : rien de réel)\n\n"
        f"recto.jpg, verso.jpg : carte d'identité de Marie Dupont ({SAMPLE_LOGIN}), née le "
        f"{SAMPLE_BIRTH_DATE.strftime('%d/%m/%Y')}, mobile {SAMPLE_MOBILE}.\n"
        "mrz.txt : la bande MRZ de la carte, à donner avec les photos (étape 3).\n"
        "lettre.pdf, facture.pdf, contrat.pdf : documents à signer ou à sceller.\n"
    )
