"""Judging one uploaded side of an identity document by its bytes: format, size, pixels, complete decoding, colour.

See :mod:`mock_provider.core.documents` for the rules; the memory bound per upload is measured by
``bench/image_memory_bench.py``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from PIL import Image, ImageChops

from mock_provider.core import images
from mock_provider.core.documents.kinds import DocumentError, DocumentType

# --------------------------------------------------------------------------------------------------------------
# Uploaded files
# --------------------------------------------------------------------------------------------------------------

#: Smallest accepted image, in pixels, whatever its orientation: below this nothing on a card is legible.
MIN_LONG_SIDE: Final = 200
MIN_SHORT_SIDE: Final = 120
#: Largest accepted image, in pixels: 25 megapixels, read from the header before anything is decoded, so that
#: a small file announcing a huge image (a decompression bomb) costs nothing. The document itself needs far
#: less: at 600 dpi, which keeps the MRZ's 2.5 mm OCR-B characters and the portrait sharp, an ID-1 card
#: (85.6 x 54 mm) is 2022 x 1276 pixels (2.6 MP) and a passport's ID-3 data page (125 x 88 mm) 2953 x 2079
#: (6.1 MP). The limit is set by the photo as phones save it, the card filling part of the frame, so that
#: nobody has to resize: 12 MP by default on most phones (4000 x 3000, 4032 x 3024, 4080 x 3072: their 48 to
#: 200 MP sensors are binned), 24 MP on recent iPhones (5712 x 4284 = 24.5 MP, a HEIC that the browser turns
#: into a JPEG when it uploads it) and on 24 MP cameras (6000 x 4000). The opt-in 48 or 50 MP modes are
#: refused: twice what any reading of the card can use.
DEFAULT_MAX_PIXELS: Final = 25_000_000
#: Most memory the judgement of one image may hold, as its header lets :func:`mock_provider.core.images.probe`
#: bound it: 64 MiB, so that one upload stays under 100 MB of peak memory growth with the decoders' and
#: Python's own (``bench/image_memory_bench.py`` measures it). A JPEG is decoded at 1/8 scale, about 1/16 byte a
#: pixel: every JPEG a phone or camera writes fits, up to the pixel limit. Two encodings must hold the whole
#: image, and meet this bound before the pixel limit: a progressive (or multi-scan) JPEG, whose DCT coefficients
#: libjpeg keeps at every scale (3 bytes a pixel in 4:2:0: up to 22 MP; 6 in 4:4:4: up to 11 MP), and a PNG,
#: which has no reduced decode (4 bytes a pixel in RGB or RGBA: up to 4096 x 4096; 1 for a palette: up to the
#: pixel limit). No photo of a card needs more: a PNG photo of 16 MP does not fit in the 4 MiB limit anyway.
DEFAULT_MAX_DECODE_BYTES: Final = 64 * 1024 * 1024

#: Colour test. The image is box-averaged into a sample of at most 256 x 256 pixels
#: (:func:`mock_provider.core.images.colour_sample`: a JPEG decoded at 1/2, 1/4 or 1/8 scale first, any image
#: reduced strip by strip, never copied whole); a pixel of the sample is *chromatic* when
#: max(R, G, B) - min(R, G, B) ≥ :data:`GREY_SPREAD_THRESHOLD` (out of 255); the image is in colour when at least
#: :data:`COLOUR_MIN_SHARE` of the sample's pixels are chromatic. A share rather than a single pixel keeps a grey
#: scan grey despite a coloured pen mark, and the box average despite colour noise or compression artefacts; a
#: colour photo of any identity document (tinted background, portrait, flag) is far above it.
GREY_SPREAD_THRESHOLD: Final = 20
COLOUR_MIN_SHARE: Final = 0.01

_PDF_HEADER = re.compile(rb"%PDF-(?:1\.[0-7]|2\.0)")
_PDF_EOF_WINDOW: Final = 1024  # "%%EOF" must appear within the last 1024 bytes, as readers require
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE: Final = b"\xff\xd8\xff"
# Formats recognised only to name them in the refusal.
_OTHER_FORMATS: Final[tuple[tuple[bytes, int, str], ...]] = (
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"BM", 0, "BMP"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"WEBP", 8, "WebP"),
    (b"ftyp", 4, "HEIC/HEIF/AVIF"),
    (b"\x00\x00\x00\x0cjP  ", 0, "JPEG 2000"),
)

MediaType = Literal["image/jpeg", "image/png", "application/pdf"]
_EXTENSIONS: Final[Mapping[str, str]] = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


@dataclass(frozen=True, slots=True)
class InspectedFile:
    """An accepted upload, as judged from its bytes.

    ``width`` and ``height`` are the stored pixel size (EXIF orientation not applied), ``None`` for a PDF.
    ``colour_checked`` is ``False`` for a PDF: judging its colour would need rendering it, which the mock does
    not do, so a PDF is accepted on its structure alone.
    """

    media_type: MediaType
    size: int
    sha256: str
    width: int | None
    height: int | None
    colour_checked: bool

    @property
    def extension(self) -> str:
        """``.jpg``, ``.png`` or ``.pdf``: the extension to store the file under, whatever it was uploaded as."""
        return _EXTENSIONS[self.media_type]


def inspect_image(
    data: bytes,
    *,
    max_bytes: int,
    field: str = "front",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> InspectedFile:
    """Judge one uploaded side of an identity document from its content alone.

    Checks, in this order, each refusal a :class:`DocumentError` on ``field``; every check up to the colour of
    the pixels reads the header only, and nothing is decoded before they all pass:

    * ``document_empty``: no bytes;
    * ``document_too_large``: more than ``max_bytes`` bytes (the HTTP layer should also cap the request body, so
      that the bytes never reach memory);
    * ``unsupported_document_format``: not JPEG, PNG or PDF by its magic bytes (GIF, BMP, TIFF, WebP, HEIC,
      text… whatever its name or declared type);
    * ``document_unreadable``: a PDF without a ``%PDF-1.x``/``%PDF-2.0`` header or a final ``%%EOF``; an image
      whose header Pillow cannot read;
    * ``document_too_many_pixels``: an image whose header announces more than ``max_pixels`` pixels
      (:data:`DEFAULT_MAX_PIXELS`, a decompression bomb among others);
    * ``document_too_small``: an image under :data:`MIN_LONG_SIDE` x :data:`MIN_SHORT_SIDE` pixels (either way);
    * ``document_too_many_pixels`` again: an image whose judgement would hold more than ``max_decode_bytes``
      (:data:`DEFAULT_MAX_DECODE_BYTES`; the message says how much): a progressive JPEG or a PNG with too many
      pixels for its encoding, or a PNG whose text chunks inflate to more than the budget leaves;
    * ``document_not_in_colour``: a greyscale mode (1, L, LA, I;16…), known from the header;
    * ``document_unreadable``: an image that does not decode completely (truncated, corrupt, a PNG chunk with a
      wrong CRC), decoded once, at reduced scale where the format allows;
    * ``document_not_in_colour``: an image whose pixels are (nearly) all neutral by the test documented at
      :data:`GREY_SPREAD_THRESHOLD`.

    PDFs are accepted on their structure alone, without a colour check (``colour_checked=False``): that would
    need rendering them; they cost no decode. The decoded image is released before this returns or raises.
    Pillow's process-wide settings (``MAX_IMAGE_PIXELS``, warning filters) are neither read nor changed.
    """
    size = len(data)
    if size == 0:
        raise DocumentError("document_empty", "the file is empty", field=field)
    if size > max_bytes:
        raise DocumentError(
            "document_too_large", f"the file is {size} bytes, more than the {max_bytes} allowed", field=field
        )
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF-"):
        _check_pdf(data, field)
        return InspectedFile("application/pdf", size, digest, None, None, colour_checked=False)
    if data.startswith(_JPEG_SIGNATURE):
        width, height = _judge_image(data, "JPEG", field, max_pixels, max_decode_bytes)
        return InspectedFile("image/jpeg", size, digest, width, height, colour_checked=True)
    if data.startswith(_PNG_SIGNATURE):
        width, height = _judge_image(data, "PNG", field, max_pixels, max_decode_bytes)
        return InspectedFile("image/png", size, digest, width, height, colour_checked=True)
    found = next((name for magic, at, name in _OTHER_FORMATS if data[at : at + len(magic)] == magic), None)
    what = f"{found} files are" if found else "this format is"
    raise DocumentError(
        "unsupported_document_format", f"{what} not accepted: send a JPEG, PNG or PDF file", field=field
    )


def inspect_document(
    document_type: DocumentType,
    *,
    front: bytes | None,
    back: bytes | None,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> tuple[InspectedFile, InspectedFile | None]:
    """Judge both sides for ``document_type``: the front always, the back exactly when the type has one.

    Refusals: ``document_missing`` (front, or back of an identity card or residence permit), ``document_unexpected``
    (a back for a passport), and every refusal of :func:`inspect_image` with its field ``front`` or ``back``. The
    sides are judged one after the other, the first one's decoded image released before the second is decoded.
    """
    if not front:
        raise DocumentError("document_missing", "the front of the document is required", field="front")
    if document_type.needs_back and not back:
        raise DocumentError("document_missing", "the back of the document is required", field="back")
    if not document_type.needs_back and back:
        raise DocumentError(
            "document_unexpected", f"a {document_type.kind.replace('_', ' ')} has no back side to send", field="back"
        )
    limits = {"max_bytes": max_bytes, "max_pixels": max_pixels, "max_decode_bytes": max_decode_bytes}
    inspected_front = inspect_image(front, field="front", **limits)
    inspected_back = inspect_image(back, field="back", **limits) if back else None
    return inspected_front, inspected_back


def _check_pdf(data: bytes, field: str) -> None:
    if not _PDF_HEADER.match(data):
        raise DocumentError("document_unreadable", "the PDF header is not %PDF-1.x or %PDF-2.0", field=field)
    if b"%%EOF" not in data[-_PDF_EOF_WINDOW:]:
        raise DocumentError("document_unreadable", "the PDF is truncated (no %%EOF at its end)", field=field)


def _judge_image(
    data: bytes, format: images.Format, field: str, max_pixels: int, max_decode_bytes: int
) -> tuple[int, int]:
    """The image checks of :func:`inspect_image`: the header's first, then one bounded decode; answers the size."""
    try:
        header = images.probe(data, format)
    except images.UnreadableImage as exc:
        raise _unreadable(field) from exc
    width, height = header.width, header.height
    if header.pixels > max_pixels:
        raise DocumentError(
            "document_too_many_pixels",
            f"the image is {width} x {height} pixels, more than {max_pixels} pixels in all",
            field=field,
        )
    if max(width, height) < MIN_LONG_SIDE or min(width, height) < MIN_SHORT_SIDE:
        raise DocumentError(
            "document_too_small",
            f"the image is {width} x {height} pixels; at least {MIN_LONG_SIDE} x {MIN_SHORT_SIDE} are needed",
            field=field,
        )
    if header.decode_bytes > max_decode_bytes:
        raise DocumentError(
            "document_too_many_pixels",
            f"judging this {width} x {height} {header.encoding} would take {header.decode_bytes} bytes of memory, "
            f"more than the {max_decode_bytes} allowed: send a smaller image",
            field=field,
        )
    if header.greyscale:
        raise _not_in_colour(field)
    try:
        sample = images.colour_sample(data, header)
    except images.UnreadableImage as exc:
        raise _unreadable(field) from exc
    if not _is_in_colour(sample):
        raise _not_in_colour(field)
    return width, height


def _unreadable(field: str) -> DocumentError:
    return DocumentError("document_unreadable", "the image is corrupt or truncated", field=field)


def _not_in_colour(field: str) -> DocumentError:
    return DocumentError(
        "document_not_in_colour", "the image is in greyscale: send a colour photo or scan", field=field
    )


def _is_in_colour(sample: Image.Image) -> bool:
    """The colour test documented at :data:`GREY_SPREAD_THRESHOLD`, on an RGB sample."""
    red, green, blue = sample.split()
    spread = ImageChops.lighter(
        ImageChops.lighter(ImageChops.difference(red, green), ImageChops.difference(green, blue)),
        ImageChops.difference(red, blue),
    )
    chromatic = sum(spread.histogram()[GREY_SPREAD_THRESHOLD:])
    return chromatic >= COLOUR_MIN_SHARE * sample.width * sample.height
