"""The people the benchmarks enrol: a seeded account of the mock and what its owner gives the trust provider.

Imported as ``_people`` by the scripts beside it. The values are those of the seed's Marie Dupont
(``mock_provider/seed/default.yaml``), so that the mock's automatic review accepts her identity document.
"""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from jesign_sdk import Applicant, DocumentSide, IdentityDocument
from mock_provider.core.documents import icao_name, mrz_check_digit

#: The seeded login, and the mobile number the SMS codes go to.
LOGIN = "marie.dupont"
MOBILE = "+33612345678"
BIRTH_DATE = date(1980, 4, 12)


def card_picture(fmt: str, size: tuple[int, int] = (640, 400)) -> bytes:
    """A colour picture of a card (a gradient), as the review's image checks want it."""
    width, height = size
    image = Image.new("RGB", size)
    image.putdata(
        [(int(255 * x / width), 90, int(255 * (1 - y / height))) for y in range(height) for x in range(width)]
    )
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def td1(number: str, *, surname: str, given: str, birth: date, expiry: date, sex: str) -> str:
    """An ICAO 9303 TD1 MRZ (a French identity card), with its check digits."""
    number = number.ljust(9, "<")[:9]
    line1 = f"IDFRA{number}{mrz_check_digit(number)}".ljust(30, "<")
    b, e = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    head = f"{b}{mrz_check_digit(b)}{sex}{e}{mrz_check_digit(e)}FRA".ljust(29, "<")
    line2 = head + mrz_check_digit(line1[5:30] + head[0:7] + head[8:15] + head[18:29])
    line3 = f"{icao_name(surname)}<<{icao_name(given)}".ljust(30, "<")[:30]
    return "\n".join((line1, line2, line3))


def marie() -> Applicant:
    """What Marie Dupont gives to enrol: her mobile number, birth date and identity card (both sides, MRZ)."""
    document = IdentityDocument(
        document_type="id_card:fra",
        front=DocumentSide(card_picture("JPEG"), "recto.jpg"),
        back=DocumentSide(card_picture("PNG"), "verso.png"),
        mrz=td1("X4RTBPFW4", surname="Dupont", given="Marie", birth=BIRTH_DATE, expiry=date(2031, 6, 30), sex="F"),
    )
    return Applicant(mobile_number="06 12 34 56 78", birth_date=BIRTH_DATE, document=document)
