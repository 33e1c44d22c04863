"""Reading pictures within a memory bound: what a header costs to decode, and the box-averaged colour sample.

The expected costs are worked out by hand here from ITU-T T.81 (8 x 8 blocks of 2-byte coefficients, whole MCUs)
and Pillow's memory layout, not from the module's formula; ``bench/image_memory_bench.py`` measures the real
peaks.
"""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image, PngImagePlugin

from mock_provider.core.images import SAMPLE_SIDE, ImageHeader, UnreadableImage, colour_sample, probe
from tests.helpers.images import PALETTE, png_chunk, record_decodes, streamed_png


def encode(image: Image.Image, format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def test_probe_reads_the_header_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    decodes = record_decodes(monkeypatch, fail=True)
    header = probe(streamed_png(3000, 2000), "PNG")
    assert header == ImageHeader("PNG", 3000, 2000, "RGB", "PNG", 3000 * 2000 * 4)
    assert (header.pixels, header.greyscale) == (6_000_000, False)
    photo = probe(encode(Image.new("RGB", (4000, 3000), (200, 40, 40)), "JPEG"), "JPEG")
    assert photo == ImageHeader("JPEG", 4000, 3000, "RGB", "JPEG", 500 * 375 * 4)  # decoded at 1/8 scale
    assert probe(encode(Image.new("L", (640, 400)), "JPEG"), "JPEG").greyscale
    assert decodes.count == 0


# 1024 x 768, progressive: decoded at 1/2 scale (the largest keeping 256 pixels a side), plus the coefficients
# of every 8 x 8 block of every component, two bytes each, in whole MCUs.
@pytest.mark.parametrize(
    ("mode", "options", "coefficients", "pixel_bytes"),
    [
        ("RGB", {"subsampling": 2}, (1024 // 16) * (768 // 16) * (4 + 1 + 1) * 128, 4),  # 4:2:0
        ("RGB", {"subsampling": 1}, (1024 // 16) * (768 // 8) * (2 + 1 + 1) * 128, 4),  # 4:2:2
        ("RGB", {"subsampling": 0}, (1024 // 8) * (768 // 8) * 3 * 128, 4),  # 4:4:4
        ("CMYK", {}, (1024 // 8) * (768 // 8) * 4 * 128, 4),
        ("L", {}, (1024 // 8) * (768 // 8) * 1 * 128, 1),
    ],
)
def test_a_progressive_jpeg_costs_its_coefficient_buffer(
    mode: str, options: dict[str, object], coefficients: int, pixel_bytes: int
) -> None:
    image = Image.new(mode, (1024, 768))
    header = probe(encode(image, "JPEG", progressive=True, **options), "JPEG")
    assert (header.encoding, header.mode) == ("progressive JPEG", mode)
    assert header.decode_bytes == 512 * 384 * pixel_bytes + coefficients
    assert probe(encode(image, "JPEG", **options), "JPEG").decode_bytes == 512 * 384 * pixel_bytes


def test_a_sequential_jpeg_whose_first_scan_lacks_a_component_is_costed_as_buffered() -> None:
    data = encode(Image.new("RGB", (1024, 768), (200, 40, 40)), "JPEG", subsampling=0)
    sos = data.index(b"\xff\xda")
    assert data[sos + 2 : sos + 5] == b"\x00\x0c\x03"  # length 12, three components interleaved
    # The same header with a first scan of one component (the others would follow in scans of their own).
    one_component = data[: sos + 2] + b"\x00\x08\x01" + data[sos + 5 : sos + 7] + data[sos + 11 :]
    header = probe(one_component, "JPEG")
    assert header.encoding == "multi-scan JPEG"
    assert header.decode_bytes == 512 * 384 * 4 + (1024 // 8) * (768 // 8) * 3 * 128
    filled = data[:sos] + b"\xff\xff" + data[sos:]  # fill bytes before a marker (T.81 B.1.1.2) change nothing
    assert probe(filled, "JPEG").encoding == "JPEG"
    assert probe(filled[:sos] + b"\x00" + filled[sos:], "JPEG").encoding == "multi-scan JPEG"  # junk: the worst


def test_a_png_costs_its_pixels_in_pillows_layout_and_its_text() -> None:
    assert probe(streamed_png(1000, 500, colour_type=PALETTE), "PNG").decode_bytes == 1000 * 500
    assert probe(streamed_png(1000, 500, colour_type=0, bit_depth=16), "PNG").decode_bytes == 1000 * 500 * 2
    assert probe(streamed_png(1000, 500, colour_type=6, bit_depth=16), "PNG").decode_bytes == 1000 * 500 * 4
    plain = png_chunk(b"tEXt", b"Comment\x00" + b"x" * 5000)
    packed = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"x" * 5000))
    with_text = streamed_png(1000, 500, before_pixels=[plain], after_pixels=[packed, plain])
    assert probe(with_text, "PNG").decode_bytes == 1000 * 500 * 4 + 2 * (8 + 5000) + PngImagePlugin.MAX_TEXT_CHUNK


@pytest.mark.parametrize(
    ("data", "format"),
    [
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "JPEG"),
        (encode(Image.new("RGB", (64, 64)), "PNG")[:40], "PNG"),
    ],
)
def test_an_unreadable_header(data: bytes, format: str) -> None:
    with pytest.raises(UnreadableImage):
        probe(data, format)  # type: ignore[arg-type]


def test_the_sample_is_a_box_average_of_at_most_256_pixels_a_side() -> None:
    image = Image.new("RGB", (1000, 300), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 500, 300))  # left half red, right half blue
    data = encode(image, "PNG")
    sample = colour_sample(data, probe(data, "PNG"))
    # boxes of ceil(1000 / 256) = 4 x ceil(300 / 256) = 2 pixels: 250 x 150
    assert (sample.mode, sample.size) == ("RGB", (250, 150))
    assert max(sample.size) <= SAMPLE_SIDE
    assert sample.getpixel((0, 0)) == (255, 0, 0)
    assert sample.getpixel((249, 149)) == (0, 0, 255)
    straddling = Image.new("RGB", (1000, 300), (0, 0, 255))
    straddling.paste((255, 0, 0), (0, 0, 502, 300))  # the box at x = 500..503 is half red, half blue
    data = encode(straddling, "PNG")
    assert colour_sample(data, probe(data, "PNG")).getpixel((125, 0)) == (128, 0, 128)


def test_a_palette_image_with_transparency_is_sampled_without_warning() -> None:
    image = Image.new("RGB", (640, 400), (200, 40, 40)).convert("P", palette=Image.Palette.ADAPTIVE)
    data = encode(image, "PNG", transparency=bytes([255] * 256))  # warnings are errors in this suite
    assert colour_sample(data, probe(data, "PNG")).getpixel((10, 10)) == (200, 40, 40)


def test_a_corrupt_file_is_unreadable_at_the_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(streamed_png(640, 400))
    data[-20] ^= 0xFF  # inside the IDAT chunk: its CRC no longer matches
    header = probe(bytes(data), "PNG")  # the header is fine
    with pytest.raises(UnreadableImage):
        colour_sample(bytes(data), header)
    truncated = encode(Image.new("RGB", (640, 400), (200, 40, 40)), "JPEG")[:-300]
    decodes = record_decodes(monkeypatch)
    with pytest.raises(UnreadableImage):
        colour_sample(truncated, probe(truncated, "JPEG"))
    assert decodes.count == 1
    assert decodes.all_released()
