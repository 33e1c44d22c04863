"""Walking the registration's steps over HTTP, for the registration checks (and any plan that needs a holder).

Steps 2 to 5 run at the trust provider on a registration of their own: :func:`create` opens one through the
operator call (``POST /registrations``, HTTP Basic), so that every check has fresh state without touching the
accounts' platform state. :func:`walk` brings such a registration to a given step. The test documents (colour and
greyscale PNG pictures, a PDF, an ICAO TD1 MRZ with its check digits) are made here with the standard library.
"""

from __future__ import annotations

import functools
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
from cryptography import x509

from conformance import pkix
from conformance.context import CheckContext

BIRTH_DATE = "1980-04-12"
DOCUMENT_NUMBER = "X4RTBPFW4"
#: The steps :func:`walk` can reach, in order.
STEPS = ("created", "identity_submitted", "documents_submitted", "consented", "signed", "certificate_issued")


@dataclass(frozen=True)
class Registration:
    """A registration at the trust provider, with its session token (how the applicant authenticates)."""

    id: str
    token: str
    phone_number: str
    body: dict[str, Any]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def path(self, suffix: str = "") -> str:
        return f"/registrations/{self.id}{suffix}"


def operator_auth(ctx: CheckContext) -> tuple[str, str]:
    return ctx.target.operator.client_id, ctx.target.operator.client_secret or ""


def create(ctx: CheckContext, *, role: str = "accountant", level: str = "qcpnqscd") -> Registration:
    """A fresh registration for ``role``'s account, opened by the operator (Universign ``POST /registrations``,
    form-encoded as Universign documents it)."""
    account = ctx.target.account(role)
    phone = account.mobile or "+33612345678"
    answer = ctx.http.post(
        "trust",
        "/registrations",
        data={"applicant": account.email, "level": level, "phone_number": phone, "language": "fr"},
        auth=operator_auth(ctx),
    )
    body = ctx.expect_status(answer, 201, what="opening a registration (POST /registrations)")
    ctx.http.add_secret(body["session_token"])
    return Registration(body["id"], body["session_token"], phone, body)


def handed_over(ctx: CheckContext, body: dict[str, Any], phone: str) -> Registration:
    """The registration the platform handed over (step 2 hand-off answer)."""
    ctx.http.add_secret(body["session_token"])
    return Registration(body["id"], body["session_token"], phone, body)


def view(ctx: CheckContext, reg: Registration) -> dict[str, Any]:
    found: dict[str, Any] = ctx.expect_status(ctx.http.get("trust", reg.path(), headers=reg.auth), 200)
    return found


def submit_identity(ctx: CheckContext, reg: Registration, **overrides: Any) -> requests.Response:
    body = {"birth_date": BIRTH_DATE, "accept_terms": True, "accept_privacy_policy": True, **overrides}
    body = {k: v for k, v in body.items() if v is not _OMIT}
    return ctx.http.post("trust", reg.path("/identity"), json=body, headers=reg.auth)


#: Pass as a field's value to leave the field out of the request.
_OMIT: Any = object()
OMIT = _OMIT


def upload(
    ctx: CheckContext,
    reg: Registration,
    *,
    document_type: str = "id_card:fra",
    document_number: str | None = DOCUMENT_NUMBER,
    front: tuple[str, bytes, str] | object | None = None,
    back: tuple[str, bytes, str] | object | None = _OMIT,
    mrz: str | None = None,
) -> requests.Response:
    """Step 3's multipart upload. ``front``/``back`` are (file name, bytes, declared type); by default colour PNGs,
    a front always and a back; ``back=None`` sends no back, ``front=OMIT`` no front."""
    data = {"document_type": document_type}
    if document_number is not None:
        data["document_number"] = document_number
    if mrz is not None:
        data["mrz"] = mrz
    files: dict[str, tuple[str, bytes, str]] = {}
    if front is None:
        files["front"] = ("recto.png", colour_png(), "image/png")
    elif front is not _OMIT:
        assert isinstance(front, tuple)
        files["front"] = front
    if back is _OMIT:
        files["back"] = ("verso.png", colour_png(), "image/png")
    elif back is not None:
        assert isinstance(back, tuple)
        files["back"] = back
    if not files:  # still a multipart form, as the page sends it when no file is chosen
        parts: dict[str, tuple[None, str]] = {name: (None, value) for name, value in data.items()}
        return ctx.http.post("trust", reg.path("/documents"), files=parts, headers=reg.auth)
    return ctx.http.post("trust", reg.path("/documents"), data=data, files=files, headers=reg.auth)


def agreement(ctx: CheckContext, reg: Registration) -> dict[str, Any]:
    found: dict[str, Any] = ctx.expect_status(ctx.http.get("trust", reg.path("/agreement"), headers=reg.auth), 200)
    return found


def consent(ctx: CheckContext, reg: Registration) -> requests.Response:
    text = agreement(ctx, reg)
    body = {"accept": True, "version": text["version"], "sha256": text["sha256"]}
    return ctx.http.post("trust", reg.path("/agreement/consent"), json=body, headers=reg.auth)


def sign(ctx: CheckContext, reg: Registration, code: str) -> requests.Response:
    return ctx.http.post("trust", reg.path("/agreement/sign"), json={"otp": code}, headers=reg.auth)


def wrong_code(code: str) -> str:
    """A six-digit code that is not ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def walk(ctx: CheckContext, step: str, *, role: str = "accountant", reg: Registration | None = None) -> Registration:
    """A registration (fresh unless given) brought to ``step`` (one of :data:`STEPS`), each step checked."""
    given = reg is not None
    reg = reg or create(ctx, role=role)
    target = STEPS.index(step)
    state = view(ctx, reg)["state"] if given else "created"
    done = STEPS.index(state) if state in STEPS else 0
    if done < 1 <= target:
        ctx.expect_status(submit_identity(ctx, reg), 200, what="submitting the identity (step 2)")
    if done < 2 <= target:
        ctx.expect_status(upload(ctx, reg), 200, what="uploading the identity document (step 3)")
    if done < 3 <= target:
        ctx.expect_status(consent(ctx, reg), 200, what="consenting to the agreement (step 4)")
    if target >= 4:
        code = ctx.harness.otp(reg.phone_number)
        ctx.expect_status(sign(ctx, reg, code), 200, what="signing the agreement with the SMS code (step 4)")
    if target >= 5:
        ctx.harness.decide_review(reg.id, approve=True)
        state = view(ctx, reg)["state"]
        if state != "certificate_issued":
            raise_unexpected(f"after the review approved it, the registration is {state}")
    return reg


def revoked_serials(ctx: CheckContext, cert: x509.Certificate) -> set[int]:
    """The serial numbers on the CRL that ``cert`` names (its first CRL distribution point)."""
    urls = pkix.crl_urls(cert)
    if not urls:
        raise_unexpected("the certificate names no CRL distribution point")
    answer = ctx.http.get("pki", urls[0])
    ctx.expect_status(answer, 200, what=f"downloading the CRL {urls[0]}")
    crl = pkix.load_crl(answer.content)
    if crl is None:
        raise_unexpected(f"{urls[0]} is not a DER CRL")
    assert crl is not None
    return {entry.serial_number for entry in crl}


def raise_unexpected(message: str) -> None:
    from conformance.context import UnexpectedAnswer

    raise UnexpectedAnswer(message)


# -- test documents --------------------------------------------------------------------------------------------


def _png(width: int, height: int, pixel: Any) -> bytes:
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


@functools.cache
def colour_png(width: int = 320, height: int = 200) -> bytes:
    """A colour picture of a card: a gradient from blue to orange."""
    return _png(width, height, lambda x, y: (255 * x // width, 90, 255 - 255 * y // height))


@functools.cache
def plain_colour_png(width: int, height: int) -> bytes:
    """A colour picture of one uniform colour (a terracotta), made quickly whatever its size."""
    row = b"\x00" + bytes((200, 90, 40)) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 6))
        + chunk(b"IEND", b"")
    )


@functools.cache
def grey_png(width: int = 320, height: int = 200) -> bytes:
    """A greyscale scan saved as an RGB PNG: every pixel neutral (what a naive check on the file's mode misses)."""
    return _png(width, height, lambda x, y: (255 * x // width,) * 3)


def colour_png_of_size(size: int) -> bytes:
    """:func:`colour_png`, made exactly ``size`` bytes long by a private ancillary chunk of padding before its end
    (PNG, ISO/IEC 15948 §5.4: a decoder may safely ignore an ancillary chunk it does not know)."""
    png = colour_png()
    end = png[-12:]  # the IEND chunk
    padding = size - len(png) - 12  # the chunk's length, type and CRC take 12 bytes
    if padding < 0:
        raise ValueError(f"a colour PNG cannot be as small as {size} bytes")
    data = b"\0" * padding
    chunk = struct.pack(">I", padding) + b"jsPd" + data + struct.pack(">I", zlib.crc32(b"jsPd" + data))
    return png[:-12] + chunk + end


def minimal_pdf() -> bytes:
    """A one-page PDF (a scan would be one): header, catalogue, page, xref, trailer, ``%%EOF``."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def mrz_check_digit(data: str) -> str:
    """ICAO Doc 9303 Part 3 §4.9: weights 7, 3, 1; digits as is, A-Z as 10-35, ``<`` as 0."""
    total = 0
    for index, char in enumerate(data):
        value = int(char) if char.isdigit() else (ord(char) - 55 if char.isalpha() else 0)
        total += value * (7, 3, 1)[index % 3]
    return str(total % 10)


def td1(
    number: str = DOCUMENT_NUMBER,
    *,
    surname: str = "DUPONT",
    given: str = "MARIE",
    birth: date = date(1980, 4, 12),
    expiry: date = date(2031, 6, 30),
    sex: str = "F",
    code: str = "ID",
    optional: str = "",
    country: str = "FRA",
) -> str:
    """An ICAO 9303 TD1 MRZ (French identity card since 2021; ``code``, the document code, ``IR`` for a residence
    permit; ``optional``, line 1's optional data after the number's check digit; ``country``, the issuing state and
    nationality), every check digit computed."""
    number = number.ljust(9, "<")[:9]
    line1 = f"{code}{country}{number}{mrz_check_digit(number)}{optional}".ljust(30, "<")[:30]
    b, e = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    head = f"{b}{mrz_check_digit(b)}{sex}{e}{mrz_check_digit(e)}{country}".ljust(29, "<")
    composite = mrz_check_digit(line1[5:30] + head[0:7] + head[8:15] + head[18:29])
    line3 = f"{surname.upper()}<<{given.upper()}".ljust(30, "<")[:30]
    return "\n".join((line1, head + composite, line3))


def fr1988(
    *, issued: str = "1305", surname: str = "DUPONT", given: str = "MARIE", birth: date = date(1980, 4, 12)
) -> str:
    """The MRZ of a French identity card of 1988-2021 (2 lines of 36, France's own layout): ``IDFRA``, the surname,
    the issuing office; the 12-character card number starting with ``issued`` (YYMM), its check digit, the given
    names, the birth date and its check digit, the sex, and a check digit over both lines."""
    line1 = f"IDFRA{surname.upper()}".ljust(30, "<") + "075023"
    number = f"{issued}75012345"
    b = birth.strftime("%y%m%d")
    head = f"{number}{mrz_check_digit(number)}" + given.upper().ljust(14, "<")[:14] + f"{b}{mrz_check_digit(b)}F"
    return f"{line1}\n{head}{mrz_check_digit(line1 + head)}"


def png_with_text(png: bytes, keyword: str, text: str) -> bytes:
    """``png`` with a ``tEXt`` chunk (PNG, ISO/IEC 15948 §11.3.4.3: a keyword, a NUL, Latin-1 text) right after
    its header, where a reader finds it before the image data."""
    data = keyword.encode("latin-1") + b"\0" + text.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    header_end = 8 + 25  # the signature, then IHDR: length, type, 13 bytes, CRC
    return png[:header_end] + chunk + png[header_end:]


def td1_long_number(
    number: str, *, birth: date = date(1980, 4, 12), expiry: date = date(2031, 6, 30), sex: str = "F"
) -> str:
    """A TD1 MRZ whose document number is longer than 9 characters (ICAO Doc 9303 Part 5 §4.2.2, note j): its
    first 9 characters in the number field, a filler ``<`` in that field's check digit position, the rest of the
    number in the optional data, followed by the number's check digit (computed over the whole number) and a
    filler."""
    assert 9 < len(number) <= 22
    line1 = f"IDFRA{number[:9]}<{number[9:]}{mrz_check_digit(number)}".ljust(30, "<")
    b, e = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    head = f"{b}{mrz_check_digit(b)}{sex}{e}{mrz_check_digit(e)}FRA".ljust(29, "<")
    composite = mrz_check_digit(line1[5:30] + head[0:7] + head[8:15] + head[18:29])
    return "\n".join((line1, head + composite, "DUPONT<<MARIE".ljust(30, "<")))


#: The personal number a TD3 MRZ made by :func:`td3` carries (so that its check digit is a real one).
PERSONAL_NUMBER = "ZE184226B"


def td3(
    number: str = DOCUMENT_NUMBER,
    *,
    birth: date = date(1980, 4, 12),
    expiry: date = date(2031, 6, 5),
    personal: str = PERSONAL_NUMBER,
    sex: str = "F",
    state: str = "FRA",
    code: str = "P<",
) -> str:
    """An ICAO 9303 TD3 MRZ (a passport's data page, Part 4 §4.2.2; ``code``, the document code), every check digit
    computed: the document number's, the birth date's, the expiry date's, the personal number's and the composite."""
    number = number.ljust(9, "<")[:9]
    line1 = f"{code}{state}DUPONT<<MARIE".ljust(44, "<")
    b, e, p = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d"), personal.ljust(14, "<")[:14]
    head = f"{number}{mrz_check_digit(number)}{state}{b}{mrz_check_digit(b)}{sex}{e}{mrz_check_digit(e)}"
    head += f"{p}{mrz_check_digit(p)}"
    composite = mrz_check_digit(head[0:10] + head[13:20] + head[21:43])
    return "\n".join((line1, head + composite))


def target_today(ctx: CheckContext, reg: Registration) -> date:
    """The target's date, from the creation time of a registration it has just opened.

    Between 22:00 and midnight UTC the date in France is already the next day's: a target may count ages on either.
    The check then moves the clock 3 hours on (or is skipped), so that both read the same date.
    """
    created = datetime.fromisoformat(view(ctx, reg)["created_at"]).astimezone(UTC)
    if created.hour >= 22:
        if "clock" not in ctx.harness.capabilities:
            ctx.skip(f"the target's time is {created:%H:%M} UTC, when the day differs in France: run it later")
        ctx.harness.advance_clock(3 * 3600)
        created += timedelta(hours=3)
    return created.date()
