"""PDFs on the caller's side: the checks before anything is sent, and pyHanko's interrupted signing.

A document is signed in two halves around the authorization (pyHanko's *interrupted signing*):

1. :func:`prepare` writes the signature field and the placeholder, digests the ``/ByteRange`` and builds the
   signed attributes; their SHA-256 is the hash the trust provider will sign (and, SCAL2, the one the SMS
   authorization is bound to).
2. :func:`finish` puts the remote signature in the CMS object, adds the signature time-stamp (B-T and up), then
   the validation data in the DSS (B-LT) and a document time-stamp (B-LTA).

The document itself never leaves the caller. What pyHanko raises becomes the SDK's: a document it cannot sign is a
:class:`PdfRefusedError`; at B-LT and B-LTA, revocation information that its fetchers could not obtain from the
provider's PKI is an :class:`~jesign_sdk.APIConnectionError`, and a signer's or TSA's certificate that does not
validate a :class:`PdfRefusedError` ``certificate_not_valid``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.crypt.permissions import StandardPermissions
from pyhanko.pdf_utils.form_tools import get_single_field_annot
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import FormFillingError, PdfWriteError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter, append_signature_field, enumerate_sig_fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner, PdfSigningSession, PdfTBSDocument
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import read_certification_data
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import (
    CertificateFetchError,
    CRLFetchError,
    InsufficientRevinfoError,
    OCSPFetchError,
    PathError,
    ValidationError,
)

from jesign_sdk._errors import APIConnectionError, JesignError, PdfRefusedError
from jesign_sdk._requestor import causes
from jesign_sdk.signing import appearance
from jesign_sdk.signing.signer import RemoteSigner

__all__ = [
    "LEVELS",
    "MAX_PDF_BYTES",
    "PadesLevel",
    "PdfInput",
    "PdfRefusedError",
    "PreparedPdf",
    "SignableDocument",
    "VisibleSignature",
    "finish",
    "open_for_signing",
    "prepare",
    "read_pdf",
    "write_atomically",
]

#: PAdES baseline levels, weakest first.
PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]
LEVELS: tuple[PadesLevel, ...] = ("B-B", "B-T", "B-LT", "B-LTA")
#: The largest PDF the SDK signs, as the platform accepts (10 MB).
MAX_PDF_BYTES = 10 * 1024 * 1024

#: A PDF given by path, or its bytes.
PdfInput = str | os.PathLike[str] | bytes


class VisibleSignature(NamedTuple):
    """Where the signature shows, and what it says.

    ``page`` (0 is the first, -1 the last); ``box`` (x1, y1, x2, y2 in points from the lower left corner of the
    page as the reader sees it, the page's rotation applied); ``text``, any script (drawn with an embedded font,
    see :mod:`~jesign_sdk.signing.appearance`), followed by the signer's name and the time; ``font``, a TrueType or
    OpenType file to draw it with, tried before the SDK's own fonts.
    """

    page: int
    box: tuple[float, float, float, float]
    text: str
    font: str | os.PathLike[str] | None = None


def read_pdf(source: PdfInput, *, max_bytes: int = MAX_PDF_BYTES) -> bytes:
    """The document's bytes, once pyHanko reads it as a PDF within the size limit that opens without a password.

    For validation: what signing needs more is checked by :func:`open_for_signing`.
    """
    data, name = _read_bytes(source, max_bytes)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
    except Exception as exc:
        raise _unreadable(exc, name) from exc
    _authenticate(reader, name)
    return data


@dataclass
class SignableDocument:
    """A document checked for signing (the preflight), before anything is sent.

    ``writer`` is pyHanko's incremental writer on it (decrypted when it opens without a password), ``field_name``
    the signature field to fill or create, ``source`` the file's name (None for bytes), ``rotation`` the
    clockwise rotation of the page the visible signature goes on (0, 90, 180 or 270), ``font`` the font that draws
    its text.
    """

    writer: IncrementalPdfFileWriter
    field_name: str
    source: str | None
    rotation: int = 0
    font: Path | None = None


def open_for_signing(
    source: PdfInput,
    *,
    max_bytes: int = MAX_PDF_BYTES,
    field_name: str | None = None,
    visible: VisibleSignature | None = None,
) -> SignableDocument:
    """Read a document and check everything that would keep pyHanko from signing it, as pyHanko reads it.

    A :class:`PdfRefusedError` names the file and says why (``not_a_pdf``, ``pdf_damaged``, ``pdf_unsupported``,
    ``encrypted_pdf``, ``pdf_too_large``, ``pdf_not_signable``). Whatever pyHanko raises while reading a broken
    file (a zlib error, an unsupported filter, an assertion...) becomes one of these, its cause chained.
    """
    data, name = _read_bytes(source, max_bytes)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    except Exception as exc:
        raise _unreadable(exc, name) from exc
    _authenticate(writer.prev, name)
    page = visible.page if visible is not None else 0  # an invisible signature's widget goes on the first page
    try:
        page_count = int(writer.root["/Pages"]["/Count"])
    except Exception as exc:
        raise _unreadable(exc, name) from exc
    if not -page_count <= page < page_count:
        raise PdfRefusedError(
            f"the document has {page_count} page(s): there is no page {page + 1} (pages count from 0)",
            code="pdf_not_signable",
            source=name,
        )
    try:
        page_ref, _ = writer.find_page_for_modification(page)  # type: ignore[no-untyped-call]
        page_dict = page_ref.get_object()
        rotation = _rotation(page_dict)
        page_box = _inherited(page_dict, "/CropBox") or _inherited(page_dict, "/MediaBox")
        certification = read_certification_data(writer.prev)
    except Exception as exc:
        raise _unreadable(exc, name) from exc
    if certification is not None and certification.permission == MDPPerm.NO_CHANGES:
        raise PdfRefusedError(
            "the document is certified by its author with no change allowed, a signature included",
            code="pdf_not_signable",
            source=name,
        )
    font = None
    if visible is not None:
        font = appearance.choose_font(visible.text, visible.font, source=name)
        if page_box is not None and rotation:
            visible = visible._replace(box=appearance.reader_box_to_page(visible.box, page_box, rotation))
    chosen = _signature_field(writer, field_name, visible, name)
    return SignableDocument(writer, chosen, name, rotation, font)


def _inherited(page: Any, key: str) -> Any:
    """A page's entry, or the nearest of its parents' in the page tree (``/Rotate``, ``/MediaBox``...)."""
    node, hops = page, 0
    while isinstance(node, generic.DictionaryObject) and hops < 64:
        if key in node:
            return node[key]
        node, hops = node.get("/Parent"), hops + 1
    return None


def _rotation(page: Any) -> int:
    """The page's clockwise rotation (``/Rotate``): 0, 90, 180 or 270."""
    value = _inherited(page, "/Rotate")
    degrees = int(value) % 360 if isinstance(value, generic.NumberObject | generic.FloatObject) else 0
    return degrees if degrees in (90, 180, 270) else 0


def _signature_field(
    writer: IncrementalPdfFileWriter, field_name: str | None, visible: VisibleSignature | None, name: str | None
) -> str:
    """The name of the empty signature field the signature goes in, created now if it does not exist.

    pyHanko's own two steps (``append_signature_field``, then signing the field by its name), taken here so that
    whatever the form makes pyHanko refuse is known before anything is sent.
    """
    try:
        chosen = field_name or _free_field_name(writer)
        existing = list(enumerate_sig_fields(writer, with_name=chosen))
        if existing:
            _, value, field_ref = existing[0]
            if value is not None:
                raise PdfRefusedError(
                    f"the signature field {chosen!r} is signed already", code="pdf_not_signable", source=name
                )
            get_single_field_annot(field_ref.get_object())  # where the appearance goes
        else:
            spec = SigFieldSpec(
                sig_field_name=chosen,
                on_page=visible.page if visible is not None else 0,
                box=cast(Any, visible.box) if visible is not None else None,  # pyHanko takes floats too
            )
            append_signature_field(writer, spec)
    except PdfRefusedError:
        raise
    except (FormFillingError, SigningError, PdfWriteError) as exc:  # a field of another kind has this name...
        raise PdfRefusedError(
            f"the signature field cannot be used: {exc.msg}", code="pdf_not_signable", source=name
        ) from exc
    except Exception as exc:  # pyHanko asserts, or fails on an attribute, on a malformed form
        what = str(exc) or type(exc).__name__
        raise PdfRefusedError(
            f"the PDF's form (AcroForm) is damaged: pyHanko cannot add a signature field to it ({what})",
            code="pdf_damaged",
            source=name,
        ) from exc
    return chosen


def _read_bytes(source: PdfInput, max_bytes: int) -> tuple[bytes, str | None]:
    """The bytes, within the size limit and with a PDF header; the file's name (None for bytes)."""
    name = None if isinstance(source, bytes) else str(source)
    too_large = f"the document is over {max_bytes} bytes"
    if isinstance(source, bytes):
        data = source
    else:
        try:
            path = Path(source)
            if path.stat().st_size > max_bytes:
                raise PdfRefusedError(too_large, code="pdf_too_large", source=name)
            data = path.read_bytes()
        except OSError as exc:
            raise PdfRefusedError(
                f"the file cannot be read: {exc.strerror or exc}", code="file_unreadable", source=name
            ) from exc
    if len(data) > max_bytes:
        raise PdfRefusedError(too_large, code="pdf_too_large", source=name)
    if b"%PDF-" not in data[:1024]:
        raise PdfRefusedError("the document is not a PDF (no %PDF- header)", code="not_a_pdf", source=name)
    return data, name


def _authenticate(reader: PdfFileReader, name: str | None) -> None:
    """Decrypt a document that opens without a password (an empty user password), as pyHanko allows; refuse the
    others. pyHanko writes the signature's update encrypted in the same way."""
    try:
        if not reader.encrypted:
            return
        handler = reader.security_handler
        if not isinstance(handler, StandardSecurityHandler):
            raise PdfRefusedError(
                "the PDF is encrypted for its recipients' certificates: decrypt it before signing",
                code="encrypted_pdf",
                source=name,
            )
        result = reader.decrypt("")
    except PdfRefusedError:
        raise
    except Exception as exc:
        raise _unreadable(exc, name) from exc
    if result.status == AuthStatus.FAILED:
        raise PdfRefusedError(
            "the PDF is protected by a password: remove it before signing", code="encrypted_pdf", source=name
        )
    granted = result.permission_flags
    if granted is not None and not granted & (
        StandardPermissions.ALLOW_ANNOTS_FORM_FILLING | StandardPermissions.ALLOW_FORM_FILLING
    ):
        raise PdfRefusedError(
            "the PDF's permissions forbid filling in its form fields, a signature included",
            code="encrypted_pdf",
            source=name,
        )


def _unreadable(exc: BaseException, name: str | None) -> PdfRefusedError:
    """What pyHanko raised while reading a file, as a refusal: a feature it does not support, or damage."""
    what = str(exc) or type(exc).__name__
    if isinstance(exc, NotImplementedError):
        return PdfRefusedError(f"the PDF uses what pyHanko cannot read: {what}", code="pdf_unsupported", source=name)
    return PdfRefusedError(f"the PDF is damaged and cannot be read: {what}", code="pdf_damaged", source=name)


def write_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write the whole file or nothing (a temporary file beside it, then a rename)."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(data)
    partial.replace(target)
    return target


@dataclass
class PreparedPdf:
    """A document in its final pre-signing state, waiting for its signature."""

    prepared_digest: PreparedByteRangeDigest
    tbs_document: PdfTBSDocument
    output: Any  # the IO pyHanko wrote the document to
    signed_attrs: cms.CMSAttributes
    source: str | None = None  # the file's name, for errors

    @property
    def digest(self) -> bytes:
        """The SHA-256 of the signed attributes: what the trust provider signs."""
        return hashlib.sha256(self.signed_attrs.dump()).digest()


async def prepare(
    document: SignableDocument,
    signer: RemoteSigner,
    *,
    level: PadesLevel,
    timestamper: TimeStamper | None,
    validation_context: ValidationContext | None,
    visible: VisibleSignature | None = None,
    reason: str | None = None,
    location: str | None = None,
    signing_time: datetime | None = None,
) -> PreparedPdf:
    """Everything up to the signature: the field, the placeholder, the digest, the signed attributes.

    ``signing_time`` is the time the signature claims (its ``/M``), the client's clock's; this machine's by default.
    """
    if level not in LEVELS:
        raise ValueError(f"level is one of {', '.join(LEVELS)}, not {level!r}")
    long_term = level in ("B-LT", "B-LTA")
    name = document.field_name
    meta = PdfSignatureMetadata(
        field_name=name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        embed_validation_info=long_term,
        use_pades_lta=level == "B-LTA",
        validation_context=validation_context if long_term else None,
    )
    stamp = None
    if visible is not None:
        font = document.font or appearance.DEFAULT_FONT
        with contextlib.suppress(PdfRefusedError):  # the signer's name too, if a font at hand draws both
            font = appearance.choose_font(f"{visible.text} {signer.subject_name}", visible.font)
        stamp = appearance.stamp_style(visible.text, font, rotation=document.rotation)
    # The field exists: open_for_signing made it.
    pdf_signer = _PdfSigner(
        meta, signer, timestamper=timestamper if level != "B-B" else None, stamp_style=stamp, signing_time=signing_time
    )
    # The time-stamper keeps one token to measure (fetched once per time-stamper, as pyHanko does).
    token_bytes = 0
    if level != "B-B" and timestamper is not None:
        token_bytes = len((await timestamper.async_dummy_response("sha256")).dump())
    try:
        prepared, tbs_document, output = await pdf_signer.async_digest_doc_for_signing(
            document.writer, bytes_reserved=signer.reserved_bytes(token_bytes)
        )
    except JesignError:
        raise  # the provider's TSA, through the SDK
    except Exception as exc:
        # At B-LT, the signer's and the TSA's certificates are validated here, and their revocation data fetched;
        # else what the preflight could not foresee in a damaged file, pyHanko's own errors or not.
        raise _validation_failure(exc) or PdfRefusedError(
            f"the document cannot take this signature: {str(exc) or type(exc).__name__}",
            code="pdf_not_signable",
            source=document.source,
        ) from exc
    built = await signer.signed_attrs(prepared.document_digest, "sha256", use_pades=True)
    # Loaded back from its DER once: asn1crypto re-encodes a structure it built on every dump(), while a loaded
    # one keeps its bytes (the same bytes), and these attributes are dumped for the digest and again at the end.
    signed_attrs = cms.CMSAttributes.load(built.dump())
    return PreparedPdf(prepared, tbs_document, output, signed_attrs, document.source)


async def finish(document: PreparedPdf, signer: RemoteSigner) -> bytes:
    """The signature in place, then the time-stamp, the DSS and the document time-stamp the level asks for."""
    tbs = document.tbs_document
    signature = await signer.async_sign_prescribed_attributes(
        "sha256", document.signed_attrs, timestamper=tbs.timestamper
    )
    try:
        await PdfTBSDocument.async_finish_signing(
            document.output,
            document.prepared_digest,
            signature,
            post_sign_instr=tbs.post_sign_instructions,
            validation_context=tbs.validation_context,
        )
    except JesignError:
        raise
    except Exception as exc:  # B-LTA: the document time-stamp's TSA is validated, its data fetched
        raise _validation_failure(exc) or PdfRefusedError(
            f"the signed document cannot be finished: {str(exc) or type(exc).__name__}",
            code="pdf_not_signable",
            source=document.source,
        ) from exc
    output: io.BytesIO = document.output
    return output.getvalue()


class _PdfSigner(PdfSigner):
    """pyHanko's signer, with the signing time it claims given rather than read from this machine's clock."""

    def __init__(self, *args: Any, signing_time: datetime | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        if self._signing_time is not None:
            session.system_time = self._signing_time
        return session


def _validation_failure(exc: BaseException) -> JesignError | None:
    """The SDK's error for a certificate that did not validate at B-LT or B-LTA; None when that is not the cause."""
    chain = list(causes(exc))
    fetching = (InsufficientRevinfoError, OCSPFetchError, CRLFetchError, CertificateFetchError)
    unobtained = next((cause for cause in chain if isinstance(cause, fetching)), None)
    if unobtained is not None:
        return APIConnectionError(
            f"no usable revocation information could be obtained from the provider's PKI for the validation data "
            f"of a long-term signature: {unobtained}"
        )
    invalid = next((cause for cause in chain if isinstance(cause, PathError | ValidationError)), None)
    if invalid is not None:
        return PdfRefusedError(
            f"a certificate of the signature does not validate: {invalid}", code="certificate_not_valid"
        )
    return None


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    """``Signature1``, ``Signature2``...: the first name no field of the form has, of any kind.

    Each name is looked up as pyHanko looks up the field it signs (the same walk of the form, which tolerates what
    pyHanko tolerates): a signature field of that name, filled or empty, or a field of another kind, takes it.
    """
    for number in range(1, 10_000):
        name = f"Signature{number}"
        try:
            if not any(enumerate_sig_fields(writer, with_name=name)):
                return name
        except FormFillingError:  # a text field, a button... of that name
            continue
    return f"Signature-{uuid.uuid4()}"
