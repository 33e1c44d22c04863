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

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from asn1crypto import cms
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner, PdfTBSDocument
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import TextStampStyle
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
from jesign_sdk.signing.signer import RemoteSigner

__all__ = [
    "LEVELS",
    "MAX_PDF_BYTES",
    "PadesLevel",
    "PdfInput",
    "PdfRefusedError",
    "PreparedPdf",
    "VisibleSignature",
    "finish",
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
    """Where the signature shows: page (0 is the first), box (x1, y1, x2, y2 in points), and its text."""

    page: int
    box: tuple[int, int, int, int]
    text: str


def read_pdf(source: PdfInput, *, max_bytes: int = MAX_PDF_BYTES) -> bytes:
    """The document's bytes, once it is known to be a readable, unencrypted PDF within the size limit."""
    name = None if isinstance(source, bytes) else str(source)
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        if path.stat().st_size > max_bytes:
            raise PdfRefusedError(f"the document is over {max_bytes} bytes", code="pdf_too_large", source=name)
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise PdfRefusedError(f"the document is over {max_bytes} bytes", code="pdf_too_large", source=name)
    if b"%PDF-" not in data[:1024]:
        raise PdfRefusedError("the document is not a PDF (no %PDF- header)", code="not_a_pdf", source=name)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        encrypted = reader.encrypted
    except (PdfError, ValueError, LookupError, TypeError) as exc:
        raise PdfRefusedError(f"the PDF cannot be read: {exc}", code="not_a_pdf", source=name) from exc
    if encrypted:
        raise PdfRefusedError("the PDF is encrypted: decrypt it before signing", code="encrypted_pdf", source=name)
    return data


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

    @property
    def digest(self) -> bytes:
        """The SHA-256 of the signed attributes: what the trust provider signs."""
        return hashlib.sha256(self.signed_attrs.dump()).digest()


async def prepare(
    data: bytes,
    signer: RemoteSigner,
    *,
    level: PadesLevel,
    timestamper: TimeStamper | None,
    validation_context: ValidationContext | None,
    field_name: str | None = None,
    visible: VisibleSignature | None = None,
    reason: str | None = None,
    location: str | None = None,
) -> PreparedPdf:
    """Everything up to the signature: the field, the placeholder, the digest, the signed attributes."""
    if level not in LEVELS:
        raise ValueError(f"level is one of {', '.join(LEVELS)}, not {level!r}")
    long_term = level in ("B-LT", "B-LTA")
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    name = field_name or _free_field_name(writer.prev)
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
    field_spec = stamp = None
    if visible is not None:
        field_spec = SigFieldSpec(sig_field_name=name, on_page=visible.page, box=visible.box)
        stamp = TextStampStyle(stamp_text=visible.text.replace("%", "%%") + "\n%(signer)s\n%(ts)s")
    pdf_signer = PdfSigner(
        meta,
        signer,
        timestamper=timestamper if level != "B-B" else None,
        stamp_style=stamp,
        new_field_spec=field_spec,
    )
    # The time-stamper keeps one token to measure (fetched once per time-stamper, as pyHanko does).
    token_bytes = 0
    if level != "B-B" and timestamper is not None:
        token_bytes = len((await timestamper.async_dummy_response("sha256")).dump())
    try:
        prepared, tbs_document, output = await pdf_signer.async_digest_doc_for_signing(
            writer, bytes_reserved=signer.reserved_bytes(token_bytes)
        )
    except _PYHANKO_ERRORS as exc:
        # At B-LT, the signer's and the TSA's certificates are validated here, and their revocation data fetched;
        # else: no such page, a field already signed or not a signature field...
        raise _validation_failure(exc) or PdfRefusedError(
            f"the document cannot take this signature: {exc}", code="pdf_not_signable", source=field_name
        ) from exc
    built = await signer.signed_attrs(prepared.document_digest, "sha256", use_pades=True)
    # Loaded back from its DER once: asn1crypto re-encodes a structure it built on every dump(), while a loaded
    # one keeps its bytes (the same bytes), and these attributes are dumped for the digest and again at the end.
    signed_attrs = cms.CMSAttributes.load(built.dump())
    return PreparedPdf(prepared, tbs_document, output, signed_attrs)


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
    except _PYHANKO_ERRORS as exc:  # B-LTA: the document time-stamp's TSA is validated, its data fetched
        raise _validation_failure(exc) or PdfRefusedError(
            f"the signed document cannot be finished: {exc}", code="pdf_not_signable"
        ) from exc
    document.output.seek(0)
    return bytes(document.output.read())


#: What pyHanko raises when it cannot sign the document or validate a certificate: its own errors, and
#: pyhanko-certvalidator's, which it lets through from a TSA's validation.
_PYHANKO_ERRORS = (PdfError, SigningError, PathError, ValidationError)


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


def _free_field_name(reader: PdfFileReader) -> str:
    taken = {name for name, _, _ in enumerate_sig_fields(reader)}
    return next(f"Signature{n}" for n in range(1, len(taken) + 2) if f"Signature{n}" not in taken)
