"""Reading a machine-readable zone from an uploaded side, so that the applicant need not type it.

The real trust provider reads the MRZ off the photo (OCR). The mock does no OCR: it reads the MRZ where a file
carries it as text, which a test, a demonstration or a scanner's output can put there:

* a PNG's text chunks (``tEXt``, ``zTXt`` or ``iTXt``, any keyword; ``MRZ`` by convention) placed before the image
  data, as Pillow reads them with the header;
* a JPEG's comment (``COM`` segment);
* the text layer of a PDF's first :data:`PDF_PAGES` pages (a scan with OCR text, or a PDF made from text), read
  with pypdf.

In that text, an MRZ is the first run of consecutive lines of MRZ characters shaped as one: 3 lines of 30 (TD1),
2 of 36 (TD2, or France's 1988 identity card) or 2 of 44 (TD3), blanks inside a line ignored. What is found is
only *read* here: the caller checks it with :func:`~mock_provider.core.documents.mrz.check_mrz` as if it had been
typed. A file that cannot be read, or that carries no such text, gives ``None``: never an error, since the
judgement of the file itself (:mod:`~mock_provider.core.documents.inspection`) is what refuses a bad upload.
No pixel is decoded: Pillow reads a PNG's chunks and a JPEG's markers up to the image data only.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Final

from PIL import Image, JpegImagePlugin, PngImagePlugin

__all__ = ["PDF_PAGES", "find_mrz", "read_mrz"]

#: How many of a PDF's pages are searched for an MRZ in their text.
PDF_PAGES: Final = 2
#: The most text kept from one file: an MRZ is 90 characters; a PDF page's text seldom needs more than this.
_MAX_TEXT: Final = 64 * 1024
_MRZ_LINE: Final = re.compile(r"^[A-Z0-9<]+$")
_SHAPES: Final = ((30, 3), (36, 2), (44, 2))


def read_mrz(data: bytes) -> str | None:
    """The MRZ that an uploaded side carries as text (see the module's text), as lines joined by ``\\n``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return find_mrz(_png_texts(data))
    if data.startswith(b"\xff\xd8\xff"):
        return find_mrz(_jpeg_texts(data))
    if data.startswith(b"%PDF-"):
        return find_mrz(_pdf_texts(data))
    return None


def find_mrz(texts: Iterable[str]) -> str | None:
    """The first MRZ-shaped run of lines in ``texts``, or ``None``."""
    for text in texts:
        lines = [re.sub(r"\s+", "", line).upper() for line in text[:_MAX_TEXT].splitlines()]
        for start in range(len(lines)):
            for width, count in _SHAPES:
                run = lines[start : start + count]
                if len(run) == count and all(len(line) == width and _MRZ_LINE.match(line) for line in run):
                    return "\n".join(run)
    return None


def _png_texts(data: bytes) -> list[str]:
    try:
        with PngImagePlugin.PngImageFile(io.BytesIO(data)) as image:
            return _info_texts(image)
    except Exception:  # any unreadable file: there is nothing to read, the judge refuses it
        return []


def _jpeg_texts(data: bytes) -> list[str]:
    try:
        with JpegImagePlugin.JpegImageFile(io.BytesIO(data)) as image:
            return _info_texts(image)
    except Exception:  # as above
        return []


def _info_texts(image: Image.Image) -> list[str]:
    texts = []
    for value in image.info.values():
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str):
            texts.append(value)
    return texts


def _pdf_texts(data: bytes) -> list[str]:
    from pypdf import PdfReader

    texts = []
    try:
        reader = PdfReader(io.BytesIO(data))
        for page in reader.pages[:PDF_PAGES]:
            texts.append(page.extract_text()[:_MAX_TEXT])
    except Exception:  # pypdf raises many kinds on a broken or hostile file: nothing read
        return texts
    return texts
