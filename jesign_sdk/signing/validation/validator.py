"""The two validations of each signature, and the reports made of them.

- **now**, as a relying party would: integrity, the signature value, the path to a trust root, and revocation,
  required (``hard-fail``): fetched from the OCSP responder or the CRL when ``allow_fetching`` (through
  ``requests``, pyhanko-certvalidator's backend that holds no session to close), else taken from the document's
  DSS only; offline, the contexts have no fetcher at all, so nothing goes on the network;
- **offline, from the document alone**, for the PAdES level the document carries.

Each signature is validated inside :func:`~.logs.captured`, and anything pyHanko raises about it becomes its
report (malformed); only a document whose signature fields cannot be listed, or trust roots that cannot be used,
make :func:`validate` raise.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, ValidationError
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from jesign_sdk._clock import DEFAULT_LEEWAY, system_clock
from jesign_sdk._errors import PdfRefusedError
from jesign_sdk._run import run_sync
from jesign_sdk.signing.documents import PadesLevel
from jesign_sdk.signing.validation.fields import read_dss, signature_fields
from jesign_sdk.signing.validation.indication import Verdict, of_unreadable, verdict
from jesign_sdk.signing.validation.logs import captured, messages
from jesign_sdk.signing.validation.report import RevocationStatus, SignatureReport, certificate_level
from jesign_sdk.signing.validation.timing import validation_context
from jesign_sdk.signing.validation.trust_roots import TrustRootSource, load_trust_roots

__all__ = ["async_validate", "validate"]


def validate(
    data: bytes,
    *,
    trust_roots: Sequence[TrustRootSource],
    allow_fetching: bool = True,
    at: datetime | None = None,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> list[SignatureReport]:
    """A report for each signature (``/Sig``) of the PDF, in signing order, foreign and malformed ones included.

    Validated now, ``at`` being the current instant (this machine's clock by default), with ``leeway`` of
    tolerance on validity periods and revocation data's freshness. Raises only :class:`~jesign_sdk.TrustRootError`
    (a root that cannot be used) and :class:`~jesign_sdk.PdfRefusedError` (a document whose signature fields
    cannot be listed). In a coroutine, await :func:`async_validate`.
    """
    return run_sync(async_validate(data, trust_roots=trust_roots, allow_fetching=allow_fetching, at=at, leeway=leeway))


async def async_validate(
    data: bytes,
    *,
    trust_roots: Sequence[TrustRootSource],
    allow_fetching: bool = True,
    at: datetime | None = None,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> list[SignatureReport]:
    """:func:`validate`, as a coroutine (what is fetched is fetched in worker threads, as pyhanko-certvalidator's
    fetchers do)."""
    roots = load_trust_roots(trust_roots)
    timing = _Timing(at or system_clock(), leeway)
    return await _validate(data, roots, allow_fetching, timing)


@dataclasses.dataclass(frozen=True)
class _Timing:
    at: datetime
    leeway: timedelta


async def _validate(
    data: bytes, trust_roots: list[x509.Certificate], allow_fetching: bool, timing: _Timing
) -> list[SignatureReport]:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:  # read_pdf let through only a document that opens without a password
            reader.decrypt("")
    except Exception as exc:
        raise PdfRefusedError(f"the PDF cannot be read: {exc}", code="not_a_pdf") from exc
    fields = signature_fields(reader)
    dss, dss_problem = read_dss(reader)
    stamps = [f.embedded for f in fields if f.document_timestamp and f.embedded is not None]
    reports = []
    for field in fields:
        if field.document_timestamp:
            continue  # what a document time-stamp is worth shows in the PAdES level of the signatures it covers
        with captured() as records:
            if field.embedded is None:
                assert field.problem is not None
                report = _unreadable(field.name, field.problem, records)
            else:
                try:
                    report = await _validate_signature(
                        field.embedded, trust_roots, dss, stamps, allow_fetching, timing, records
                    )
                except Exception as exc:  # one signature pyHanko cannot process does not hide the others
                    report = _unreadable(field.name, exc, records)
        if dss_problem:
            report = dataclasses.replace(report, details=(*report.details, dss_problem))
        reports.append(report)
    return reports


async def _validate_signature(
    embedded: EmbeddedPdfSignature,
    trust_roots: list[x509.Certificate],
    dss: DocumentSecurityStore | None,
    stamps: list[EmbeddedPdfSignature],
    allow_fetching: bool,
    timing: _Timing,
    records: list[logging.LogRecord],
) -> SignatureReport:
    now = _context(trust_roots, dss, timing, fetching=allow_fetching)
    status = await async_validate_pdf_signature(embedded, now)
    foreign = False if status.trusted else await _foreign(now, status.signing_cert)
    # Judged on what pyHanko logged about this validation, not about the ones that look for the PAdES level.
    said = list(records)
    checked_at = _revocation_produced_at(now, status.signing_cert)
    from_dss = None if allow_fetching else status  # offline, the first validation was from the document alone
    level = await _pades_level(embedded, status, from_dss, trust_roots, dss, stamps, timing)
    return _report(embedded, status, verdict(status, said, foreign=foreign), level, checked_at, foreign, said)


def _context(
    trust_roots: list[x509.Certificate],
    dss: DocumentSecurityStore | None,
    timing: _Timing,
    *,
    fetching: bool,
    revocation_mode: str = "hard-fail",
) -> ValidationContext:
    """Online, everything fetched afresh; offline, the DSS's data, or none (then, ``hard-fail``, nothing is
    trusted)."""
    options: dict[str, Any] = {"trust_roots": trust_roots, "revocation_mode": revocation_mode}
    if fetching:
        options.update(allow_fetching=True, fetcher_backend=RequestsFetcherBackend())
        return validation_context(timing.at, timing.leeway, **options)
    if dss is None:
        return validation_context(timing.at, timing.leeway, **options, allow_fetching=False, crls=[], ocsps=[])
    return validation_context(timing.at, timing.leeway, dss=dss, **options, allow_fetching=False)


async def _foreign(context: ValidationContext, certificate: x509.Certificate) -> bool | None:
    """Whether no path leads from the certificate to a trust root (with the certificates the context knows)."""
    try:
        await context.path_builder.async_build_paths(certificate)
    except PathBuildingError:
        return True
    except (ValidationError, OSError):  # a certificate fetch that failed: cannot tell
        return None
    return False


async def _pades_level(
    embedded: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    from_dss: PdfSignatureStatus | None,
    trust_roots: list[x509.Certificate],
    dss: DocumentSecurityStore | None,
    stamps: list[EmbeddedPdfSignature],
    timing: _Timing,
) -> PadesLevel | None:
    """B-B: a valid PAdES signature; B-T: a time-stamp from a TSA under the trust roots; B-LT: the DSS holds what it
    takes to validate the signer and the time-stamp with no network; B-LTA: a trusted document time-stamp covers
    it all."""
    if embedded.sig_object.get("/SubFilter") != SigSeedSubFilter.PADES.value or not (status.intact and status.valid):
        return None
    stamp = status.timestamp_validity
    if stamp is None or not (stamp.intact and stamp.valid):
        return "B-B"
    if not stamp.trusted:
        # The level is what the document carries: a time-stamp whose TSA leads to a trust root counts when only
        # its revocation status could not be had (offline without a DSS, or the responder out of reach).
        lenient = _context(trust_roots, dss, timing, fetching=False, revocation_mode="soft-fail")
        again = (await async_validate_pdf_signature(embedded, lenient)).timestamp_validity
        if again is None or not again.trusted:
            return "B-B"
    if dss is None:
        return "B-T"
    offline = _context(trust_roots, dss, timing, fetching=False)
    if from_dss is None:
        from_dss = await async_validate_pdf_signature(embedded, offline)
    from_dss_stamp = from_dss.timestamp_validity
    if not (from_dss.trusted and from_dss_stamp is not None and from_dss_stamp.trusted):
        return "B-T"
    for document_stamp in stamps:
        if document_stamp.signed_revision <= embedded.signed_revision:
            continue
        stamp_status = await async_validate_pdf_timestamp(document_stamp, offline)
        if stamp_status.intact and stamp_status.valid and stamp_status.trusted:
            return "B-LTA"
    return "B-LT"


def _report(
    embedded: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    judged: Verdict,
    level: PadesLevel | None,
    checked_at: datetime | None,
    foreign: bool | None,
    records: list[logging.LogRecord],
) -> SignatureReport:
    cert = status.signing_cert
    revocation = status.revocation_details
    revocation_status: RevocationStatus = "revoked" if revocation else ("good" if status.trusted else "unknown")
    stamp = status.timestamp_validity
    return SignatureReport(
        field_name=str(embedded.field_name),
        indication=judged.indication,
        sub_indication=judged.sub_indication,
        reason=judged.reason,
        malformed=False,
        foreign=foreign,
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
        details=messages(records),
    )


def _unreadable(field_name: str, problem: Exception, records: list[logging.LogRecord]) -> SignatureReport:
    judged = of_unreadable(problem)
    return SignatureReport(
        field_name=field_name,
        indication=judged.indication,
        sub_indication=judged.sub_indication,
        reason=judged.reason,
        malformed=True,
        foreign=None,
        intact=False,
        valid=False,
        trusted=False,
        signer_name=None,
        signer_subject=None,
        certificate_serial=None,
        certificate_level=None,
        issuer=None,
        revocation_status="unknown",
        revoked_at=None,
        revocation_reason=None,
        revocation_checked_at=None,
        signing_time=None,
        timestamp_time=None,
        pades_level=None,
        coverage=None,
        summary="INVALID",
        details=(f"{type(problem).__name__}: {problem}", *messages(records)),
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
