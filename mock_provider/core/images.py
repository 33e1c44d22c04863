"""Reading an uploaded JPEG or PNG within a memory bound: its header first, then at most one bounded decode.

Pillow decodes an image whole, in its own layout (four bytes a pixel for RGB), so a small file that announces a
big image costs that image's full size: a 1 MB PNG of 7000 x 7000 pixels takes 196 MB once decoded. A server
that judges what anyone uploads must know that cost before it decodes. This module, framework-free, answers it:

* :func:`probe` reads the header only (no pixel is decoded) and answers an :class:`ImageHeader`: the stored pixel
  size, Pillow's mode, how the file is encoded, and :attr:`ImageHeader.decode_bytes`, an upper bound of the
  memory that :func:`colour_sample` will hold for it (see there what is counted).
* :func:`colour_sample` then decodes the file once, completely (a truncated or corrupt file fails), at the
  smallest scale the format allows: a JPEG at 1/2, 1/4 or 1/8 scale (libjpeg's scaled inverse DCT, Pillow's draft
  mode); a PNG whole, since neither Pillow nor the format offers a reduced PNG decode. It box-averages the
  decoded image strip by strip into an RGB sample of at most :data:`SAMPLE_SIDE` x :data:`SAMPLE_SIDE` pixels
  (no full-size copy or conversion is ever made), closes the decoded image, which releases its memory at once
  whatever still refers to it, and answers the sample.

The caller's job: judge the header (pixel count, :attr:`~ImageHeader.decode_bytes`) and refuse before it calls
:func:`colour_sample`; this module refuses nothing. Bytes that are not a complete image of the format raise
:class:`UnreadableImage`. Pillow's process-wide settings (``MAX_IMAGE_PIXELS``, the PNG text limits, warning
filters) are read but never changed, and the plugin classes are called directly, as ``Image.open`` is not.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from typing import Final, Literal

from PIL import Image, ImageFile, ImageMode, JpegImagePlugin, PngImagePlugin

__all__ = ["SAMPLE_SIDE", "ImageHeader", "UnreadableImage", "colour_sample", "probe"]

#: The colour sample's largest side, in pixels: each of its pixels is the mean of a box of the image.
SAMPLE_SIDE: Final = 256
#: Bytes of image rows converted at a time while building the sample.
_STRIP_BYTES: Final = 2 * 1024 * 1024
#: Pillow's bands that carry no hue.
_GREY_BANDS: Final = frozenset({"1", "L", "A", "a", "I", "F"})
#: JPEG markers without a length (ITU-T T.81 B.1.1.3): TEM, RST0-RST7, SOI.
_STANDALONE_MARKERS: Final = frozenset({0x01, *range(0xD0, 0xD9)})
_START_OF_SCAN: Final = 0xDA
_PNG_TEXT_CHUNKS: Final = frozenset({b"tEXt", b"zTXt", b"iTXt"})
_DCT_BLOCK_BYTES: Final = 64 * 2  # 64 coefficients of 16 bits

Format = Literal["JPEG", "PNG"]


class UnreadableImage(Exception):
    """The bytes are not a complete image of the format: truncated, corrupt, or a structure Pillow refuses."""


@dataclass(frozen=True, slots=True)
class ImageHeader:
    """What a JPEG's or PNG's header says, read by :func:`probe` without decoding a pixel.

    ``width`` x ``height`` is the stored size (EXIF orientation not applied); ``mode`` is Pillow's mode once
    decoded; ``encoding`` names the kind of file for messages: ``PNG``, ``JPEG`` (one interleaved scan, decoded
    row by row), ``progressive JPEG`` or ``multi-scan JPEG`` (both need libjpeg's whole-image buffer of DCT
    coefficients). ``decode_bytes`` bounds what :func:`colour_sample` will hold at once: see there.
    """

    format: Format
    width: int
    height: int
    mode: str
    encoding: str
    decode_bytes: int

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def greyscale(self) -> bool:
        """Whether the mode itself has no hue (1, L, LA, I;16…): no decode can make such an image a colour one."""
        return set(ImageMode.getmode(self.mode).bands) <= _GREY_BANDS


def probe(data: bytes, format: Format) -> ImageHeader:
    """Read the header of ``data``, a ``format`` file, without decoding any pixel.

    ``decode_bytes`` counts what grows with the image while :func:`colour_sample` decodes it:

    * a JPEG: the decoded picture at the scale the decode will use (Pillow's draft mode asked for at least
      :data:`SAMPLE_SIDE` pixels a side: 1/8 of each side for a phone photo), plus, for a progressive or
      multi-scan file, libjpeg's buffer of every DCT coefficient of the image (two bytes each: about 3 bytes a
      pixel in 4:2:0, 6 in 4:4:4, 8 for CMYK), which it needs whatever the output scale;
    * a PNG: the whole decoded picture in Pillow's layout (1 byte a pixel for a palette or grey image, 2 for
      16-bit grey, 4 for RGB, RGBA and grey with alpha, 16-bit ones included), plus the text that Pillow inflates
      from the file's text chunks and keeps with the image (``tEXt`` as is, ``zTXt`` and ``iTXt`` up to
      ``PngImagePlugin.MAX_TEXT_CHUNK`` each).

    The decoders' working buffers (a few rows, zlib's window) are not counted: they are small and do not grow
    with the height. Raises :class:`UnreadableImage` when Pillow cannot read the header.
    """
    try:
        with _open(data, format) as image:
            width, height = image.size
            if isinstance(image, JpegImagePlugin.JpegImageFile):
                encoding, decode_bytes = _jpeg_cost(image, data)
            else:
                encoding, decode_bytes = "PNG", width * height * _pixel_bytes(image.mode) + _png_text_bytes(data)
            return ImageHeader(format, width, height, image.mode, encoding, decode_bytes)
    except (UnreadableImage, MemoryError):
        raise
    except Exception as exc:  # Pillow's readers raise SyntaxError, OSError, ValueError, struct.error…
        raise UnreadableImage(str(exc) or type(exc).__name__) from exc


def colour_sample(data: bytes, header: ImageHeader) -> Image.Image:
    """Decode ``data`` completely, once, and answer an RGB sample of it box-averaged to at most
    :data:`SAMPLE_SIDE` pixels a side.

    A PNG is first checked whole (every chunk's CRC up to ``IEND``). A JPEG is decoded at the scale
    :func:`probe` assumed; a PNG at full size. Each sample pixel is the mean of a box of ``ceil(width /
    SAMPLE_SIDE)`` x ``ceil(height / SAMPLE_SIDE)`` decoded pixels, computed on strips of about 2 MB converted
    to RGB one at a time (a palette image through RGBA, as Pillow wants for its transparency; alpha is then
    dropped). The decoded image is closed before this returns or raises, so its memory is released even if an
    exception's traceback still refers to it. Raises :class:`UnreadableImage` for a truncated or corrupt file.
    """
    try:
        if header.format == "PNG":
            _verify_png(data)
        image = _open(data, header.format)
        try:
            if isinstance(image, JpegImagePlugin.JpegImageFile):
                image.draft(None, (SAMPLE_SIDE, SAMPLE_SIDE))
            image.load()  # the whole stream: a truncated or corrupt file fails here
            return _box_sample(image)
        finally:
            image.close()
    except MemoryError:
        raise
    except Exception as exc:  # Pillow's decoders raise OSError, SyntaxError, ValueError, struct.error…
        raise UnreadableImage(str(exc) or type(exc).__name__) from exc


def _open(data: bytes, format: Format) -> ImageFile.ImageFile:
    # The plugin class itself, not Image.open: no DecompressionBombWarning/Error; the caller sets its own limits.
    if format == "JPEG":
        return JpegImagePlugin.JpegImageFile(io.BytesIO(data))
    return PngImagePlugin.PngImageFile(io.BytesIO(data))


def _verify_png(data: bytes) -> None:
    """Every chunk's CRC up to IEND. In a function of its own so that this reading of the file, and the text it
    inflated, is gone before the decode reads it again."""
    with _open(data, "PNG") as image:
        image.verify()


def _box_sample(image: Image.Image) -> Image.Image:
    width, height = image.size
    box_width, box_height = -(-width // SAMPLE_SIDE), -(-height // SAMPLE_SIDE)
    sample = Image.new("RGB", (-(-width // box_width), -(-height // box_height)))
    rows = box_height * max(1, _STRIP_BYTES // (4 * width * box_height))  # whole boxes per strip
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        if strip.mode in ("P", "PA"):
            strip = strip.convert("RGBA")
        sample.paste(strip.convert("RGB").reduce((box_width, box_height)), (0, top // box_height))
    return sample


def _pixel_bytes(mode: str) -> int:
    """Bytes a pixel of ``mode`` takes in Pillow's memory: several 8-bit bands are packed into 4 bytes."""
    described = ImageMode.getmode(mode)
    return 4 if len(described.bands) > 1 else int(described.typestr[-1])


def _jpeg_cost(image: JpegImagePlugin.JpegImageFile, data: bytes) -> tuple[str, int]:
    """The encoding's name and :attr:`ImageHeader.decode_bytes` of a JPEG (see :func:`probe`)."""
    width, height = image.size
    sampling = [(horizontal, vertical) for _, horizontal, vertical, _ in image.layer]
    if not sampling or not all(1 <= factor <= 4 for pair in sampling for factor in pair):
        raise UnreadableImage("the JPEG frame header has invalid sampling factors")
    image.draft(None, (SAMPLE_SIDE, SAMPLE_SIDE))  # only sets the scale colour_sample will decode at
    decoded = image.width * image.height * _pixel_bytes(image.mode)
    if image.info.get("progressive"):
        encoding = "progressive JPEG"
    elif _first_scan_components(data) != image.layers:
        encoding = "multi-scan JPEG"
    else:
        return "JPEG", decoded
    # libjpeg keeps every coefficient of every component, in whole MCUs (ITU-T T.81 A.2), until the last scan.
    h_max, v_max = max(h for h, _ in sampling), max(v for _, v in sampling)
    mcus = math.ceil(width / (8 * h_max)) * math.ceil(height / (8 * v_max))
    return encoding, decoded + mcus * sum(h * v for h, v in sampling) * _DCT_BLOCK_BYTES


def _first_scan_components(data: bytes) -> int | None:
    """How many components the JPEG's first scan carries (ITU-T T.81 B.2.3), ``None`` if not found.

    libjpeg decodes a sequential JPEG row by row only when its first scan interleaves every component; otherwise,
    as for a progressive one, it buffers the whole image's coefficients first. Pillow does not keep this number,
    so the markers before the first SOS are walked here; anything unexpected answers ``None``, which the caller
    treats as the costly case.
    """
    at = 2  # after SOI
    while at + 4 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # a fill byte before the marker
            at += 1
        elif marker in _STANDALONE_MARKERS:
            at += 2
        elif marker == _START_OF_SCAN:
            return data[at + 4]
        else:
            at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return None


def _png_text_bytes(data: bytes) -> int:
    """An upper bound of the text Pillow inflates from a PNG's text chunks, before and after its pixels.

    The chunks are walked with Pillow's own reader; a broken chunk ends the walk (the decode will refuse it).
    Pillow refuses a file whose text passes ``PngImagePlugin.MAX_TEXT_MEMORY``, after the chunk that passes it.
    """
    stream_fp = io.BytesIO(data)
    stream_fp.seek(8)  # after the PNG signature
    stream = PngImagePlugin.ChunkStream(stream_fp)
    total = 0
    try:
        while True:
            cid, position, length = stream.read()
            if cid == b"IEND":
                break
            if cid in _PNG_TEXT_CHUNKS:
                total += length if cid == b"tEXt" else max(length, PngImagePlugin.MAX_TEXT_CHUNK)
            stream_fp.seek(position + length + 4)  # the chunk's data and CRC
    except (SyntaxError, struct.error):
        pass
    return min(total, PngImagePlugin.MAX_TEXT_MEMORY + PngImagePlugin.MAX_TEXT_CHUNK)
