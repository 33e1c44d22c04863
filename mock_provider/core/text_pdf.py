"""A one-page A4 PDF of plain text (a title and lines in Helvetica), made with pyHanko's writer: the sample
documents of ``jesign-mock samples`` and the help document the registration e-mail carries."""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

__all__ = ["text_pdf"]


def text_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page A4 PDF with a title and lines in Helvetica (WinAnsi: French accents), made with pyHanko's writer
    (whose API carries no type hints: hence the ``type: ignore`` of each call)."""
    writer = PdfFileWriter()  # type: ignore[no-untyped-call]
    text = [f"BT /F1 20 Tf 72 770 Td ({_escaped(title)}) Tj ET"]
    text += [f"BT /F1 12 Tf 72 {730 - 20 * n} Td ({_escaped(line)}) Tj ET" for n, line in enumerate(lines)]
    content = generic.StreamObject(stream_data="\n".join(text).encode("cp1252"))
    name = generic.pdf_name
    font = generic.DictionaryObject(  # type: ignore[no-untyped-call]
        {
            name("/Type"): name("/Font"),
            name("/Subtype"): name("/Type1"),
            name("/BaseFont"): name("/Helvetica"),
            name("/Encoding"): name("/WinAnsiEncoding"),
        }
    )
    fonts = generic.DictionaryObject({name("/F1"): writer.add_object(font)})  # type: ignore[no-untyped-call]
    resources = generic.DictionaryObject({name("/Font"): fonts})  # type: ignore[no-untyped-call]
    page = PageObject(writer.add_object(content), (0, 0, 595, 842), resources)  # type: ignore[no-untyped-call]
    writer.insert_page(page)  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
