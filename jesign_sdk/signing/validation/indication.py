"""The ETSI EN 319 102-1 verdict on one signature, from pyHanko's status: indication, sub-indication, reason.

The main indications are those of §5.1.3: ``TOTAL_PASSED``, ``TOTAL_FAILED``, ``INDETERMINATE``; the
sub-indications are pyHanko's own (:mod:`pyhanko.sign.ades.report`). What fails a signature outright comes first:

1. the signed bytes changed: ``TOTAL_FAILED`` / ``HASH_FAILURE``;
2. the signature value does not verify: ``TOTAL_FAILED`` / ``SIG_CRYPTO_FAILURE``;
3. the signature does not cover its whole revision, or the document was changed afterwards in a way it does not
   allow: ``TOTAL_FAILED`` / ``FORMAT_FAILURE``;
4. then the signer's certificate, as pyHanko judged it (``SignatureStatus.trust_problem_indic``: ``REVOKED_NO_POE``,
   ``NO_CERTIFICATE_CHAIN_FOUND``, ``OUT_OF_BOUNDS_NO_POE``…), with two steps pyHanko's plain validation leaves to
   its AdES code: a chain it could not validate for want of revocation information is ``TRY_LATER`` (it says
   ``CERTIFICATE_CHAIN_GENERAL_FAILURE`` for any path error), and a revocation after the signature time-stamp
   does not fail the signature, since the time-stamp proves it existed before (the validation with time, §5.5).

A signature that could not be read at all is ``TOTAL_FAILED`` / ``FORMAT_FAILURE``, unless pyHanko's error named
another sub-indication.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from asn1crypto import x509
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESStatus, AdESSubIndic
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator.errors import InsufficientRevinfoError

from jesign_sdk.signing.validation.logs import messages
from jesign_sdk.signing.validation.report import Indication

__all__ = ["Verdict", "of_unreadable", "verdict"]

_INDICATIONS: dict[AdESStatus, Indication] = {
    AdESStatus.PASSED: "TOTAL_PASSED",
    AdESStatus.FAILED: "TOTAL_FAILED",
    AdESStatus.INDETERMINATE: "INDETERMINATE",
}

_FOREIGN = "the signer's certificate does not lead to any of the trust roots (another provider's, or self-signed)"

_REASONS: dict[AdESSubIndic, str] = {
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND: _FOREIGN,
    AdESIndeterminate.TRY_LATER: (
        "no revocation information about a certificate of the chain could be had (offline, the document's DSS "
        "does not hold it; online, the responder did not give it)"
    ),
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE: (
        "the signer's certificate is not valid at the validation time, and nothing proves the signature was made "
        "while it was"
    ),
    AdESIndeterminate.NO_SIGNING_CERTIFICATE_FOUND: "the signature does not hold the signer's certificate",
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE: "an algorithm of the signature or its chain is no longer accepted",
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE: (
        "an algorithm of the signature or its chain is no longer accepted, and nothing proves the signature was "
        "made while it was"
    ),
}


class Verdict(NamedTuple):
    """``sub_indication`` is the standard's name (None when passed); ``reason`` says it in a sentence."""

    indication: Indication
    sub_indication: str | None
    reason: str | None


def verdict(status: PdfSignatureStatus, records: list[logging.LogRecord], *, foreign: bool | None) -> Verdict:
    """The verdict on a signature pyHanko validated; ``records`` are what it logged meanwhile."""
    if not status.intact:
        return _failed(AdESFailure.HASH_FAILURE, "the signed bytes of the document changed after signing")
    if not status.valid:
        return _failed(AdESFailure.SIG_CRYPTO_FAILURE, "the signature value does not verify with the signer's key")
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return _failed(
            AdESFailure.FORMAT_FAILURE,
            "the signature does not cover its whole revision of the document (its /ByteRange leaves bytes out)",
        )
    if not status.docmdp_ok and status.modification_level is not None:
        return _failed(
            AdESFailure.FORMAT_FAILURE,
            "the document was changed after signing in a way the signature does not allow "
            f"({status.modification_level.name.lower()})",
        )
    sub = status.trust_problem_indic
    if sub is None and status.validation_path is None:
        sub = AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND
    if sub is None:
        return Verdict("TOTAL_PASSED", None, None)
    if sub == AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE and _lacked_revocation_data(
        records, status.signing_cert
    ):
        sub = AdESIndeterminate.TRY_LATER
    revocation, stamp = status.revocation_details, status.timestamp_validity
    if (
        sub == AdESIndeterminate.REVOKED_NO_POE
        and revocation is not None
        and stamp is not None
        and stamp.trusted
        and stamp.timestamp < revocation.revocation_date
    ):
        return Verdict(
            "TOTAL_PASSED",
            None,
            f"the signer's certificate was revoked on {revocation.revocation_date.isoformat()} "
            f"({revocation.revocation_reason.native}), after the signature time-stamp of "
            f"{stamp.timestamp.isoformat()} that proves the signature existed before",
        )
    said = next(iter(messages(records)), None)
    if foreign and sub != AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        reason = _FOREIGN + (f": {said}" if said else "")
    else:
        reason = _reason(sub, status, said)
    return Verdict(_INDICATIONS[sub.status], _name(sub), reason)


def of_unreadable(problem: Exception) -> Verdict:
    """The verdict on a signature pyHanko could not read or process: FORMAT_FAILURE, unless its error said better."""
    sub = getattr(problem, "ades_subindication", None)
    if not isinstance(sub, AdESSubIndic):
        sub = AdESFailure.FORMAT_FAILURE
    said = getattr(problem, "failure_message", None) or str(problem) or type(problem).__name__
    return Verdict(_INDICATIONS[sub.status], _name(sub), f"the signature cannot be read: {said}")


def _failed(sub: AdESFailure, reason: str) -> Verdict:
    return Verdict("TOTAL_FAILED", _name(sub), reason)


def _name(sub: AdESSubIndic) -> str:
    return str(sub.standard_name)


def _lacked_revocation_data(records: list[logging.LogRecord], certificate: x509.Certificate) -> bool:
    """Whether the path error pyHanko logged about the signer's certificate (not the time-stamp's) was a want of
    revocation information."""
    for record in records:
        error = record.exc_info[1] if record.exc_info else None
        path = getattr(error, "original_path", None)
        leaf = getattr(path, "leaf", None)
        if isinstance(error, InsufficientRevinfoError) and leaf is not None and leaf.dump() == certificate.dump():
            return True
    return False


def _reason(sub: AdESSubIndic, status: PdfSignatureStatus, said: str | None) -> str:
    revocation = status.revocation_details
    if sub in (AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE) and revocation is not None:
        whose = "a CA certificate of the signer's chain" if revocation.ca_revoked else "the signer's certificate"
        return (
            f"{whose} was revoked on {revocation.revocation_date.isoformat()} "
            f"({revocation.revocation_reason.native}), and nothing proves the signature was made before"
        )
    known = _REASONS.get(sub)
    if known is not None:
        return known
    return (
        f"the signer's certificate does not validate: {said}" if said else "the signer's certificate does not validate"
    )
