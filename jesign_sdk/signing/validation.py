"""Validation of a signed PDF against the provider's trust roots, one readable report per signature.

Each signature is validated twice with pyHanko:

- **now**, as a relying party would: integrity, the signature itself, the path to a trust root, and revocation
  (fetched from the OCSP responder or the CRL when ``allow_fetching``, else taken from the document's DSS), with
  revocation required (``hard-fail``): no answer about revocation means not trusted;
- **offline, from the document alone**, to tell the PAdES level the document carries: B-B (a valid PAdES
  signature), B-T (a trusted signature time-stamp), B-LT (the DSS holds what it takes to validate the signer and
  the time-stamp with no network), B-LTA (and a trusted document time-stamp covers it).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from jesign_sdk.signing.documents import PadesLevel

__all__ = ["CERTIFICATE_LEVELS", "SignatureReport", "certificate_level", "validate"]

#: ETSI certificate policies (EN 319 411-1 and -2), by OID: the level the SDK reports.
CERTIFICATE_LEVELS = {
    "0.4.0.194112.1.2": "qcpnqscd",  # QCP-n-qscd: qualified, natural person, key on a QSCD
    "0.4.0.194112.1.0": "qcp",  # QCP-n: qualified, natural person
    "0.4.0.194112.1.1": "seal",  # QCP-l: qualified, legal person (a firm's seal)
    "0.4.0.2042.1.3": "lcp",  # LCP: lightweight
}

RevocationStatus = Literal["good", "revoked", "unknown"]


@dataclass(frozen=True)
class SignatureReport:
    """What one signature of a PDF is worth.

    ``intact``: the document's signed bytes are unchanged; ``valid``: the signature value checks out;
    ``trusted``: the signer's certificate leads to a trust root and is not revoked. ``revocation_checked_at`` is
    when the revocation information used was produced (the OCSP answer, or the CRL). ``pades_level`` is the highest
    PAdES baseline level the signature reaches (None: not a valid PAdES signature).
    """

    field_name: str
    intact: bool
    valid: bool
    trusted: bool
    signer_name: str | None
    signer_subject: str
    certificate_serial: str
    certificate_level: str | None
    issuer: str
    revocation_status: RevocationStatus
    revoked_at: datetime | None
    revocation_reason: str | None
    revocation_checked_at: datetime | None
    signing_time: datetime | None
    timestamp_time: datetime | None
    pades_level: PadesLevel | None
    coverage: str
    summary: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted

    def __str__(self) -> str:
        verdict = "VALID" if self.ok else ("REVOKED" if self.revocation_status == "revoked" else "NOT VALID")
        lines = [
            f"Signature {self.field_name}: {verdict}",
            f"  signer:       {self.signer_name or self.signer_subject}",
            f"  certificate:  {self.certificate_level or '-'} (serial {self.certificate_serial}, by {self.issuer})",
            f"  intact: {_yes(self.intact)}; valid: {_yes(self.valid)}; trusted: {_yes(self.trusted)}",
            f"  revocation:   {self.revocation_status}"
            + (f" since {self.revoked_at.isoformat()} ({self.revocation_reason})" if self.revoked_at else "")
            + (f", checked {self.revocation_checked_at.isoformat()}" if self.revocation_checked_at else ""),
            f"  signed at:    {_when(self.signing_time)} (claimed); time-stamp: {_when(self.timestamp_time)}",
            f"  PAdES level:  {self.pades_level or '-'}",
            f"  coverage:     {self.coverage}",
        ]
        return "\n".join(lines)


def certificate_level(certificate: x509.Certificate) -> str | None:
    """The level of a certificate from its ETSI policy (``qcpnqscd``, ``qcp``, ``lcp``, ``seal``), if any."""
    policies = certificate.certificate_policies_value
    for policy in policies or ():
        level = CERTIFICATE_LEVELS.get(policy["policy_identifier"].dotted)
        if level is not None:
            return level
    return None


def validate(data: bytes, *, trust_roots: Sequence[Any], allow_fetching: bool = True) -> list[SignatureReport]:
    """A report for each signature (``/Sig``) of the PDF, in signing order."""
    return asyncio.run(_validate(data, list(trust_roots), allow_fetching))


async def _validate(data: bytes, trust_roots: list[Any], allow_fetching: bool) -> list[SignatureReport]:
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if reader.encrypted:  # read_pdf let through only a document that opens without a password
        reader.decrypt("")
    try:
        dss: DocumentSecurityStore | None = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        dss = None
    reports = []
    for embedded in reader.embedded_regular_signatures:
        now = _context(trust_roots, dss, fetching=allow_fetching)
        status = await async_validate_pdf_signature(embedded, now)
        checked_at = _revocation_produced_at(now, status.signing_cert)
        level = await _pades_level(reader, embedded, status, trust_roots, dss)
        reports.append(_report(embedded, status, level, checked_at))
    return reports


def _context(trust_roots: list[Any], dss: DocumentSecurityStore | None, *, fetching: bool) -> ValidationContext:
    """Fetching goes through ``requests`` (pyhanko-certvalidator's backend that holds no session to close)."""
    options: dict[str, Any] = {"trust_roots": trust_roots, "revocation_mode": "hard-fail"}
    if fetching:
        return ValidationContext(**options, allow_fetching=True, fetcher_backend=RequestsFetcherBackend())
    if dss is None:
        return ValidationContext(**options, allow_fetching=False)
    return dss.as_validation_context({**options, "allow_fetching": False})


async def _pades_level(
    reader: PdfFileReader,
    embedded: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    trust_roots: list[Any],
    dss: DocumentSecurityStore | None,
) -> PadesLevel | None:
    if embedded.sig_object.get("/SubFilter") != SigSeedSubFilter.PADES.value or not (status.intact and status.valid):
        return None
    stamp = status.timestamp_validity
    if stamp is None or not (stamp.intact and stamp.valid and stamp.trusted):
        return "B-B"
    if dss is None:
        return "B-T"
    offline = _context(trust_roots, dss, fetching=False)
    from_dss = await async_validate_pdf_signature(embedded, offline)
    from_dss_stamp = from_dss.timestamp_validity
    if not (from_dss.trusted and from_dss_stamp is not None and from_dss_stamp.trusted):
        return "B-T"
    for document_stamp in reader.embedded_timestamp_signatures:
        if document_stamp.signed_revision <= embedded.signed_revision:
            continue
        stamp_status = await async_validate_pdf_timestamp(document_stamp, offline)
        if stamp_status.intact and stamp_status.valid and stamp_status.trusted:
            return "B-LTA"
    return "B-LT"


def _report(
    embedded: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    level: PadesLevel | None,
    checked_at: datetime | None,
) -> SignatureReport:
    cert = status.signing_cert
    revocation = status.revocation_details
    revocation_status: RevocationStatus = "revoked" if revocation else ("good" if status.trusted else "unknown")
    stamp = status.timestamp_validity
    return SignatureReport(
        field_name=str(embedded.field_name),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        signer_name=cert.subject.native.get("common_name"),
        signer_subject=cert.subject.human_friendly,
        certificate_serial=format(cert.serial_number, "x"),
        certificate_level=certificate_level(cert),
        issuer=cert.issuer.native.get("common_name") or cert.issuer.human_friendly,
        revocation_status=revocation_status,
        revoked_at=revocation.revocation_date if revocation else None,
        revocation_reason=str(revocation.revocation_reason.native) if revocation else None,
        revocation_checked_at=checked_at,
        signing_time=status.signer_reported_dt,
        timestamp_time=stamp.timestamp if stamp is not None else None,
        pades_level=level,
        coverage=_coverage(status),
        summary=status.summary(),
    )


def _coverage(status: PdfSignatureStatus) -> str:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "the whole file"
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        later = status.modification_level.name.lower() if status.modification_level is not None else "unknown"
        return f"its revision; later changes: {later}" + ("" if status.docmdp_ok else " (not allowed)")
    return "part of the file only"


def _revocation_produced_at(context: ValidationContext, cert: x509.Certificate) -> datetime | None:
    """When the newest revocation information about the signer's certificate was produced."""
    times: list[datetime] = []
    for response in context.ocsps:
        if response["response_status"].native != "successful":
            continue
        basic = response["response_bytes"]["response"].parsed
        data = basic["tbs_response_data"]
        if any(single["cert_id"]["serial_number"].native == cert.serial_number for single in data["responses"]):
            times.append(data["produced_at"].native)
    for crl in context.crls:
        if crl["tbs_cert_list"]["issuer"] == cert.issuer:
            times.append(crl["tbs_cert_list"]["this_update"].native)
    return max(times, default=None)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _when(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "-"
