"""The awkward-PDF corpus (tests/jesign_sdk/pdf_corpus.py) signed through the SDK against the mock over HTTP.

Each file has its expected outcome: signed, then validated by pyHanko (every signature intact and valid, the
earlier ones included; the SDK's trusted), or refused with its code, naming the file, before any call to the
trust provider (so no SMS). One mock and one registered person serve the whole module: registering takes longer
than signing.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from asn1crypto import x509 as asn1_x509
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from jesign_sdk import PdfRefusedError, VisibleSignature
from jesign_sdk.cli import main
from jesign_sdk.signing.appearance import DEFAULT_FONT, reader_box_to_page
from tests.helpers import pdf_corpus as corpus
from tests.helpers.live_signer import Signer, served_signer
from tests.helpers.mock import LiveMock

pytestmark = pytest.mark.live

FOREIGN = corpus.foreign_signer()


@pytest.fixture(scope="module")
def marie() -> Iterator[Signer]:
    with served_signer() as signer:
        yield signer


@pytest.fixture(scope="session")
def ten_megabytes() -> bytes:
    """Made once per session: the largest document the SDK signs (10 MB, just under the 10 MiB limit)."""
    return corpus.large()


def root(live: LiveMock) -> asn1_x509.Certificate:
    der = live.services.pki.hierarchy().root.certificate.public_bytes(Encoding.DER)
    return asn1_x509.Certificate.load(der)


def validate_every_signature(signed: bytes, live: LiveMock, *, password: str | None = None) -> list[str]:
    """pyHanko's verdict on every signature, earliest first; the names of their fields.

    Read leniently, as the SDK's own validation does: pyHanko's strict reading refuses to validate any signature of
    a hybrid-reference file (one that the table and the stream could describe differently).
    """
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    if password is not None:
        reader.decrypt(password)
    names = []
    for signature in reader.embedded_regular_signatures:
        own = signature.field_name != "Foreign"
        trusted = root(live) if own else FOREIGN.signing_cert
        context = ValidationContext(trust_roots=[trusted], allow_fetching=False, revocation_mode="soft-fail")
        status = asyncio.run(async_validate_pdf_signature(signature, context))
        assert (status.intact, status.valid, status.trusted) == (True, True, True), status.pretty_print_details()
        assert status.docmdp_ok in (True, None), status.pretty_print_details()  # later changes allowed
        if own:
            assert status.signing_cert.subject.native["common_name"] == "Marie Dupont"
        names.append(signature.field_name)
    return names


# -- signed --------------------------------------------------------------------------------------------------------

SIGNED: dict[str, tuple[Callable[[], bytes], list[str]]] = {
    # name: (the file, the signature fields pyHanko then finds, earliest first)
    "incremental updates": (corpus.incremental_updates, ["Signature1"]),
    "stream xref and object streams": (corpus.object_streams, ["Signature1"]),
    "hybrid xref": (corpus.hybrid_xref, ["Signature1"]),
    "form with a field named like the SDK's default": (corpus.form_with_fields, ["Signature3"]),
    "XFA form": (corpus.xfa_form, ["Signature3"]),
    "a foreign signature": (lambda: corpus.signed_by(FOREIGN, corpus.simple_pdf()), ["Foreign", "Signature1"]),
    "a page content that is not zlib": (corpus.broken_page_content, ["Signature1"]),
    "a JBIG2 picture": (corpus.unsupported_image_filter, ["Signature1"]),
}


@pytest.mark.parametrize("case", SIGNED)
def test_each_awkward_file_is_signed_and_validates(marie: Signer, case: str) -> None:
    make, fields = SIGNED[case]
    signed = marie.client.signing.sign_pdf(make(), level="B-B", otp_source=marie.otp)
    assert validate_every_signature(signed, marie.live) == fields


def test_a_pdf_that_opens_without_a_password_is_signed_and_stays_encrypted(marie: Signer) -> None:
    signed = marie.client.signing.sign_pdf(corpus.encrypted(""), level="B-T", otp_source=marie.otp)
    assert PdfFileReader(io.BytesIO(signed)).encrypted
    assert validate_every_signature(signed, marie.live, password="") == ["Signature1"]
    [report] = marie.client.signing.validate_pdf(signed)
    assert report.ok


def test_a_ten_megabyte_file_is_signed(marie: Signer, ten_megabytes: bytes) -> None:
    assert 9_000_000 < len(ten_megabytes) <= 10 * 1024 * 1024
    signed = marie.client.signing.sign_pdf(ten_megabytes, level="B-B", otp_source=marie.otp)
    assert signed.startswith(ten_megabytes)  # an incremental update: the original bytes untouched
    assert validate_every_signature(signed, marie.live) == ["Signature1"]


def test_a_batch_of_the_awkward_files_takes_one_sms(marie: Signer) -> None:
    sms = marie.sms()
    files = [make() for make, _ in SIGNED.values()]
    signed = marie.client.signing.sign_pdfs(files, level="B-B", otp_source=marie.otp)
    assert marie.sms() == sms + 1
    for document, (_, fields) in zip(signed, SIGNED.values(), strict=True):
        assert validate_every_signature(document, marie.live) == fields


# -- refused -------------------------------------------------------------------------------------------------------

REFUSED: dict[str, tuple[Callable[[], bytes], str, str]] = {
    # name: (the file, the code, words of the message)
    "password-protected": (lambda: corpus.encrypted("secret"), "encrypted_pdf", "password"),
    "truncated": (corpus.truncated, "pdf_damaged", "damaged"),
    "garbage after the header": (corpus.garbage, "pdf_damaged", "damaged"),
    "an object stream that is not zlib": (corpus.broken_object_stream, "pdf_damaged", "decompressing"),
    "an object stream under LZW": (corpus.unsupported_object_stream, "pdf_unsupported", "LZWDecode"),
    "a field list holding a field directly": (corpus.form_with_a_direct_field, "pdf_damaged", "AcroForm"),
    "certified, no change allowed": (
        lambda: corpus.signed_by(FOREIGN, corpus.simple_pdf(), certify=True),
        "pdf_not_signable",
        "certified",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_each_unsignable_file_is_refused_by_name_before_any_call(marie: Signer, case: str, tmp_path: Path) -> None:
    make, code, says = REFUSED[case]
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(corpus.simple_pdf())
    bad.write_bytes(make())
    calls, sms = marie.csc_calls(), marie.sms()
    with pytest.raises(PdfRefusedError) as caught:
        marie.client.signing.sign_pdfs([good, bad], [tmp_path / "a.pdf", tmp_path / "b.pdf"], otp_source=marie.otp)
    refusal = caught.value
    assert (refusal.code, refusal.source, refusal.document) == (code, str(bad), 1)
    assert says in refusal.message
    assert str(bad) in str(refusal)
    assert (marie.csc_calls(), marie.sms()) == (calls, sms)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.pdf", "good.pdf"]


def test_a_batch_beyond_the_credential_multisign_is_refused_before_the_sms(marie: Signer) -> None:
    most = marie.client.signing.credential(None).raw["multisign"]
    history = f"{marie.live.url}/_mock/requests"

    def acting_calls() -> int:
        records = requests.get(history, params={"limit": 1000}, timeout=10).json()["data"]
        return sum(p in r["path"] for r in records for p in ("/sendOTP", "/authorize", "/signHash"))

    calls, sms = acting_calls(), marie.sms()
    with pytest.raises(PdfRefusedError) as caught:
        marie.client.signing.sign_pdfs([corpus.simple_pdf()] * (most + 1), otp_source=marie.otp)
    assert caught.value.code == "batch_too_large"
    assert str(most) in caught.value.message
    assert (acting_calls(), marie.sms()) == (calls, sms)


@pytest.mark.parametrize(
    ("field_name", "says"),
    [("Foreign", "signed already"), ("Nom", "not a /Sig field")],
    ids=["signed already", "a text field"],
)
def test_a_named_field_that_cannot_take_the_signature_is_refused_before_any_call(
    marie: Signer, field_name: str, says: str
) -> None:
    document = corpus.signed_by(FOREIGN, corpus.form_with_fields())
    calls = marie.csc_calls()
    with pytest.raises(PdfRefusedError) as caught:
        marie.client.signing.sign_pdf(document, field_name=field_name, otp_source=marie.otp)
    assert caught.value.code == "pdf_not_signable"
    assert says in caught.value.message
    assert caught.value.document == 0
    assert marie.csc_calls() == calls


def test_the_cli_prints_a_refusal_as_json_naming_the_file(marie: Signer, tmp_path: Path, cli_login: None) -> None:
    def run(*args: str) -> Any:
        command = ["--base-url", marie.live.url, "--config-dir", str(tmp_path / "config"), *args]
        return CliRunner().invoke(main, command)

    assert run("login", "--login-hint", "marie.dupont").exit_code == 0
    good, broken = tmp_path / "bon.pdf", tmp_path / "cassé.pdf"
    good.write_bytes(corpus.simple_pdf())
    broken.write_bytes(corpus.form_with_a_direct_field())
    calls = marie.csc_calls()
    result = run("--json", "sign", str(good), str(broken), "--otp-from-mock-outbox")
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    error = json.loads(result.stdout)["error"]
    assert (error["code"], error["file"], error["document"]) == ("pdf_damaged", str(broken), 1)
    assert "AssertionError" in error["message"]
    assert marie.csc_calls() == calls


# -- visible signatures --------------------------------------------------------------------------------------------


def stamp_of(signed: bytes, field_name: str = "Signature1") -> tuple[Any, Any]:
    """The signature's widget annotation and its normal appearance (a form XObject)."""
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    [signature] = [s for s in reader.embedded_regular_signatures if s.field_name == field_name]
    widget = signature.sig_field
    return widget, widget["/AP"]["/N"]


def drawn_text(appearance: Any) -> tuple[str, set[str]]:
    """The text an appearance draws, read back through each embedded font's ToUnicode map, glyph by glyph (what a
    reader's copy and paste gives); and the names of the fonts. A glyph with no mapping reads as U+FFFD."""
    to_unicode: dict[int, str] = {}
    fonts: set[str] = set()
    contents: list[bytes] = []

    def visit(xobject: Any) -> None:
        contents.append(xobject.data)
        resources = xobject.get("/Resources", {})
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            if "/ToUnicode" in font:
                cmap = font["/ToUnicode"].get_object().data.decode("latin-1")
                for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                    for cid, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                        to_unicode[int(cid, 16)] = bytes.fromhex(text).decode("utf-16-be")
                for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
                    for first, last, target in re.findall(r"<(\w+)>\s*<(\w+)>\s*(<\w+>|\[[^\]]*\])", block):
                        cids = range(int(first, 16), int(last, 16) + 1)
                        if target.startswith("["):  # one destination per code
                            for cid, text in zip(cids, re.findall(r"<(\w+)>", target), strict=True):
                                to_unicode[cid] = bytes.fromhex(text).decode("utf-16-be")
                        else:  # consecutive code points from the first
                            start = ord(bytes.fromhex(target[1:-1]).decode("utf-16-be"))
                            for offset, cid in enumerate(cids):
                                to_unicode[cid] = chr(start + offset)
        for inner in resources.get("/XObject", {}).values():
            visit(inner.get_object())

    visit(appearance)
    text = ""
    for content in contents:
        without_spans = re.sub(rb"<<.*?>>\s*BDC", b"", content, flags=re.S)  # the /ActualText copies
        for hex_string in re.findall(rb"<([0-9a-fA-F]*)>", without_spans):
            cids = [int(hex_string[i : i + 4], 16) for i in range(0, len(hex_string), 4)]
            text += "".join(to_unicode.get(cid, "\ufffd") for cid in cids)
    return text, fonts


@pytest.mark.parametrize(
    ("text", "reads", "font"),
    [
        ("Lu et approuvé – bon pour accord", ["Lu et approuvé – bon pour accord"], "JesignSans"),  # noqa: RUF001 (the en dash is the point)
        # shaped right to left, joined: each glyph maps back to its letter
        ("Lu et approuvé – موافق عليه", ["Lu et approuvé – موافق عليه"], "JesignSans"),  # noqa: RUF001 (the en dash is the point)
        ("承認しました – 山田太郎", ["承認しました – 山田太郎"], "NotoSansCJKjp-Regular"),  # noqa: RUF001 (the en dash is the point)
    ],
    ids=["en dash", "Arabic", "Japanese"],
)
def test_visible_text_in_any_script_is_drawn_with_an_embedded_font(
    marie: Signer, text: str, reads: list[str], font: str
) -> None:
    visible = VisibleSignature(0, (50, 50, 350, 130), text)
    signed = marie.client.signing.sign_pdf(corpus.simple_pdf(), level="B-B", visible=visible, otp_source=marie.otp)
    assert validate_every_signature(signed, marie.live) == ["Signature1"]
    drawn, fonts = drawn_text(stamp_of(signed)[1])
    for words in reads:
        assert words in drawn, drawn
    assert "Marie Dupont" in drawn
    assert "\ufffd" not in drawn  # no glyph the font lacks (.notdef maps to nothing)
    assert any(f"+{font}-" in name for name in fonts), fonts  # an embedded subset (its name has a tag and a +)


def test_visible_text_that_no_font_draws_is_refused_before_any_call(marie: Signer) -> None:
    calls = marie.csc_calls()
    # No one font at hand has both scripts.
    visible = VisibleSignature(0, (50, 50, 350, 130), "承認 – موافق")  # noqa: RUF001 (the en dash is the point)
    with pytest.raises(PdfRefusedError) as caught:
        marie.client.signing.sign_pdf(corpus.simple_pdf(), visible=visible, otp_source=marie.otp)
    assert caught.value.code == "text_not_drawable"
    assert "VisibleSignature(font=...)" in caught.value.message
    assert marie.csc_calls() == calls


def test_a_font_of_the_callers_with_2048_units_per_em_is_drawn_at_its_widths(marie: Signer, tmp_path: Path) -> None:
    """pyHanko writes glyph widths in the font's units where PDF wants thousandths of an em: the SDK hands it a
    copy scaled to 1000 units, so the widths written are the font's, not twice them."""
    theirs = tmp_path / "theirs.ttf"
    with TTFont(DEFAULT_FONT) as font:
        assert font["head"].unitsPerEm == 1000
        # ASCII and é only (the text, the signer's name, the time): scaling a whole font takes seconds
        only = subset.Subsetter(subset.Options(layout_features=["*"]))
        only.populate(text=string.printable + "é")
        only.subset(font)
        advances = {font.getGlyphID(name): width for name, (width, _) in font["hmtx"].metrics.items()}
        scale_upem(font, 2048)
        for record in font["name"].names:
            if record.nameID == 6:  # the PostScript name, which the PDF's font takes
                font["name"].setName("TheirSans", 6, record.platformID, record.platEncID, record.langID)
        font.save(theirs)
    visible = VisibleSignature(0, (50, 50, 350, 130), "Lu et approuvé", font=theirs)
    signed = marie.client.signing.sign_pdf(corpus.simple_pdf(), level="B-B", visible=visible, otp_source=marie.otp)
    _, appearance = stamp_of(signed)
    [font_ref] = appearance["/Resources"]["/Font"].values()
    [cid_font] = font_ref.get_object()["/DescendantFonts"]
    widths = list(cid_font.get_object()["/W"])
    written = {}
    for first, run in zip(widths[::2], widths[1::2], strict=True):
        written.update({int(first) + i: int(w) for i, w in enumerate(run)})
    assert written
    for cid, width in written.items():
        assert abs(width - advances[cid]) <= 1, (cid, width, advances[cid])
    drawn, fonts = drawn_text(appearance)
    assert "Lu et approuvé" in drawn
    assert any("+TheirSans-" in name for name in fonts), fonts  # the caller's font, not the SDK's


#: How the reader's view turns a page's own coordinates for each /Rotate: clockwise (ISO 32000-1 §7.7.3.3).
DISPLAY = {0: (1, 0, 0, 1), 90: (0, -1, 1, 0), 180: (-1, 0, 0, -1), 270: (0, 1, -1, 0)}


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_a_stamp_on_a_rotated_page_is_upright_where_the_reader_put_it(marie: Signer, rotation: int) -> None:
    """The box is the reader's (bottom left, wide); the appearance's matrix, then the page's rotation, leave its
    text horizontal, left to right, bottom to top, for the reader."""
    box = (50, 60, 350, 140)  # 300 x 80 as the reader sees it
    visible = VisibleSignature(0, box, "Lu et approuvé")
    signed = marie.client.signing.sign_pdf(
        corpus.simple_pdf(rotate=rotation), level="B-B", visible=visible, otp_source=marie.otp
    )
    widget, appearance = stamp_of(signed)
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    expected = {
        0: (50, 60, 350, 140),
        90: (595 - 140, 50, 595 - 60, 350),
        180: (595 - 350, 842 - 140, 595 - 50, 842 - 60),
        270: (60, 842 - 350, 140, 842 - 50),
    }[rotation]
    assert (x1, y1, x2, y2) == expected
    a, b, c, d, _, _ = (float(v) for v in (appearance["/Matrix"] if rotation else [1, 0, 0, 1, 0, 0]))
    p, q, r, s = DISPLAY[rotation]
    # (x, y) in the appearance -> page (a x + c y, b x + d y) -> reader (p X + r Y, q X + s Y)
    composed = (p * a + r * b, q * a + s * b, p * c + r * d, q * c + s * d)
    assert composed == (1, 0, 0, 1)
    bbox = [float(v) for v in appearance["/BBox"]]
    assert (abs(bbox[2] - bbox[0]), abs(bbox[3] - bbox[1])) == (300, 80)  # laid out wide, as the reader sees the box
    assert "Lu et approuvé" in drawn_text(appearance)[0]
    assert validate_every_signature(signed, marie.live) == ["Signature1"]


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [(0, (10, 20, 110, 60)), (90, (535, 10, 575, 110)), (180, (485, 782, 585, 822)), (270, (20, 732, 60, 832))],
)
def test_a_box_as_the_reader_sees_it_in_the_page_coordinates(rotation: int, expected: tuple[int, ...]) -> None:
    assert reader_box_to_page((10, 20, 110, 60), (0, 0, 595, 842), rotation) == expected
