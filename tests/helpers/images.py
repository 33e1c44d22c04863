"""Big test images made without holding their pixels, and a spy on Pillow's decodes.

:func:`streamed_png` writes a valid PNG of any size row by row with zlib, so that a 7000 x 7000 picture costs the
test a few hundred kilobytes; :func:`record_decodes` notes every image Pillow decodes (``ImageFile.load``), so
that a test can show a refusal came without any decode, or that what was decoded has been released.
"""

from __future__ import annotations

import struct
import weakref
import zlib
from collections.abc import Iterable

import pytest
from PIL import ImageFile

#: PNG colour types (ISO/IEC 15948 §6.1) and their samples per pixel.
GREY, RGB, PALETTE, GREY_ALPHA, RGBA = 0, 2, 3, 4, 6
_SAMPLES = {GREY: 1, RGB: 3, PALETTE: 1, GREY_ALPHA: 2, RGBA: 4}


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def streamed_png(
    width: int,
    height: int,
    *,
    colour_type: int = RGB,
    bit_depth: int = 8,
    before_pixels: Iterable[bytes] = (),
    after_pixels: Iterable[bytes] = (),
) -> bytes:
    """A complete, valid PNG of blue and red vertical stripes (palette: 256 colours, the stripes' among them;
    grey types: light and dark stripes), with extra chunks before and after its pixels if given."""
    sample_bytes = bit_depth // 8
    if colour_type == PALETTE:
        stripes = (bytes([1]), bytes([2]))
    elif colour_type in (GREY, GREY_ALPHA):
        stripes = (b"\x30" * sample_bytes, b"\xc0" * sample_bytes)
    else:
        stripes = (
            b"".join(bytes([c]) * sample_bytes for c in (40, 90, 200)),
            b"".join(bytes([c]) * sample_bytes for c in (200, 40, 40)),
        )
    if colour_type in (GREY_ALPHA, RGBA):
        stripes = tuple(pixel + b"\xff" * sample_bytes for pixel in stripes)
    row = b"\x00" + b"".join(stripes[(x // 64) % 2] for x in range(width))
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    palette = b""
    if colour_type == PALETTE:
        colours = [(128, 128, 128), (40, 90, 200), (200, 40, 40), *((i, i, i) for i in range(3, 256))]
        palette = png_chunk(b"PLTE", b"".join(bytes(colour) for colour in colours))
        palette += png_chunk(b"tRNS", b"\xff" * 256)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + palette
        + b"".join(before_pixels)
        + png_chunk(b"IDAT", pixels)
        + b"".join(after_pixels)
        + png_chunk(b"IEND", b"")
    )


class Decodes:
    """The images Pillow decoded since :func:`record_decodes`, and what has become of them."""

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []
        self._images: list[weakref.ref[ImageFile.ImageFile]] = []

    def note(self, image: ImageFile.ImageFile) -> None:
        self.sizes.append(image.size)
        self._images.append(weakref.ref(image))

    @property
    def count(self) -> int:
        return len(self.sizes)

    def all_released(self) -> bool:
        """Whether every decoded image is gone, or closed (its pixels freed, whoever still refers to it)."""
        for ref in self._images:
            image = ref()
            if image is None:
                continue
            try:
                image.im  # noqa: B018 (a closed image raises)
            except ValueError:
                continue
            return False
        return True


def record_decodes(monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> Decodes:
    """Spy on ``ImageFile.load``: every image decoded from a file, and its size when the decode starts. With
    ``fail``, every decode then fails as a corrupt file would (``OSError``)."""
    decodes = Decodes()
    load = ImageFile.ImageFile.load

    def spied(image: ImageFile.ImageFile) -> object:
        if image.tile:  # not yet decoded: this call decodes it
            decodes.note(image)
            if fail:
                raise OSError("decoding is not allowed here")
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spied)
    return decodes
