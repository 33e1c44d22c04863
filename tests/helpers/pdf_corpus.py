"""Awkward PDFs, made at test time: the kinds of real-world files the SDK must sign or refuse with a code.

Each maker returns the bytes of one file. Most are written with pyHanko's writer; the ones whose structure pyHanko's
writer never produces (a hybrid cross-reference, a broken or unsupported compressed object stream) are written
byte by byte by :func:`raw_pdf`, offsets computed.
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore

#: Where a maker's page draws its text, so that every file has something to look at.
PAGE_TEXT = b"BT /F1 18 Tf 72 720 Td (Lettre de mission) Tj ET"


def _write(writer: PdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _helvetica(writer: PdfFileWriter, obj_stream: generic.ObjectStream | None = None) -> generic.DictionaryObject:
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        }
    )
    return generic.DictionaryObject(
        {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): writer.add_object(font, obj_stream)})}
    )


def simple_pdf(*, rotate: int = 0, pages: int = 1) -> bytes:
    """Pages of A4 with a line of text, each turned by ``rotate`` degrees clockwise (``/Rotate``)."""
    writer = PdfFileWriter()
    resources = _helvetica(writer)
    for _ in range(pages):
        page = PageObject(writer.add_object(generic.StreamObject(stream_data=PAGE_TEXT)), (0, 0, 595, 842), resources)
        if rotate:
            page[pdf_name("/Rotate")] = generic.NumberObject(rotate)
        writer.insert_page(page)
    return _write(writer)


# -- structure ---------------------------------------------------------------------------------------------------


def incremental_updates() -> bytes:
    """Three incremental updates on top of the original (as a file edited and saved three times)."""
    data = simple_pdf()
    for number in range(3):
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        writer.root[pdf_name("/PageLabels")] = generic.DictionaryObject(
            {pdf_name("/Nums"): generic.ArrayObject([generic.NumberObject(0), generic.DictionaryObject()])}
        )
        writer.root[pdf_name("/Lang")] = generic.TextStringObject(f"fr-FR-x-{number}")
        writer.update_root()
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    return data


def object_streams() -> bytes:
    """A cross-reference stream, and every object that may be compressed in an object stream (PDF 1.5)."""
    writer = PdfFileWriter(stream_xrefs=True)
    stream = writer.prepare_object_stream()
    resources = _helvetica(writer, stream)
    writer.insert_page(
        PageObject(writer.add_object(generic.StreamObject(stream_data=PAGE_TEXT)), (0, 0, 595, 842), resources)
    )
    return _write(writer)


def raw_pdf(
    direct: dict[int, bytes],
    *,
    compressed: dict[int, bytes] | None = None,
    stream_filter: bytes = b"/FlateDecode",
    encode: Callable[[bytes], bytes] = zlib.compress,
    hybrid: bool = False,
) -> bytes:
    """A PDF written byte by byte: ``direct`` objects (number -> body), and ``compressed`` ones in one object stream
    under ``stream_filter`` (its data made by ``encode``), listed by a cross-reference stream. Object 1 is the
    catalog. ``hybrid``: a classic cross-reference table for the direct objects, whose trailer points to the stream
    (``/XRefStm``) for the compressed ones, as a file meant for PDF 1.4 readers and newer ones alike."""
    compressed = compressed or {}
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in sorted(direct.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    size = max([*direct, *compressed]) + 1
    in_stream: dict[int, tuple[int, int]] = {}
    if compressed:
        stream_number, size = size, size + 1
        header = b""
        bodies = b""
        for index, (number, body) in enumerate(sorted(compressed.items())):
            header += b"%d %d " % (number, len(bodies))
            bodies += body + b"\n"
            in_stream[number] = (stream_number, index)
        data = encode(header + bodies)
        offsets[stream_number] = len(out)
        out += (
            b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter %s /Length %d >>\nstream\n%s\nendstream\nendobj\n"
            % (
                stream_number,
                len(compressed),
                len(header),
                stream_filter,
                len(data),
                data,
            )
        )
    xref_number, size = size, size + 1
    xref_offset = len(out)
    offsets[xref_number] = xref_offset
    rows = b""
    for number in range(size):
        if number in in_stream:
            rows += bytes([2]) + in_stream[number][0].to_bytes(4, "big") + in_stream[number][1].to_bytes(2, "big")
        elif number in offsets and (not hybrid or number == xref_number):
            rows += bytes([1]) + offsets[number].to_bytes(4, "big") + (0).to_bytes(2, "big")
        else:
            rows += bytes([0]) + (0).to_bytes(4, "big") + (0xFFFF if number == 0 else 0).to_bytes(2, "big")
    stream_trailer = b"/Size %d /Root 1 0 R" % size
    out += b"%d 0 obj\n<< /Type /XRef %s /W [1 4 2] /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        xref_number,
        stream_trailer,
        len(rows),
        rows,
    )
    if not hybrid:
        out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
        return bytes(out)
    table_offset = len(out)
    out += b"xref\n0 %d\n" % size
    for number in range(size):
        if number in offsets and number != xref_number:
            out += b"%010d 00000 n\r\n" % offsets[number]
        else:
            out += b"0000000000 65535 f\r\n" if number == 0 else b"0000000000 00000 f\r\n"
    out += b"trailer\n<< /Size %d /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        xref_offset,
        table_offset,
    )
    return bytes(out)


#: The objects of a one-page document, for :func:`raw_pdf`: catalog, page tree, page, its content, its font.
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
CONTENT = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(PAGE_TEXT), PAGE_TEXT)
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def hybrid_xref() -> bytes:
    """A hybrid-reference file: the page tree is found only through the ``/XRefStm`` the table's trailer names."""
    return raw_pdf({1: CATALOG, 3: PAGE, 4: CONTENT}, compressed={2: PAGES, 5: FONT}, hybrid=True)


def broken_object_stream() -> bytes:
    """The catalog and the page tree in an object stream whose Flate data is not zlib: nothing can be read."""
    return raw_pdf(
        {3: PAGE, 4: CONTENT}, compressed={1: CATALOG, 2: PAGES, 5: FONT}, encode=lambda data: b"not zlib " + data
    )


def unsupported_object_stream() -> bytes:
    """The catalog in an object stream under a filter pyHanko does not decode (LZW)."""
    return raw_pdf(
        {3: PAGE, 4: CONTENT}, compressed={1: CATALOG, 2: PAGES, 5: FONT}, stream_filter=b"/LZWDecode", encode=bytes
    )


def broken_page_content() -> bytes:
    """The page's content stream claims Flate but is not zlib: viewers show a blank page; nothing to sign needs it."""
    garbage = b"\x00\x01 not zlib at all"
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(garbage), garbage)
    return raw_pdf({1: CATALOG, 2: PAGES, 3: PAGE, 4: content, 5: FONT})


def unsupported_image_filter() -> bytes:
    """A scanned page as a JBIG2 picture (a filter pyHanko does not decode, and need not, to sign)."""
    picture = b"\x97JB2\r\n\x1a\n fake JBIG2 data"
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im0 5 0 R >> >> >>"
    )
    draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    image = (
        b"<< /Type /XObject /Subtype /Image /Width 100 /Height 100 /ColorSpace /DeviceGray /BitsPerComponent 1 "
        b"/Filter /JBIG2Decode /Length %d >>\nstream\n%s\nendstream" % (len(picture), picture)
    )
    return raw_pdf(
        {1: CATALOG, 2: PAGES, 3: page, 4: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw), 5: image}
    )


def truncated() -> bytes:
    """A download cut in the middle: no cross-reference table, no trailer."""
    data = object_streams()
    return data[: len(data) // 2]


def garbage() -> bytes:
    """A PDF header, then noise."""
    return b"%PDF-1.7\n" + random.Random(7).randbytes(4096)


def large(size: int = 10 * 1000 * 1000) -> bytes:
    """About ``size`` bytes: pages of incompressible pictures, as a long scanned document."""
    writer = PdfFileWriter()
    rng = random.Random(size)
    side = 724  # about 512 KiB a picture
    for _ in range(max(1, round(size / (side * side)))):
        picture = generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Image"),
                pdf_name("/Width"): generic.NumberObject(side),
                pdf_name("/Height"): generic.NumberObject(side),
                pdf_name("/ColorSpace"): pdf_name("/DeviceGray"),
                pdf_name("/BitsPerComponent"): generic.NumberObject(8),
            },
            stream_data=rng.randbytes(side * side),
        )
        resources = generic.DictionaryObject(
            {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Im0"): writer.add_object(picture)})}
        )
        content = writer.add_object(generic.StreamObject(stream_data=b"q 595 0 0 842 0 0 cm /Im0 Do Q"))
        writer.insert_page(PageObject(content, (0, 0, 595, 842), resources))
    return _write(writer)


# -- forms -------------------------------------------------------------------------------------------------------


def _form(*, signature_name_taken: bool = True, xfa: bool = False, direct_field: bool = False) -> bytes:
    writer = PdfFileWriter()
    page = PageObject(
        writer.add_object(generic.StreamObject(stream_data=PAGE_TEXT)), (0, 0, 595, 842), _helvetica(writer)
    )
    writer.insert_page(page)
    page_ref = writer.root["/Pages"]["/Kids"][0]

    def field(name: str, kind: str, y: int) -> generic.DictionaryObject:
        return generic.DictionaryObject(
            {
                pdf_name("/FT"): pdf_name(kind),
                pdf_name("/T"): generic.TextStringObject(name),
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/Rect"): generic.ArrayObject(generic.NumberObject(v) for v in (72, y, 272, y + 20)),
                pdf_name("/P"): page_ref,
            }
        )

    fields = [field("Nom", "/Tx", 600), field("Signature2", "/Sig", 500)]
    if signature_name_taken:  # a text field named like the SDK's first choice of signature field
        fields.append(field("Signature1", "/Tx", 550))
    refs: list[generic.PdfObject] = [writer.add_object(f) for f in fields]
    page_obj = page_ref.get_object()
    page_obj[pdf_name("/Annots")] = generic.ArrayObject(refs)
    if direct_field:  # not an indirect reference, as ISO 32000 requires: pyHanko's writer asserts on it
        refs.append(field("Direct", "/Tx", 450))
    form = generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject(refs)})
    if xfa:
        template = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template/><datasets/></xdp:xdp>'
        form[pdf_name("/XFA")] = writer.add_object(generic.StreamObject(stream_data=template))
    writer.root[pdf_name("/AcroForm")] = writer.add_object(form)
    return _write(writer)


def form_with_fields() -> bytes:
    """A form with a text field, an empty signature field ``Signature2`` and a text field ``Signature1``."""
    return _form()


def xfa_form() -> bytes:
    """A form that also carries an XFA description (static XFA with its AcroForm fields)."""
    return _form(xfa=True)


def form_with_a_direct_field() -> bytes:
    """A form whose field list holds a field directly instead of a reference to it (pyHanko cannot add to it)."""
    return _form(direct_field=True)


# -- signatures and encryption -----------------------------------------------------------------------------------


def foreign_signer() -> signers.SimpleSigner:
    """Another signer than the provider's: a P-256 key and a self-signed certificate made now."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Client Étranger")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    asn1_certificate = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=asn1_certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(private),
        cert_registry=SimpleCertificateStore.from_certs([asn1_certificate]),
    )


def signed_by(signer: signers.SimpleSigner, data: bytes, *, certify: bool = False) -> bytes:
    """``data`` signed by ``signer`` with pyHanko alone in the field ``Foreign`` (certified, no change allowed)."""
    meta = signers.PdfSignatureMetadata(
        field_name="Foreign",
        subfilter=SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=MDPPerm.NO_CHANGES if certify else MDPPerm.FILL_FORMS,
    )
    output = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer)
    return bytes(output.getvalue())


def encrypted(user_password: str) -> bytes:
    """Encrypted (AES-256) with an owner password and this user password ("" opens without one)."""
    writer = PdfFileWriter()
    resources = _helvetica(writer)
    writer.insert_page(
        PageObject(writer.add_object(generic.StreamObject(stream_data=PAGE_TEXT)), (0, 0, 595, 842), resources)
    )
    writer.encrypt("owner-password", user_password)
    return _write(writer)
