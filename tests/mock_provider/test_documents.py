"""Step 3's judge of identity documents: document types, uploaded files judged by content, and ICAO 9303 MRZs.

Images are drawn with Pillow in memory; MRZs are built with a check-digit function written here independently
of the module's, and the ICAO Doc 9303 specimens are checked as published.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, PngImagePlugin

from mock_provider.core.documents import (
    COLOUR_MIN_SHARE,
    DEFAULT_MAX_DECODE_BYTES,
    DEFAULT_MAX_PIXELS,
    ISO3166_ALPHA3,
    ISO3166_ALPHA3_TO_ALPHA2,
    DocumentError,
    DocumentType,
    MrzResult,
    check_mrz,
    icao_name,
    inspect_document,
    inspect_image,
    mrz_check_digit,
    parse_document_type,
)
from mock_provider.core.errors import InvalidInput
from tests.helpers.images import (
    GREY,
    GREY_ALPHA,
    PALETTE,
    RGB,
    RGBA,
    png_chunk,
    record_decodes,
    streamed_png,
)

MB = 1024 * 1024


@contextmanager
def refused(code: str, field: str | None = None) -> Iterator[pytest.ExceptionInfo[DocumentError]]:
    """``pytest.raises(DocumentError)`` that also checks the error's code (and field)."""
    with pytest.raises(DocumentError) as raised:
        yield raised
    assert raised.value.code == code, f"{raised.value.code}: {raised.value.message}"
    if field is not None:
        assert raised.value.field == field


# ------------------------------------------------------------------------------------------------------------
# Document types
# ------------------------------------------------------------------------------------------------------------


def test_document_types_that_are_accepted() -> None:
    card = parse_document_type("id_card:fra")
    assert card == DocumentType("id_card", "FRA", "FR", needs_back=True, serial_prefix="IDC")
    assert (card.code, card.mrz_format, card.label_fr) == ("id_card:fra", "TD1", "Carte nationale d'identité")
    passport = parse_document_type("passport:bel")
    assert passport == DocumentType("passport", "BEL", "BE", needs_back=False, serial_prefix="PAS")
    assert passport.mrz_format == "TD3"
    permit = parse_document_type("residence_permit:fra")
    assert (permit.needs_back, permit.serial_prefix, permit.alpha2, permit.mrz_format) == (True, "IDC", "FR", "TD1")
    assert parse_document_type("  Passport:DEU ").code == "passport:deu"
    assert (card.mrz_formats, passport.mrz_formats, permit.mrz_formats) == (
        ("TD1", "TD2", "FR1988"),
        ("TD3",),
        ("TD1",),
    )


@pytest.mark.parametrize("country", ["bel", "deu", "ita", "pol", "nor", "isl", "lie", "che"])
def test_european_identity_cards_are_accepted(country: str) -> None:
    card = parse_document_type(f"id_card:{country}")
    assert (card.needs_back, card.serial_prefix, card.mrz_formats) == (True, "IDC", ("TD1", "TD2"))
    assert card.alpha2 == ISO3166_ALPHA3_TO_ALPHA2[country.upper()]


def test_a_french_driving_licence_is_accepted_without_an_mrz() -> None:
    licence = parse_document_type("driving_licence:fra")
    assert licence == DocumentType("driving_licence", "FRA", "FR", needs_back=True, serial_prefix="IDC")
    assert (licence.mrz_formats, licence.label_fr) == ((), "Permis de conduire")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "passport",
        "passport:",
        "passport:fr",
        "passport:fr1",
        "passport:fra:x",
        "passport:xyz",  # three letters, not an ISO 3166 country
        "passport:uto",  # ICAO's specimen state, not accepted by default
        "id_card:gbr",  # identity cards of the EU, the EEA and Switzerland only
        "id_card:usa",
        "id_card:tur",
        "residence_permit:deu",  # French residence permits only
        "driving_licence:bel",  # French driving licences only
        "driving_licence:deu",
        "identity:fra",
    ],
)
def test_document_types_that_are_refused(text: str) -> None:
    with refused("invalid_document_type", "document_type"):
        parse_document_type(text)


def test_the_icao_specimen_state_only_on_request() -> None:
    specimen = parse_document_type("passport:uto", allow_icao_specimen=True)
    assert (specimen.country, specimen.alpha2) == ("UTO", "ZZ")
    assert parse_document_type("id_card:uto", allow_icao_specimen=True).needs_back


def test_the_country_table_is_iso_3166_1() -> None:
    assert len(ISO3166_ALPHA3) == 249
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in ISO3166_ALPHA3)
    alpha2 = list(ISO3166_ALPHA3_TO_ALPHA2.values())
    assert len(set(alpha2)) == 249
    assert all(len(code) == 2 and code.isupper() for code in alpha2)
    expected = {"FRA": "FR", "BEL": "BE", "DEU": "DE", "GBR": "GB", "CHE": "CH", "USA": "US", "MAR": "MA"}
    assert {code: ISO3166_ALPHA3_TO_ALPHA2[code] for code in expected} == expected
    assert "UTO" not in ISO3166_ALPHA3


# ------------------------------------------------------------------------------------------------------------
# Uploaded files
# ------------------------------------------------------------------------------------------------------------


def colour_card(size: tuple[int, int] = (640, 400), mode: str = "RGB") -> Image.Image:
    """A colour 'identity card': tinted background, a portrait area, black text lines."""
    image = Image.new("RGB", size, (176, 208, 238))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((width // 20, height // 6, width // 3, height * 5 // 6), fill=(224, 172, 140))
    for row in range(4):
        y = height // 5 + row * height // 8
        draw.rectangle((width * 2 // 5, y, width * 9 // 10, y + height // 30), fill=(20, 20, 30))
    draw.ellipse((width * 3 // 4, height // 20, width * 19 // 20, height // 4), fill=(0, 85, 164))
    if mode == "P":
        return image.convert("P", palette=Image.Palette.ADAPTIVE)
    return image.convert(mode)


def encode(image: Image.Image, format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def jpeg(image: Image.Image, **options: object) -> bytes:
    return encode(image, "JPEG", **({"quality": 90} | options))


def png(image: Image.Image) -> bytes:
    return encode(image, "PNG")


def grey_rgb(size: tuple[int, int] = (640, 400)) -> Image.Image:
    """The colour card as a greyscale scan saved in an RGB file: every pixel neutral."""
    return colour_card(size).convert("L").convert("RGB")


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n101\n%%EOF\n"
)


def test_a_colour_jpeg_passes() -> None:
    data = jpeg(colour_card())
    inspected = inspect_image(data, max_bytes=10 * MB)
    assert inspected.media_type == "image/jpeg"
    assert inspected.extension == ".jpg"
    assert (inspected.width, inspected.height, inspected.size) == (640, 400, len(data))
    assert inspected.sha256 == hashlib.sha256(data).hexdigest()
    assert inspected.colour_checked


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P"])
def test_a_colour_png_passes(mode: str) -> None:
    inspected = inspect_image(png(colour_card(mode=mode)), max_bytes=10 * MB)
    assert (inspected.media_type, inspected.extension, inspected.width, inspected.height) == (
        "image/png",
        ".png",
        640,
        400,
    )
    assert inspected.colour_checked


def test_a_palette_png_with_transparency_passes_without_warning() -> None:
    image = colour_card(mode="P")
    image.info["transparency"] = 0
    assert inspect_image(png(image), max_bytes=10 * MB).media_type == "image/png"


def test_a_cmyk_jpeg_passes() -> None:
    assert inspect_image(jpeg(colour_card(mode="CMYK")), max_bytes=10 * MB).colour_checked


def test_a_large_photo_is_judged_on_a_reduced_copy() -> None:
    data = jpeg(colour_card((4000, 3000)), quality=70)
    inspected = inspect_image(data, max_bytes=50 * MB)
    assert (inspected.width, inspected.height) == (4000, 3000)
    with refused("document_not_in_colour"):
        inspect_image(jpeg(grey_rgb((4000, 3000)), quality=70), max_bytes=50 * MB)


def test_a_portrait_photo_is_as_good_as_a_landscape_one() -> None:
    inspected = inspect_image(png(colour_card((120, 200))), max_bytes=MB)
    assert (inspected.width, inspected.height) == (120, 200)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("L JPEG", lambda: jpeg(colour_card().convert("L"))),
        ("L PNG", lambda: png(colour_card().convert("L"))),
        ("LA PNG", lambda: png(colour_card().convert("LA"))),
        ("1 PNG", lambda: png(colour_card().convert("1"))),
        ("I;16 PNG", lambda: png(colour_card().convert("L").convert("I;16"))),
        ("grey RGB JPEG", lambda: jpeg(grey_rgb())),
        ("grey RGB PNG", lambda: png(grey_rgb())),
        ("grey RGBA PNG", lambda: png(grey_rgb().convert("RGBA"))),
        ("grey P PNG", lambda: png(grey_rgb().convert("P", palette=Image.Palette.ADAPTIVE))),
    ],
)
def test_a_greyscale_image_is_refused(name: str, data: Callable[[], bytes]) -> None:
    with refused("document_not_in_colour", "front"):
        inspect_image(data(), max_bytes=10 * MB)


def test_a_grey_scan_with_a_small_coloured_mark_is_still_grey() -> None:
    image = grey_rgb()
    draw = ImageDraw.Draw(image)
    # a red pen mark covering about a tenth of the share that would make the image a colour one
    side = int((COLOUR_MIN_SHARE / 10 * 640 * 400) ** 0.5)
    draw.rectangle((300, 200, 300 + side, 200 + side), fill=(220, 0, 0))
    with refused("document_not_in_colour"):
        inspect_image(png(image), max_bytes=10 * MB)
    draw.rectangle((0, 0, 320, 200), fill=(220, 0, 0))  # a quarter of it in colour: a colour image
    assert inspect_image(png(image), max_bytes=10 * MB).colour_checked


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("GIF", lambda: encode(colour_card(), "GIF")),
        ("BMP", lambda: encode(colour_card(), "BMP")),
        ("TIFF", lambda: encode(colour_card(), "TIFF")),
        ("WebP", lambda: encode(colour_card(), "WEBP")),
        ("HEIC", lambda: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)),
        ("text", lambda: b"this is my identity card, promise\n"),
        ("HTML", lambda: b"<!doctype html><html><body><img src=x></body></html>"),
        ("garbage", lambda: bytes(range(256)) * 8),
    ],
)
def test_other_formats_are_refused(name: str, data: Callable[[], bytes]) -> None:
    with refused("unsupported_document_format", "front"):
        inspect_image(data(), max_bytes=10 * MB)


def test_the_content_decides_not_the_name_or_declared_type(tmp_path: Path) -> None:
    renamed = tmp_path / "recto.jpg"  # a PNG uploaded as recto.jpg, declared image/jpeg
    renamed.write_bytes(png(colour_card()))
    assert inspect_image(renamed.read_bytes(), max_bytes=10 * MB).media_type == "image/png"
    disguised = tmp_path / "recto.png"  # a GIF uploaded as recto.png
    disguised.write_bytes(encode(colour_card(), "GIF"))
    with refused("unsupported_document_format"):
        inspect_image(disguised.read_bytes(), max_bytes=10 * MB)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("JPEG cut in half", lambda: jpeg(colour_card())[: len(jpeg(colour_card())) // 2]),
        ("JPEG without its end", lambda: jpeg(colour_card())[:-200]),
        ("PNG cut in half", lambda: png(colour_card())[: len(png(colour_card())) // 2]),
        ("PNG with a bad CRC", lambda: _flip(png(colour_card()), -20)),
        ("JPEG magic then garbage", lambda: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4),
        ("PNG signature alone", lambda: b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_a_truncated_or_corrupt_image_is_refused(name: str, data: Callable[[], bytes]) -> None:
    with refused("document_unreadable", "front"):
        inspect_image(data(), max_bytes=10 * MB)


def _flip(data: bytes, index: int) -> bytes:
    corrupted = bytearray(data)
    corrupted[index] ^= 0xFF
    return bytes(corrupted)


@pytest.mark.parametrize("size", [(150, 100), (199, 150), (300, 119), (64, 64)])
def test_a_tiny_image_is_refused(size: tuple[int, int]) -> None:
    with refused("document_too_small"):
        inspect_image(png(colour_card(size)), max_bytes=MB)


def test_the_size_limit() -> None:
    data = jpeg(colour_card())
    assert inspect_image(data, max_bytes=len(data)).size == len(data)
    with refused("document_too_large", "back"):
        inspect_image(data, max_bytes=len(data) - 1, field="back")


def test_an_empty_file_is_refused() -> None:
    with refused("document_empty", "front"):
        inspect_image(b"", max_bytes=MB)


def test_a_minimal_pdf_passes_without_a_colour_check() -> None:
    inspected = inspect_image(MINIMAL_PDF, max_bytes=MB)
    assert (inspected.media_type, inspected.extension, inspected.width, inspected.height) == (
        "application/pdf",
        ".pdf",
        None,
        None,
    )
    assert not inspected.colour_checked
    assert inspected.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert inspect_image(MINIMAL_PDF.replace(b"%PDF-1.4", b"%PDF-2.0"), max_bytes=MB).media_type == "application/pdf"


@pytest.mark.parametrize(
    "data",
    [
        MINIMAL_PDF[:-20],  # truncated: no %%EOF
        MINIMAL_PDF.replace(b"%PDF-1.4", b"%PDF-9.9"),
        b"%PDF-",
        MINIMAL_PDF.replace(b"%%EOF\n", b"") + b"%%EOF" + b" " * 2000,  # %%EOF far from the end
    ],
)
def test_a_broken_pdf_is_refused(data: bytes) -> None:
    with refused("document_unreadable"):
        inspect_image(data, max_bytes=MB)


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header announcing a huge RGB image, with a few bytes of (compressed) pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")


def jpeg_announcing(data: bytes, width: int, height: int) -> bytes:
    """``data``, a baseline JPEG, with its frame header (SOF0) rewritten to announce ``width`` x ``height``."""
    rewritten = bytearray(data)
    sof = rewritten.index(b"\xff\xc0")
    rewritten[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(rewritten)


def bomb_jpeg(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header announces ``width`` x ``height``."""
    return jpeg_announcing(jpeg(colour_card(), optimize=False, progressive=False), width, height)


@pytest.mark.parametrize(
    "data",
    [
        bomb_png(100_000, 100_000),  # over Pillow's own DecompressionBombError limit
        bomb_png(10_000, 9_000),  # between Pillow's warning and error limits
        bomb_jpeg(65_000, 65_000),
        bomb_jpeg(8_000, 7_000),
    ],
)
def test_a_decompression_bomb_is_refused_before_decoding(data: bytes) -> None:
    max_pixels_before = Image.MAX_IMAGE_PIXELS
    assert len(data) < 100_000
    with refused("document_too_many_pixels", "front"):
        inspect_image(data, max_bytes=10 * MB)
    assert max_pixels_before == Image.MAX_IMAGE_PIXELS  # Pillow's global left alone


def test_the_pixel_limit_is_the_callers() -> None:
    data = png(colour_card((640, 400)))
    assert inspect_image(data, max_bytes=MB, max_pixels=640 * 400).width == 640
    with refused("document_too_many_pixels"):
        inspect_image(data, max_bytes=MB, max_pixels=640 * 400 - 1)


@pytest.fixture(scope="module")
def jpeg_at_the_limit() -> bytes:
    """A real colour JPEG of exactly :data:`DEFAULT_MAX_PIXELS` pixels, 5000 x 5000."""
    assert DEFAULT_MAX_PIXELS == 5000 * 5000
    return jpeg(colour_card((5000, 5000)), quality=75)


def test_a_jpeg_of_exactly_the_pixel_limit_passes_one_row_more_is_refused_unread(
    jpeg_at_the_limit: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspected = inspect_image(jpeg_at_the_limit, max_bytes=10 * MB)
    assert (inspected.width, inspected.height) == (5000, 5000)
    decodes = record_decodes(monkeypatch, fail=True)
    with refused("document_too_many_pixels", "front") as raised:
        inspect_image(jpeg_announcing(jpeg_at_the_limit, 5000, 5001), max_bytes=10 * MB)
    assert raised.value.message == "the image is 5000 x 5001 pixels, more than 25000000 pixels in all"
    assert decodes.count == 0


@pytest.mark.slow
def test_a_png_of_exactly_the_pixel_limit_passes_one_row_more_is_refused_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A palette PNG (256 colours, all opaque): one byte a pixel once decoded, so the pixel limit binds first.
    inspected = inspect_image(streamed_png(5000, 5000, colour_type=PALETTE), max_bytes=10 * MB)
    assert (inspected.width, inspected.height, inspected.media_type) == (5000, 5000, "image/png")
    decodes = record_decodes(monkeypatch, fail=True)
    with refused("document_too_many_pixels"):
        inspect_image(streamed_png(5000, 5001, colour_type=PALETTE), max_bytes=10 * MB)
    assert decodes.count == 0


@pytest.mark.parametrize(
    ("name", "data", "size"),
    [
        ("issue 11's PNG", lambda: streamed_png(7000, 7000), (7000, 7000)),
        ("a 48 MP JPEG", lambda: bomb_jpeg(8000, 6000), (8000, 6000)),
    ],
)
@pytest.mark.slow
def test_an_image_over_the_limit_is_refused_on_its_header_without_decoding(
    monkeypatch: pytest.MonkeyPatch, name: str, data: Callable[[], bytes], size: tuple[int, int]
) -> None:
    upload = data()
    assert len(upload) < MB
    with Image.open(io.BytesIO(upload)) as header:
        assert header.size == size  # a well-formed header: only its numbers are refused
    decodes = record_decodes(monkeypatch, fail=True)  # a decode would end as document_unreadable
    with refused("document_too_many_pixels", "front") as raised:
        inspect_image(upload, max_bytes=10 * MB)
    assert raised.value.message == f"the image is {size[0]} x {size[1]} pixels, more than 25000000 pixels in all"
    assert decodes.count == 0


def test_the_decode_budget_is_the_callers() -> None:
    data = png(colour_card((640, 400)))  # RGB: 4 bytes a pixel once decoded by Pillow
    assert inspect_image(data, max_bytes=MB, max_decode_bytes=640 * 400 * 4).width == 640
    with refused("document_too_many_pixels", "front") as raised:
        inspect_image(data, max_bytes=MB, max_decode_bytes=640 * 400 * 4 - 1)
    assert raised.value.message == (
        "judging this 640 x 400 PNG would take 1024000 bytes of memory, more than the 1023999 allowed: "
        "send a smaller image"
    )


@pytest.mark.parametrize(("colour_type", "bit_depth"), [(RGB, 8), (RGBA, 16)])
@pytest.mark.slow
def test_a_colour_png_fits_the_default_decode_budget_up_to_4096_by_4096(
    monkeypatch: pytest.MonkeyPatch, colour_type: int, bit_depth: int
) -> None:
    # Pillow holds RGB, RGBA and their 16-bit forms in 4 bytes a pixel: 4096 x 4096 is the budget exactly.
    assert DEFAULT_MAX_DECODE_BYTES == 4096 * 4096 * 4
    at_budget = streamed_png(4096, 4096, colour_type=colour_type, bit_depth=bit_depth)
    assert inspect_image(at_budget, max_bytes=10 * MB).width == 4096
    decodes = record_decodes(monkeypatch, fail=True)
    with refused("document_too_many_pixels") as raised:
        inspect_image(streamed_png(4096, 4097, colour_type=colour_type, bit_depth=bit_depth), max_bytes=10 * MB)
    assert f"would take {4096 * 4097 * 4} bytes" in raised.value.message
    assert decodes.count == 0


def test_a_progressive_jpeg_is_budgeted_for_its_whole_coefficient_buffer() -> None:
    card = colour_card((2000, 1600))
    baseline, progressive = jpeg(card), jpeg(card, progressive=True)
    picture = 500 * 400 * 4  # decoded at 1/4 scale, the largest that keeps 256 pixels a side
    coefficients = (2000 // 16) * (1600 // 16) * 6 * 128  # 4:2:0: six 8 x 8 blocks of 2-byte values a 16 x 16 MCU
    assert inspect_image(baseline, max_bytes=MB, max_decode_bytes=picture).width == 2000
    with refused("document_too_many_pixels"):
        inspect_image(baseline, max_bytes=MB, max_decode_bytes=picture - 1)
    assert inspect_image(progressive, max_bytes=MB, max_decode_bytes=picture + coefficients).width == 2000
    with refused("document_too_many_pixels") as raised:
        inspect_image(progressive, max_bytes=MB, max_decode_bytes=picture + coefficients - 1)
    assert "2000 x 1600 progressive JPEG" in raised.value.message


def test_a_png_is_budgeted_for_the_text_pillow_would_inflate() -> None:
    # 40 small zTXt chunks, each of which Pillow may inflate to MAX_TEXT_CHUNK and keep with the image.
    notes = [png_chunk(b"zTXt", b"note%d\x00\x00" % i + zlib.compress(b"x" * 1000)) for i in range(40)]
    data = streamed_png(640, 400, before_pixels=notes[:20], after_pixels=notes[20:])
    needed = 640 * 400 * 4 + 40 * PngImagePlugin.MAX_TEXT_CHUNK
    assert inspect_image(data, max_bytes=MB, max_decode_bytes=needed).width == 640
    with refused("document_too_many_pixels"):
        inspect_image(data, max_bytes=MB, max_decode_bytes=needed - 1)


@pytest.mark.parametrize(("colour_type", "bit_depth"), [(GREY, 8), (GREY, 16), (GREY_ALPHA, 8)])
def test_a_greyscale_png_is_refused_on_its_header(
    monkeypatch: pytest.MonkeyPatch, colour_type: int, bit_depth: int
) -> None:
    data = streamed_png(3000, 2000, colour_type=colour_type, bit_depth=bit_depth)
    decodes = record_decodes(monkeypatch, fail=True)
    with refused("document_not_in_colour"):
        inspect_image(data, max_bytes=10 * MB)
    assert decodes.count == 0


def test_a_16_bit_grey_png_with_alpha_is_judged_on_its_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    decodes = record_decodes(monkeypatch)  # Pillow opens it as RGBA: only the pixels tell it is grey
    with refused("document_not_in_colour"):
        inspect_image(streamed_png(3000, 2000, colour_type=GREY_ALPHA, bit_depth=16), max_bytes=10 * MB)
    assert decodes.count == 1


def grey_with_colour_noise(size: tuple[int, int], share: float) -> Image.Image:
    """A grey scan on which ``share`` of the pixels, scattered at random, are saturated red."""
    width, height = size
    noise = Image.frombytes("L", size, random.Random(11).randbytes(width * height))
    mask = noise.point(lambda value: 255 if value < round(share * 256) else 0)
    image = grey_rgb(size)
    image.paste((230, 20, 20), mask=mask)
    return image


def test_a_big_jpeg_is_decoded_at_one_eighth_of_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    decodes = record_decodes(monkeypatch)
    inspected = inspect_image(jpeg(colour_card((4000, 3000)), quality=70), max_bytes=50 * MB)
    assert (inspected.width, inspected.height) == (4000, 3000)
    assert decodes.sizes == [(500, 375)]  # Pillow's draft mode: libjpeg's scaled decode


@pytest.mark.parametrize("encode", [jpeg, png], ids=["JPEG", "PNG"])
@pytest.mark.slow
def test_colour_is_judged_right_on_a_reduced_decode(encode: Callable[[Image.Image], bytes]) -> None:
    size = (4000, 3000)
    noisy = grey_with_colour_noise(size, share=COLOUR_MIN_SHARE * 0.75)
    red = dict((colour, count) for count, colour in noisy.getcolors(1000) or [])[(230, 20, 20)]
    assert 0.5 * COLOUR_MIN_SHARE < red / (4000 * 3000) < COLOUR_MIN_SHARE  # real noise, below the share
    with refused("document_not_in_colour"):
        inspect_image(encode(noisy), max_bytes=50 * MB)
    assert inspect_image(encode(colour_card(size)), max_bytes=50 * MB).colour_checked


def test_colour_anywhere_in_a_png_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    # The PNG is reduced strip by strip: colour in its last rows only counts as much as anywhere else.
    image = grey_rgb((3000, 2000))
    ImageDraw.Draw(image).rectangle((0, 1900, 2999, 1999), fill=(200, 40, 40))  # 5% of the pixels, at the bottom
    assert inspect_image(png(image), max_bytes=10 * MB).colour_checked
    ImageDraw.Draw(image).rectangle((0, 1900, 2999, 1994), fill=(120, 120, 120))  # 0.25%: a grey scan again
    with refused("document_not_in_colour"):
        inspect_image(png(image), max_bytes=10 * MB)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("accepted JPEG", lambda: jpeg(colour_card((2000, 1600))), None),
        ("accepted PNG", lambda: png(colour_card((2000, 1600))), None),
        ("grey RGB PNG", lambda: png(grey_rgb((2000, 1600))), "document_not_in_colour"),
        ("truncated JPEG", lambda: jpeg(colour_card((2000, 1600)))[:-2000], "document_unreadable"),
    ],
)
def test_no_decoded_image_is_held_after_the_judgement(
    monkeypatch: pytest.MonkeyPatch, name: str, data: Callable[[], bytes], code: str | None
) -> None:
    upload = data()
    decodes = record_decodes(monkeypatch)
    if code is None:
        inspect_image(upload, max_bytes=10 * MB)
    else:
        with refused(code):  # the exception, kept by pytest, still refers to the frames that held the image
            inspect_image(upload, max_bytes=10 * MB)
    assert decodes.count == 1
    assert decodes.all_released()


def test_both_sides_are_decoded_once_each_and_released(monkeypatch: pytest.MonkeyPatch) -> None:
    decodes = record_decodes(monkeypatch)
    inspect_document(
        parse_document_type("id_card:fra"), front=jpeg(colour_card()), back=png(colour_card()), max_bytes=MB
    )
    assert decodes.sizes == [(640, 400), (640, 400)]
    assert decodes.all_released()


def test_both_sides_of_a_document() -> None:
    card, passport = parse_document_type("id_card:fra"), parse_document_type("passport:fra")
    front, back = jpeg(colour_card()), png(colour_card())
    inspected_front, inspected_back = inspect_document(card, front=front, back=back, max_bytes=MB)
    assert inspected_front.media_type == "image/jpeg"
    assert inspected_back is not None
    assert inspected_back.media_type == "image/png"
    assert inspect_document(passport, front=front, back=None, max_bytes=MB)[1] is None
    with refused("document_missing", "front"):
        inspect_document(card, front=None, back=back, max_bytes=MB)
    with refused("document_missing", "back"):
        inspect_document(card, front=front, back=b"", max_bytes=MB)
    with refused("document_unexpected", "back"):
        inspect_document(passport, front=front, back=back, max_bytes=MB)
    with refused("document_not_in_colour", "back"):
        inspect_document(card, front=front, back=jpeg(grey_rgb()), max_bytes=MB)


def test_a_document_error_is_a_field_error_of_the_problem() -> None:
    error = DocumentError("document_empty", "the file is empty", field="front")
    assert isinstance(error, InvalidInput)
    assert error.status == 400
    assert (error.code, error.message, error.detail, error.field) == (
        "document_empty",
        "the file is empty",
        "the file is empty",
        "front",
    )
    assert error.errors == [{"field": "front", "code": "document_empty", "detail": "the file is empty"}]
    error.field = "back"
    assert error.errors == [{"field": "back", "code": "document_empty", "detail": "the file is empty"}]


# ------------------------------------------------------------------------------------------------------------
# MRZ
# ------------------------------------------------------------------------------------------------------------

_VALUES = {char: value for value, char in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {"<": 0}


def cd(data: str) -> str:
    """ICAO 9303 Part 3 check digit, written independently of the module's."""
    return str(sum(_VALUES[char] * (7, 3, 1)[i % 3] for i, char in enumerate(data)) % 10)


def td3(
    *,
    name: str = "DUPONT<MARTIN<<ELOISE<MARIE",
    code: str = "P<",
    state: str = "FRA",
    number: str = "19AB12345",
    nationality: str = "FRA",
    birth: str = "850315",
    sex: str = "F",
    expiry: str = "310101",
    personal: str = "",
    personal_check: str | None = None,
) -> str:
    line1 = (code + state + name).ljust(44, "<")
    field = personal.ljust(14, "<")
    if personal_check is None:
        personal_check = cd(field) if personal else "<"
    line2 = number.ljust(9, "<") + cd(number.ljust(9, "<")) + nationality.ljust(3, "<")
    line2 += birth + cd(birth) + sex + expiry + cd(expiry) + field + personal_check
    line2 += cd(line2[0:10] + line2[13:20] + line2[21:43])
    assert len(line1) == len(line2) == 44
    return f"{line1}\n{line2}"


def td1(
    *,
    name: str = "DUPONT<MARTIN<<ELOISE<MARIE",
    code: str = "ID",
    state: str = "FRA",
    number: str = "X4RTBPFW4",
    nationality: str = "FRA",
    birth: str = "850315",
    sex: str = "F",
    expiry: str = "310101",
    optional1: str = "",
    optional2: str = "",
) -> str:
    if len(number) <= 9:
        line1 = code + state + number.ljust(9, "<") + cd(number.ljust(9, "<")) + optional1.ljust(15, "<")
    else:  # ICAO 9303 Part 5: the rest of a long number, its check digit, a filler, in optional data 1
        line1 = code + state + number[:9] + "<" + (number[9:] + cd(number) + "<" + optional1).ljust(15, "<")
    line2 = birth + cd(birth) + sex + expiry + cd(expiry) + nationality.ljust(3, "<") + optional2.ljust(11, "<")
    line2 += cd(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    line3 = name.ljust(30, "<")
    assert len(line1) == len(line2) == len(line3) == 30
    return f"{line1}\n{line2}\n{line3}"


PASSPORT_FRA = parse_document_type("passport:fra")
ID_CARD_FRA = parse_document_type("id_card:fra")
PERMIT_FRA = parse_document_type("residence_permit:fra")
TODAY = date(2026, 5, 1)


def check(
    text: str,
    document_type: DocumentType = PASSPORT_FRA,
    *,
    given_name: str = "Éloïse",
    surname: str = "Dupont-Martin",
    birth_date: date = date(1985, 3, 15),
    today: date = TODAY,
) -> MrzResult:
    """``check_mrz`` for the applicant Éloïse Dupont-Martin, born 15 March 1985, unless told otherwise."""
    return check_mrz(
        text, document_type=document_type, given_name=given_name, surname=surname, birth_date=birth_date, today=today
    )


SPECIMEN_TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
SPECIMEN_TD1 = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
# ICAO 9303 Part 5's example of a document number longer than 9 characters (D23145890734, check digit 9).
SPECIMEN_TD1_LONG_NUMBER = (
    "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<"
)
SPECIMEN_PASSPORT = parse_document_type("passport:uto", allow_icao_specimen=True)
SPECIMEN_CARD = parse_document_type("id_card:uto", allow_icao_specimen=True)


def check_anna(text: str, document_type: DocumentType, *, today: date = date(2010, 1, 1)) -> MrzResult:
    """``check_mrz`` for the specimens' holder, Anna Maria Eriksson, born 12 August 1974, before they expired."""
    return check(
        text, document_type, given_name="Anna Maria", surname="Eriksson", birth_date=date(1974, 8, 12), today=today
    )


def test_the_check_digit_function_agrees_with_the_specimens() -> None:
    for data, digit in [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("ZE184226B<<<<<", "1")]:
        assert mrz_check_digit(data) == cd(data) == digit
    line2 = SPECIMEN_TD3.split("\n")[1]
    assert mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43]) == "0"
    with pytest.raises(ValueError, match="not an MRZ character"):
        mrz_check_digit("AB-12")


def test_the_icao_td3_specimen() -> None:
    result = check_anna(SPECIMEN_TD3, SPECIMEN_PASSPORT)
    assert result.format == "TD3"
    assert result.document_code == "P"
    assert (result.issuing_state, result.nationality, result.document_number) == ("UTO", "UTO", "L898902C3")
    assert (result.birth_date, result.expiry_date, result.sex) == (date(1974, 8, 12), date(2012, 4, 15), "F")
    assert (result.surname, result.given_names, result.optional_data) == ("ERIKSSON", "ANNA MARIA", "ZE184226B")


def test_the_icao_td1_specimens() -> None:
    result = check_anna(SPECIMEN_TD1, SPECIMEN_CARD)
    assert (result.format, result.document_code, result.document_number) == ("TD1", "I", "D23145890")
    assert (result.birth_date, result.expiry_date, result.sex) == (date(1974, 8, 12), date(2012, 4, 15), "F")
    assert (result.surname, result.given_names) == ("ERIKSSON", "ANNA MARIA")
    long = check(
        SPECIMEN_TD1_LONG_NUMBER,
        SPECIMEN_CARD,
        given_name="Peter",
        surname="Stevenson",
        birth_date=date(1934, 7, 12),
        today=date(1990, 1, 1),
    )
    assert (long.document_number, long.sex, long.given_names) == ("D23145890734", "M", "PETER JOHN")
    assert long.expiry_date == date(2095, 7, 12)  # two-digit expiry years are read in the 2000s


def test_the_specimens_need_the_specimen_state() -> None:
    with refused("mrz_document_type_mismatch", "mrz"):
        check_anna(SPECIMEN_TD3, PASSPORT_FRA)


def test_a_french_passport_built_here() -> None:
    result = check(td3(personal="1234567890"))
    assert (result.surname, result.given_names, result.document_number) == (
        "DUPONT MARTIN",
        "ELOISE MARIE",
        "19AB12345",
    )
    assert (result.optional_data, result.expiry_date, result.issuing_state) == ("1234567890", date(2031, 1, 1), "FRA")


def test_a_french_identity_card_and_residence_permit_built_here() -> None:
    card = check(td1(), ID_CARD_FRA)
    assert (card.format, card.document_code, card.document_number) == ("TD1", "ID", "X4RTBPFW4")
    permit = check(
        td1(code="IR", number="AB1234567", nationality="MAR", optional1="0123456789", optional2="12345"), PERMIT_FRA
    )
    assert (permit.document_code, permit.nationality, permit.optional_data) == ("IR", "MAR", "0123456789 12345")
    assert check(td1(number="X4RTBPFW4123"), ID_CARD_FRA).document_number == "X4RTBPFW4123"


def test_the_mrz_text_is_normalised() -> None:
    line1, line2 = td3().split("\n")
    for text in (
        f"  {line1.lower()}\r\n\n {line2} \n",
        f"{line1[:20]} {line1[20:]}\n{line2}",
        line1 + line2,  # one run of 88
        f"{line1}\t{line2}",
    ):
        assert check(text).lines == (line1, line2)
    assert check(td1().replace("\n", ""), ID_CARD_FRA).format == "TD1"


def test_a_german_passport_writes_d() -> None:
    result = check(
        td3(state="D<<", nationality="D", name="MUELLER<<JUERGEN"),
        parse_document_type("passport:deu"),
        given_name="Jürgen",
        surname="Müller",
    )
    assert (result.issuing_state, result.nationality) == ("DEU", "DEU")


def _replace(text: str, line: int, start: int, replacement: str) -> str:
    lines = text.split("\n")
    lines[line] = lines[line][:start] + replacement + lines[line][start + len(replacement) :]
    return "\n".join(lines)


def _bump(text: str, line: int, position: int) -> str:
    """``text`` with the digit at ``position`` of ``line`` changed."""
    return _replace(text, line, position, str((int(text.split("\n")[line][position]) + 1) % 10))


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (_bump(td3(), 1, 9), "document number"),
        (_bump(td3(), 1, 19), "birth date"),
        (_bump(td3(), 1, 27), "expiry date"),
        (td3(personal="1234567890", personal_check="0"), "personal number"),
        (_bump(td3(), 1, 43), "composite"),
        (_replace(td3(), 1, 0, "19AB12346"), "document number"),  # the number misread, its check digit kept
    ],
)
def test_td3_check_digits(text: str, what: str) -> None:
    with refused("mrz_check_digit", "mrz") as raised:
        check(text)
    assert what in raised.value.message


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (_bump(td1(), 0, 14), "document number"),
        (_bump(td1(), 1, 6), "birth date"),
        (_bump(td1(), 1, 14), "expiry date"),
        (_bump(td1(), 1, 29), "composite"),
        (_replace(td1(), 0, 20, "X"), "composite"),  # optional data 1 is only covered by the composite
        (_bump(td1(number="X4RTBPFW4123"), 0, 18), "document number"),  # a long number's own check digit
    ],
)
def test_td1_check_digits(text: str, what: str) -> None:
    with refused("mrz_check_digit", "mrz") as raised:
        check(text, ID_CARD_FRA)
    assert what in raised.value.message


def test_an_unused_personal_number_may_have_a_filler_or_zero_check_digit() -> None:
    for digit in ("<", "0"):
        assert check(td3(personal_check=digit)).optional_data == ""


@pytest.mark.parametrize(
    "text",
    [
        "",
        td3().split("\n")[0],  # one line
        td3() + "<",  # 44 + 45
        td3().replace("\n", "<\n") + "<",  # 45 + 45
        td1() + "\n" + "<" * 30,  # four lines
        td3().replace("FRA", "FR-", 1),  # a character outside A-Z 0-9 <
        td3(name="DUP0NT<MARTIN<<ELOISE<MARIE"),  # a digit in the name
        td3(name="<<ELOISE"),  # no primary identifier
        td3(nationality="ZZZ"),  # unknown nationality
        td3(state="QQQ"),  # unknown issuing state
        td3(birth="851315"),  # month 13, with a right check digit
        td3(expiry="310231"),  # 31 February
        td3(birth="85<<<<"),  # unknown birth day and month
        td3(number="<<<<<<<<<"),  # no document number
        td3(sex="Q"),
        _replace(td1(), 0, 14, "<7"),  # a long document number announced, with no room for it
    ],
)
def test_malformed_mrz(text: str) -> None:
    with refused("mrz_malformed", "mrz"):
        check(text, ID_CARD_FRA if text.count("\n") == 2 else PASSPORT_FRA)


@pytest.mark.parametrize(
    ("text", "document_type"),
    [
        (td3(), ID_CARD_FRA),  # a passport MRZ for an identity card
        (td3(), PERMIT_FRA),
        (td1(), PASSPORT_FRA),  # an identity card MRZ for a passport
        (td3(code="V<"), PASSPORT_FRA),  # a visa
        (td1(code="IR"), ID_CARD_FRA),  # a residence permit for an identity card
        (td1(code="P<"), PERMIT_FRA),
        (td3(state="BEL"), PASSPORT_FRA),  # issued by another state than the type says
        (td1(state="BEL"), ID_CARD_FRA),
    ],
)
def test_document_type_mismatch(text: str, document_type: DocumentType) -> None:
    with refused("mrz_document_type_mismatch", "mrz"):
        check(text, document_type)


def test_the_birth_date_must_be_the_applicants() -> None:
    with refused("mrz_birth_date_mismatch", "mrz"):
        check(td3(birth="850316"))


@pytest.mark.parametrize(
    ("yymmdd", "born"),
    [
        ("050101", date(2005, 1, 1)),
        ("260501", date(2026, 5, 1)),  # today: not in the future
        ("260502", date(1926, 5, 2)),  # tomorrow in the 2000s: so in the 1900s
        ("300101", date(1930, 1, 1)),
        ("000229", date(2000, 2, 29)),
    ],
)
def test_two_digit_birth_years_are_never_in_the_future(yymmdd: str, born: date) -> None:
    assert check(td3(birth=yymmdd), birth_date=born).birth_date == born


def test_the_document_must_not_have_expired() -> None:
    assert check(td3(expiry="260501")).expiry_date == TODAY  # valid on its expiry day
    with refused("mrz_expired", "mrz") as raised:
        check(td3(expiry="260430"))
    assert "2026-04-30" in raised.value.message
    with refused("mrz_expired"):
        check_anna(SPECIMEN_TD3, SPECIMEN_PASSPORT, today=TODAY)


@pytest.mark.parametrize(
    ("name", "given_name", "surname"),
    [
        ("DUPONT<MARTIN<<ELOISE<MARIE", "Éloïse", "Dupont-Martin"),  # accents stripped, hyphen a filler
        ("DUPONT<MARTIN<<ELOISE<MARIE", "éloïse marie", "DUPONT MARTIN"),
        ("DUPONT<MARTIN<<ELOISE<MARIE", "Marie", "Dupont-Martin"),  # the usual given name may be a later one
        ("DESTAING<<JEAN<FRANCOIS", "Jean-François", "d'Estaing"),  # apostrophe removed
        ("OBRIEN<<SEAN", "Seán", "O\u2019Brien"),
        ("MUELLER<<JUERGEN", "Jürgen", "Müller"),  # ICAO's recommended Ü -> UE
        ("MULLER<<JURGEN", "Jürgen", "Müller"),  # or the diacritic dropped
        ("LAETITIA<<CLEMENCE", "Clémence", "Lætitia"),
        ("KOWALSKI<<LUKASZ", "Łukasz", "Kowalski"),
        ("STRASSE<<ANNA", "Anna", "Straße"),
        # full 39-character fields, cut as ICAO does: the last given name shortened, the next ones dropped...
        ("VANDERBERGHE<DE<LA<TOUR<<MARIE<CHRISTIN", "Marie-Christine Hélène", "Vanderberghe de la Tour"),
        # ... or the given names all dropped and the surname itself cut
        ("WOLFESCHLEGELSTEINHAUSENBERGERDORFF<VON", "Hubert", "Wolfeschlegelsteinhausenbergerdorff von Ulm"),
    ],
)
def test_names_that_match(name: str, given_name: str, surname: str) -> None:
    result = check(td3(name=name), given_name=given_name, surname=surname)
    assert result.surname == name.partition("<<")[0].replace("<", " ")


@pytest.mark.parametrize(
    ("name", "given_name", "surname"),
    [
        ("DUPONT<MARTIN<<ELOISE<MARIE", "Éloïse", "Dupont"),  # half the surname
        ("DUPONT<MARTIN<<ELOISE<MARIE", "Éloïse", "Durand-Martin"),
        ("DUPONT<MARTIN<<ELOISE<MARIE", "Héloïse", "Dupont-Martin"),
        ("DUPONT<MARTIN<<ELOISE<MARIE", "Marie Éloïse", "Dupont-Martin"),  # order matters
        ("DUPONT<MARTIN<<ELOISE<MARIE", "Élo", "Dupont-Martin"),  # no truncation when the field is not full
        ("DUPONT<MARTIN<<ELOISE<MARIE", "", "Dupont-Martin"),
        ("DUPONT<MARTIN", "Éloïse", "Dupont-Martin"),  # no given name on the document
        ("VANDERBERGHE<DE<LA<TOUR<<MARIE<CHRISTIN", "Hélène", "Vanderberghe de la Tour"),  # cut, but not that
        ("WOLFESCHLEGELSTEINHAUSENBERGERDORFF<VON", "Hubert", "Wolfeschlegelsteinhausen"),
    ],
)
def test_names_that_do_not_match(name: str, given_name: str, surname: str) -> None:
    with refused("mrz_name_mismatch", "mrz"):
        check(td3(name=name), given_name=given_name, surname=surname)


def test_icao_name() -> None:
    assert icao_name("Jean-François d'Estaing") == "JEAN<FRANCOIS<DESTAING"
    assert icao_name("  Anne -  Sophie  ") == "ANNE<SOPHIE"
    assert icao_name("Müller") == "MULLER"
    assert icao_name("Müller", german_umlauts=True) == "MUELLER"
    assert icao_name("Ørsted Æbelø") == "OERSTED<AEBELOE"


def test_the_sex_field() -> None:
    assert check(td3(sex="<")).sex == "X"
    assert check(td3(sex="X")).sex == "X"
    assert check(td3(sex="M")).sex == "M"


# -- TD2 and the French identity card of 1988 ---------------------------------------------------------------------


def td2(
    *,
    name: str = "DUPONT<MARTIN<<ELOISE<MARIE",
    code: str = "ID",
    state: str = "AUT",
    number: str = "P1234567",
    nationality: str = "AUT",
    birth: str = "850315",
    sex: str = "F",
    expiry: str = "310101",
) -> str:
    """ICAO 9303 Part 6, every check digit computed here."""
    line1 = (code + state + name).ljust(36, "<")[:36]
    line2 = number.ljust(9, "<") + cd(number.ljust(9, "<")) + nationality + birth + cd(birth) + sex + expiry
    line2 += cd(expiry) + "<" * 7
    line2 += cd(line2[0:10] + line2[13:20] + line2[21:35])
    assert len(line1) == len(line2) == 36
    return f"{line1}\n{line2}"


def fr1988(
    *,
    surname: str = "DUPONT<MARTIN",
    given: str = "ELOISE<<MARIE",
    number: str = "130575012345",
    birth: str = "850315",
    sex: str = "F",
    office: str = "075023",
) -> str:
    """The French identity card of 1988-2021 (2 x 36, France's own layout), every check digit computed here."""
    line1 = ("IDFRA" + surname.ljust(25, "<") + office)[:36]
    head = number + cd(number) + given.ljust(14, "<")[:14] + birth + cd(birth) + sex
    line2 = head + cd(line1 + head)
    assert len(line1) == len(line2) == 36
    return f"{line1}\n{line2}"


ID_CARD_AUT = parse_document_type("id_card:aut")


def test_a_td2_identity_card() -> None:
    result = check(td2(), ID_CARD_AUT)
    assert (result.format, result.document_number, result.issuing_state, result.nationality) == (
        "TD2",
        "P1234567",
        "AUT",
        "AUT",
    )
    assert (result.surname, result.given_names, result.expiry_date) == (
        "DUPONT MARTIN",
        "ELOISE MARIE",
        date(2031, 1, 1),
    )
    assert check(td2(), ID_CARD_AUT).lines == tuple(td2().split("\n"))
    assert check(td2().replace("\n", ""), ID_CARD_AUT).format == "TD2"  # one run of 72


@pytest.mark.parametrize(
    ("line", "position", "what"),
    [(1, 9, "document number"), (1, 19, "birth date"), (1, 27, "expiry date"), (1, 35, "composite")],
)
def test_td2_check_digits(line: int, position: int, what: str) -> None:
    with refused("mrz_check_digit", "mrz") as raised:
        check(_bump(td2(), line, position), ID_CARD_AUT)
    assert what in raised.value.message


def test_a_td1_european_card_and_mismatches() -> None:
    assert check(td1(state="AUT", nationality="AUT"), ID_CARD_AUT).format == "TD1"
    for text, document_type in (
        (td2(), PASSPORT_FRA),  # a TD2 for a passport
        (td2(), PERMIT_FRA),  # French residence permits are TD1
        (td2(state="DEU"), ID_CARD_AUT),  # issued by another state
        (td1(), parse_document_type("driving_licence:fra")),  # a driving licence has no ICAO MRZ
    ):
        with refused("mrz_document_type_mismatch", "mrz"):
            check(text, document_type)


def test_the_french_identity_card_of_1988() -> None:
    result = check(fr1988(), ID_CARD_FRA)
    assert (result.format, result.document_number, result.issuing_state, result.document_code) == (
        "FR1988",
        "130575012345",
        "FRA",
        "ID",
    )
    assert (result.surname, result.given_names, result.optional_data) == ("DUPONT MARTIN", "ELOISE MARIE", "075023")
    # Issued in May 2013 to an adult: 15 years, to the end of May 2028.
    assert result.expiry_date == date(2028, 5, 31)


@pytest.mark.parametrize(
    ("number", "birth", "last_valid"),
    [
        ("130575012345", "850315", date(2028, 5, 31)),  # adult, 2013: 15 years
        ("040175012345", "850315", date(2019, 1, 31)),  # adult, January 2004: 15 years (from 2 January 2004)
        ("031275012345", "850315", date(2013, 12, 31)),  # adult, December 2003: 10 years
        ("140175012345", "850315", date(2024, 1, 31)),  # adult, 2014: 10 years
        ("120675012345", "000315", date(2022, 6, 30)),  # a minor in 2012: 10 years
        ("960275012345", "750315", date(2006, 2, 28)),  # 1996: 10 years
    ],
)
def test_the_1988_card_expires_by_its_month_of_issue(number: str, birth: str, last_valid: date) -> None:
    born = date(1900 + int(birth[:2]) if int(birth[:2]) > 30 else 2000 + int(birth[:2]), int(birth[2:4]), 15)
    text = fr1988(number=number, birth=birth)
    assert check(text, ID_CARD_FRA, birth_date=born, today=last_valid).expiry_date == last_valid
    with refused("mrz_expired", "mrz"):
        check(text, ID_CARD_FRA, birth_date=born, today=last_valid + timedelta(days=1))


@pytest.mark.parametrize(
    ("line", "position", "what"),
    [(1, 12, "document number"), (1, 33, "birth date"), (1, 35, "composite"), (0, 33, "composite")],
)
def test_the_1988_card_check_digits(line: int, position: int, what: str) -> None:
    with refused("mrz_check_digit", "mrz") as raised:
        check(_bump(fr1988(), line, position), ID_CARD_FRA)
    assert what in raised.value.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (fr1988(given="JEANNE"), "mrz_name_mismatch"),
        (fr1988(surname="DURAND"), "mrz_name_mismatch"),
        (fr1988(birth="850316"), "mrz_birth_date_mismatch"),
        (fr1988(number="131375012345"), "mrz_malformed"),  # month 13
        (fr1988(number="AB0575012345"), "mrz_malformed"),
        (fr1988(sex="X"), "mrz_malformed"),
        (fr1988(given="<<ELOISE"), "mrz_malformed"),
    ],
)
def test_the_1988_card_refusals(text: str, code: str) -> None:
    with refused(code, "mrz"):
        check(text, ID_CARD_FRA)


def test_the_1988_layout_is_french_only() -> None:
    """2 x 36 on a Belgian card is read as TD2 (its structure then fails), never as France's layout."""
    with pytest.raises(DocumentError):
        check(fr1988(), parse_document_type("id_card:bel"))
    with refused("mrz_document_type_mismatch", "mrz"):
        check(fr1988(), PASSPORT_FRA)
