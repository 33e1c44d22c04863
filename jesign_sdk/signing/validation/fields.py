"""The document's signatures, each on its own: pyHanko's ``collect_embedded_signatures``, one field at a time.

pyHanko reads every signature of a document at once (``PdfFileReader.embedded_signatures``): one it cannot read
(a CMS object cut short, no ``/ByteRange``) makes the whole list fail, and one with a SubFilter it does not handle
is left out with a warning. Here each filled signature field is read on its own; one that cannot be is kept, with
the exception that says why, so that it is reported and the others are still validated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.validation import DocumentSecurityStore, EmbeddedPdfSignature
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError

from jesign_sdk._errors import PdfRefusedError

__all__ = ["SignatureField", "read_dss", "signature_fields"]

_SUBFILTERS = frozenset(s.value for s in SigSeedSubFilter)


@dataclass
class SignatureField:
    """A filled signature field: its signature as pyHanko reads it, or why it cannot (``problem``)."""

    name: str
    revision: int
    embedded: EmbeddedPdfSignature | None = None
    document_timestamp: bool = False
    problem: Exception | None = None


def signature_fields(reader: PdfFileReader) -> list[SignatureField]:
    """Every filled signature field (signatures and document time-stamps), in signing order."""
    try:
        found = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as exc:  # a form tree pyHanko cannot walk: the document as a whole cannot be judged
        raise PdfRefusedError(f"the PDF's signature fields cannot be read: {exc}", code="not_a_pdf") from exc
    fields = []
    for position, (name, value, field_ref) in enumerate(found):
        field = SignatureField(str(name), revision=reader.total_revisions + position)
        try:
            signature = value.get_object()
            field.document_timestamp = signature.get("/Type") == "/DocTimeStamp"
            subfilter = signature.get("/SubFilter")
            if subfilter not in _SUBFILTERS:
                raise SignatureValidationError(
                    f"its SubFilter {subfilter} is not one pyHanko handles",
                    ades_subindication=AdESFailure.FORMAT_FAILURE,
                )
            field.embedded = EmbeddedPdfSignature(reader, field_ref, str(name))
            field.revision = field.embedded.signed_revision
        except Exception as exc:  # whatever pyHanko or asn1crypto raise, the field is reported with it
            field.problem = exc
            field.revision = _last_written_in(reader, field_ref, field.revision)
        fields.append(field)
    return sorted(fields, key=lambda f: f.revision)


def _last_written_in(reader: PdfFileReader, field_ref: Any, fallback: int) -> int:
    """The revision that last wrote an unreadable signature's dictionary, to report it in signing order."""
    try:
        value = field_ref.get_object().raw_get("/V")
        return int(reader.xrefs.get_last_change(value.reference))
    except Exception:  # no revision to tell: after the others
        return fallback


def read_dss(reader: PdfFileReader) -> tuple[DocumentSecurityStore | None, str | None]:
    """The document security store, or None; and, when one is there but cannot be read, why."""
    try:
        return DocumentSecurityStore.read_dss(reader), None
    except NoDSSFoundError:
        return None, None
    except Exception as exc:  # an unreadable DSS is as good as none, and said so
        return None, f"the document security store (DSS) cannot be read: {exc}"
