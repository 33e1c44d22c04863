"""The standalone seal service (Universign's ``POST /v1/seals``): a PDF sealed with a firm's seal in one call, beside
the CSC credentials with which a person seals through the SDK.

Universign publishes the request: a multipart form with ``file`` (a PDF, at most 25 MB) and ``seal_id``; optional
``label``, ``field_page`` (default 1), ``field_x`` and ``field_y`` (default 0), ``language`` of the cartridge
("Sealed by ..., on ...": 11 languages, French by default). Without ``field_page``, ``field_x`` and ``field_y`` the
seal is invisible; the answer is ``200`` with the sealed PDF (PAdES), which the service does not keep.

The mock's own choices, where Universign publishes nothing: the seal ids are the firms' CSC seal credentials
(``seal_<firm id>``); the firms' seals are held by the platform's operator account (:data:`SEAL_HOLDER`, the seed's
``jesign-platform``, as jesignexpert.com's workspace holds its firms' certificates for legal persons), every other
operator sees none; a firm's seal is used once its service is open (its terms accepted, step 6) and while its
certificate is valid; the visible seal is a 200 x 50 box (the size Universign gives its transaction seals) whose
``field_x``/``field_y`` are its top left corner measured from the page's top left corner, in points, and it must
lie on the page. The signature is PAdES B-B with SHA-256, made by pyHanko with the seal's key.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner, PdfSigningSession
from pyhanko_certvalidator.registry import SimpleCertificateStore

from mock_provider.core import accounts, events
from mock_provider.core.clock import Clock
from mock_provider.core.errors import Forbidden, InvalidInput, NotFound
from mock_provider.core.misbehaviour.areas.signing import SEAL_API_WITH_WRONG_CERTIFICATE
from mock_provider.core.models import Firm
from mock_provider.core.pki import profiles
from mock_provider.core.pki.authority import Pki
from mock_provider.core.signing import SEAL_PREFIX, Signing
from mock_provider.core.storage import Database

#: The operator that holds the firms' seals (the mock's own model: see the module's docstring).
SEAL_HOLDER: Final = "jesign-platform"
#: Universign's limit for a document to seal.
MAX_PDF_BYTES: Final = 25 * 1024 * 1024
MAX_LABEL: Final = 200
#: The visible seal's size, in points (Universign: "the size of the seal is set to 200px x 50px").
SEAL_WIDTH: Final = 200
SEAL_HEIGHT: Final = 50
#: The cartridge's first line in Universign's 11 languages (ISO 639-1), French by default.
SEALED_BY: Final = {
    "bg": "Подпечатано от",
    "ca": "Segellat per",
    "de": "Versiegelt von",
    "en": "Sealed by",
    "es": "Sellado por",
    "fr": "Scellé par",
    "it": "Sigillato da",
    "nl": "Verzegeld door",
    "pl": "Zapieczętowane przez",
    "pt": "Selado por",
    "ro": "Sigilat de",
}


@dataclass(frozen=True)
class SealRequest:
    seal_id: str
    firm_id: str
    label: str | None
    #: (page index from 0, x, y from the page's top left corner), or None for an invisible seal.
    field: tuple[int, float, float] | None
    language: str


class Seals:
    """Seal PDFs with the firms' seals (framework-free; the HTTP layer is ``api/seals.py``)."""

    def __init__(self, db: Database, clock: Clock, pki: Pki, signing: Signing) -> None:
        self.db = db
        self.clock = clock
        self.pki = pki
        self.signing = signing

    def seal(self, owner: str, pdf: bytes, form: dict[str, str]) -> bytes:
        """The PDF sealed with the seal ``form["seal_id"]`` names; ``400 invalid_seal_request`` for a form or file
        that cannot be sealed, ``404 seal_not_found`` for a seal the operator does not hold, ``403
        service_not_open`` for a firm whose terms are not accepted, ``409`` for a revoked or expired seal."""
        wanted = _parse(form, pdf)
        with self.db.transaction() as session:
            if owner != SEAL_HOLDER or session.get(Firm, wanted.firm_id) is None:
                raise NotFound("no such seal", code="seal_not_found")
            if wanted.firm_id not in accounts.opened_firm_ids(session):
                raise Forbidden(
                    "the firm's service opens once its terms are accepted (step 6)", code="service_not_open"
                )
            credential = self.signing.firm_seal(session, wanted.firm_id)
            self.signing.require_valid(credential)
            record = credential.certificate
            hierarchy = self.pki.hierarchy()
            certificate, key = record.certificate, self.pki.signing_key(record.id, session=session)
            issuer = hierarchy[record.issuer_role].certificate
            if SEAL_API_WITH_WRONG_CERTIFICATE in self.signing.breakages:  # the rule switch: the TSA's key instead
                tsa = hierarchy[profiles.TSA]
                certificate, key = tsa.certificate, tsa.key
                issuer = hierarchy[profiles.ROOT].certificate
            sealed = _sign_pdf(pdf, wanted, certificate, key, issuer, self.clock.now())
            events.record(
                session,
                subject_type="credential",
                subject_id=credential.id,
                actor=owner,
                action="sealed",
                at=self.clock.now(),
                detail={"certificate": record.id, "api": "seals", "visible": wanted.field is not None},
            )
        return sealed


def _parse(form: dict[str, str], pdf: bytes) -> SealRequest:
    errors: list[dict[str, str]] = []
    seal_id = form.get("seal_id", "")
    if not seal_id or not seal_id.startswith(SEAL_PREFIX) or len(seal_id) > 100:
        errors.append(_error("seal_id", f"the seal's id ({SEAL_PREFIX}<firm id>)"))
    if not pdf.startswith(b"%PDF-"):
        errors.append(_error("file", "a PDF document (it starts with %PDF-)"))
    elif len(pdf) > MAX_PDF_BYTES:
        errors.append(_error("file", f"at most {MAX_PDF_BYTES} bytes"))
    label = form.get("label") or None
    if label is not None and (len(label) > MAX_LABEL or not label.isprintable()):
        errors.append(_error("label", f"1 to {MAX_LABEL} printable characters"))
    language = form.get("language") or "fr"
    if language not in SEALED_BY:
        errors.append(_error("language", f"one of {', '.join(sorted(SEALED_BY))} (ISO 639-1)"))
    numbers: dict[str, int] = {}
    for name, smallest in (("field_page", 1), ("field_x", 0), ("field_y", 0)):
        text = form.get(name)
        if text is None or text == "":
            continue
        if not text.isdigit() or int(text) < smallest or int(text) > 100_000:
            errors.append(_error(name, f"an integer from {smallest}"))
        else:
            numbers[name] = int(text)
    if errors:
        raise InvalidInput("invalid seal request", code="invalid_seal_request", errors=errors)
    field = None
    if numbers:
        field = (numbers.get("field_page", 1) - 1, float(numbers.get("field_x", 0)), float(numbers.get("field_y", 0)))
    return SealRequest(seal_id, seal_id[len(SEAL_PREFIX) :], label, field, language)


def _error(field: str, detail: str) -> dict[str, str]:
    return {"field": field, "code": "invalid", "detail": detail}


def _sign_pdf(
    pdf: bytes,
    wanted: SealRequest,
    certificate: object,
    key: object,
    issuer: object,
    now: datetime,
) -> bytes:
    """PAdES B-B over ``pdf`` with pyHanko: the seal's certificate and key, its issuing CA in the CMS."""
    from cryptography import x509 as crypto_x509

    assert isinstance(certificate, crypto_x509.Certificate)
    assert isinstance(issuer, crypto_x509.Certificate)
    der_key = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())  # type: ignore[attr-defined]
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(issuer.public_bytes(Encoding.DER))]
        ),
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        name = _free_field_name(writer)
        field_spec = None
        style = None
        if wanted.field is not None:
            field_spec, style = _visible(writer, wanted, name)
        metadata = PdfSignatureMetadata(
            field_name=name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=wanted.label,
        )
        pdf_signer = _AtTime(metadata, signer=signer, stamp_style=style, new_field_spec=field_spec, now=now)
        out = io.BytesIO()
        pdf_signer.sign_pdf(writer, output=out)
        return out.getvalue()
    except InvalidInput:
        raise
    except Exception as exc:  # pyHanko's many read errors: the file is not a PDF it can seal
        raise InvalidInput(
            "this PDF cannot be sealed", code="invalid_seal_request", errors=[_error("file", str(exc)[:200])]
        ) from exc


class _AtTime(PdfSigner):
    """pyHanko's signer, claiming the mock clock's time rather than this machine's."""

    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._now
        return session


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev, filled_status=None)}
    number = 1
    while f"Seal{number}" in taken:
        number += 1
    return f"Seal{number}"


def _visible(writer: IncrementalPdfFileWriter, wanted: SealRequest, name: str) -> tuple[fields.SigFieldSpec, object]:
    from jesign_sdk import PdfRefusedError
    from jesign_sdk.signing.appearance import choose_font, reader_box_to_page, stamp_style

    assert wanted.field is not None
    page_index, x, y = wanted.field
    pages = int(writer.root["/Pages"]["/Count"])
    if page_index >= pages:
        raise InvalidInput(
            "the seal's page is not in the document",
            code="invalid_seal_request",
            errors=[_error("field_page", f"1 to {pages}")],
        )
    page = writer.find_page_for_modification(page_index)[0].get_object()  # type: ignore[no-untyped-call]
    box = [float(v) for v in page.get("/CropBox", page["/MediaBox"])]
    rotation = int(page.get("/Rotate", 0)) % 360
    width, height = (box[2] - box[0], box[3] - box[1])
    if rotation in (90, 270):
        width, height = height, width
    if x + SEAL_WIDTH > width or y + SEAL_HEIGHT > height:
        raise InvalidInput(
            "the seal does not fit on the page",
            code="invalid_seal_request",
            errors=[_error("field_x" if x + SEAL_WIDTH > width else "field_y", f"within {width:.0f} x {height:.0f}")],
        )
    top = height - y  # the reader's box, its lower left corner the origin
    reader_box = (x, top - SEAL_HEIGHT, x + SEAL_WIDTH, top)
    on_page = reader_box_to_page(reader_box, box, rotation)
    spec = fields.SigFieldSpec(name, on_page=page_index, box=cast(Any, on_page))  # pyHanko takes floats too
    text = SEALED_BY[wanted.language] + (f"\n{wanted.label}" if wanted.label else "")
    try:
        font = choose_font(text)
    except PdfRefusedError as refused:
        raise InvalidInput(
            "the label cannot be drawn", code="invalid_seal_request", errors=[_error("label", str(refused)[:200])]
        ) from refused
    return spec, stamp_style(text, font, rotation=rotation)
