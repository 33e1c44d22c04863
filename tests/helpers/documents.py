"""Identity document sides that carry their MRZ as text, as the mock reads it (its stand-in for OCR): a colour PNG
with text chunks, a colour JPEG with a comment, a PDF with a text layer."""

from __future__ import annotations

import io
import zlib

from PIL import Image, PngImagePlugin


def colour_png(**texts: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value, zip=key.startswith("z"))
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 90, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def colour_jpeg(comment: str | None) -> bytes:
    out = io.BytesIO()
    options = {"comment": comment} if comment is not None else {}
    Image.new("RGB", (320, 200), (40, 90, 200)).save(out, "JPEG", **options)
    return out.getvalue()


def text_pdf(*pages: list[str]) -> bytes:
    """A PDF whose pages show these lines in Courier: a text layer, as a scan with OCR or a PDF made from text."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font = len(pages) * 2 + 3
    for lines in pages:
        text = b"BT /F1 10 Tf 12 TL 20 180 Td " + b" ".join(b"(%s) '" % line.encode() for line in lines) + b" ET"
        stream = zlib.compress(text)
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(len(objects) + 1)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 200] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (len(objects), font)
        )
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
