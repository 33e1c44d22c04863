"""Small PDFs made with pyHanko's writer, for signing tests."""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter


def one_page_pdf(text: str = "Lettre de mission") -> bytes:
    writer = PdfFileWriter()
    content = generic.StreamObject(stream_data=f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
    font = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/F1"): writer.add_object(font)})}
    )
    writer.insert_page(PageObject(writer.add_object(content), (0, 0, 595, 842), resources))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf(text: str = "") -> bytes:
    """A one-page A4 PDF made with pyHanko's writer (``text`` only makes the bytes differ)."""
    writer = PdfFileWriter()
    content = writer.add_object(generic.StreamObject(stream_data=f"% {text}\n".encode()))
    writer.insert_page(PageObject(contents=content, media_box=(0, 0, 595, 842)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
