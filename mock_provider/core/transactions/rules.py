"""The transactions' rules that need no storage: Universign's published limits, the reading of a request's form
fields, and the pages of an uploaded PDF (judged by content).

Universign publishes: a file is uploaded alone (``POST /v1/files``, multipart ``file``), at most 25 MB; a
transaction holds 1 to 20 documents; its language is one of 11 (French by default); its ``duration`` is in
minutes; fields have a ``type`` (``signature`` here), a ``page`` and ``x``/``y``. The mock's own: PDF only (no Word
or image conversion), not encrypted; a field is a 200 x 50 box (the size of Universign's seal) whose ``x``/``y`` are
its top left corner from the page's top left corner, in points, and it must lie on the page; the default duration
is 15 days (DESIGN.md, "expiry after 15 days").
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any, Final

from mock_provider.core.errors import InvalidInput

#: The states Universign publishes; this slice reaches draft, started, cancelled and expired.
DRAFT, STARTED, PAUSED, CANCELLED, EXPIRED, COMPLETED = (
    "draft",
    "started",
    "paused",
    "cancelled",
    "expired",
    "completed",
)
STATES: Final = (DRAFT, STARTED, PAUSED, CANCELLED, EXPIRED, COMPLETED)
#: Universign's limits.
MAX_FILE_BYTES: Final = 25 * 1024 * 1024
MAX_DOCUMENTS: Final = 20
LANGUAGES: Final = ("bg", "ca", "de", "en", "es", "fr", "it", "nl", "pl", "pt", "ro")
#: The mock's own.
DEFAULT_DURATION_MINUTES: Final = 15 * 24 * 60
MAX_DURATION_MINUTES: Final = 365 * 24 * 60
MAX_PAGES: Final = 2000
MAX_NAME: Final = 255
MAX_EMAIL: Final = 254
MAX_FIELDS_PER_DOCUMENT: Final = 100
FIELD_TYPES: Final = ("signature",)
FIELD_WIDTH: Final = 200
FIELD_HEIGHT: Final = 50
#: A list's page size: default and largest.
DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def error(field: str, detail: str, code: str = "invalid") -> dict[str, str]:
    return {"field": field, "code": code, "detail": detail}


def text(form: Mapping[str, str], name: str, errors: list[dict[str, str]], *, limit: int = MAX_NAME) -> str | None:
    """``form[name]``: None when absent or empty; printable, at most ``limit`` characters."""
    value = form.get(name)
    if value is None or value == "":
        return None
    if len(value) > limit or not value.isprintable():
        errors.append(error(name, f"1 to {limit} printable characters"))
        return None
    return value


def integer(
    form: Mapping[str, str], name: str, errors: list[dict[str, str]], *, smallest: int, largest: int
) -> int | None:
    """``form[name]`` as a decimal integer within [smallest, largest]; None when absent."""
    value = form.get(name)
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or not smallest <= int(value) <= largest:
        errors.append(error(name, f"an integer from {smallest} to {largest}"))
        return None
    return int(value)


def email(form: Mapping[str, str], name: str, errors: list[dict[str, str]]) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        errors.append(error(name, "required", "required"))
        return None
    if len(value) > MAX_EMAIL or not value.isascii() or not _EMAIL.fullmatch(value):
        errors.append(error(name, "an e-mail address"))
        return None
    return value.lower()


def refuse_if(errors: list[dict[str, str]], detail: str, code: str) -> None:
    if errors:
        raise InvalidInput(detail, code=code, errors=errors)


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's (width, height) in points as a reader shows it; ``400 invalid_file`` for anything that is not
    a readable, unencrypted PDF of at most :data:`MAX_FILE_BYTES` and :data:`MAX_PAGES` pages."""
    if not pdf:
        _refuse_file("a PDF document (the part 'file' is missing or empty)")
    if len(pdf) > MAX_FILE_BYTES:
        _refuse_file(f"at most {MAX_FILE_BYTES} bytes")
    if not pdf.startswith(b"%PDF-"):
        _refuse_file("a PDF document (it starts with %PDF-)")
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            _refuse_file("an unencrypted PDF")
        pages: list[tuple[float, float]] = []
        _walk(reader.root["/Pages"], None, 0, pages)
    except InvalidInput:
        raise
    except Exception as exc:  # pyHanko's many read errors: not a PDF the mock can read
        _refuse_file(f"a readable PDF ({str(exc)[:160]})")
    if not pages:
        _refuse_file("a PDF with at least one page")
    return pages


def _walk(node: Any, inherited: Any, depth: int, pages: list[tuple[float, float]]) -> None:
    node = node.get_object() if hasattr(node, "get_object") else node
    if depth > 32 or len(pages) > MAX_PAGES:
        _refuse_file(f"a PDF of at most {MAX_PAGES} pages")
    box = node.get("/CropBox", node.get("/MediaBox", inherited))
    if node.get("/Type") == "/Pages" or "/Kids" in node:
        for kid in node["/Kids"]:
            _walk(kid, box, depth + 1, pages)
        return
    if box is None:
        _refuse_file("a PDF whose pages have a size (/MediaBox)")
    x0, y0, x1, y1 = (float(v) for v in box)
    width, height = abs(x1 - x0), abs(y1 - y0)
    if int(node.get("/Rotate", 0)) % 180 == 90:
        width, height = height, width
    pages.append((width, height))


def _refuse_file(detail: str) -> Any:
    raise InvalidInput("this file cannot be used", code="invalid_file", errors=[error("file", detail)])
