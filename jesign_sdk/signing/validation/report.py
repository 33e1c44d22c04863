"""What the caller gets for each signature: :class:`SignatureReport`, and the vocabulary it uses.

The report is a plain frozen dataclass (the CLI's ``--json`` prints its fields as they are); the ETSI terms are
strings, not pyHanko's enums, so that the report stays the same whatever pyHanko version made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from asn1crypto import x509

from jesign_sdk.signing.documents import PadesLevel

__all__ = ["CERTIFICATE_LEVELS", "Indication", "RevocationStatus", "SignatureReport", "certificate_level"]

#: ETSI certificate policies (EN 319 411-1 and -2), by OID: the level the SDK reports.
CERTIFICATE_LEVELS = {
    "0.4.0.194112.1.2": "qcpnqscd",  # QCP-n-qscd: qualified, natural person, key on a QSCD
    "0.4.0.194112.1.0": "qcp",  # QCP-n: qualified, natural person
    "0.4.0.194112.1.1": "seal",  # QCP-l: qualified, legal person (a firm's seal)
    "0.4.0.2042.1.3": "lcp",  # LCP: lightweight
}

RevocationStatus = Literal["good", "revoked", "unknown"]
#: The main indication of ETSI EN 319 102-1 §5.1.3.
Indication = Literal["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"]


@dataclass(frozen=True)
class SignatureReport:
    """What one signature of a PDF is worth.

    ``indication`` is the ETSI EN 319 102-1 main indication (``TOTAL_PASSED``, ``TOTAL_FAILED``,
    ``INDETERMINATE``), ``sub_indication`` the standard's name of what went wrong (``REVOKED_NO_POE``,
    ``NO_CERTIFICATE_CHAIN_FOUND``, ``TRY_LATER``, ``HASH_FAILURE``, ``FORMAT_FAILURE``…; None when it passed) and
    ``reason`` says it in a sentence (None when a pass needs no comment). ``malformed``: the signature could not be
    read or processed at all, so only the field name, the indication and the reason are known. ``foreign``: the
    signer's certificate does not lead to any of the trust roots (None when that could not be told).

    ``intact``: the document's signed bytes are unchanged; ``valid``: the signature value checks out;
    ``trusted``: the signer's certificate leads to a trust root and is not revoked. ``revocation_checked_at`` is
    when the revocation information used was produced (the OCSP answer, or the CRL). ``pades_level`` is the highest
    PAdES baseline level the signature reaches (None: not a valid PAdES signature). ``details`` are pyHanko's own
    diagnostics, one line each.
    """

    field_name: str
    indication: Indication
    sub_indication: str | None
    reason: str | None
    malformed: bool
    foreign: bool | None
    intact: bool
    valid: bool
    trusted: bool
    signer_name: str | None
    signer_subject: str | None
    certificate_serial: str | None
    certificate_level: str | None
    issuer: str | None
    revocation_status: RevocationStatus
    revoked_at: datetime | None
    revocation_reason: str | None
    revocation_checked_at: datetime | None
    signing_time: datetime | None
    timestamp_time: datetime | None
    pades_level: PadesLevel | None
    coverage: str | None
    summary: str
    details: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """The signature passed: ``TOTAL_PASSED``."""
        return self.indication == "TOTAL_PASSED"

    def __str__(self) -> str:
        verdict = self.indication + (f" / {self.sub_indication}" if self.sub_indication else "")
        kind = " (malformed)" if self.malformed else " (foreign)" if self.foreign else ""
        lines = [f"Signature {self.field_name}: {verdict}{kind}"]
        if self.reason:
            lines.append(f"  reason:       {self.reason}")
        if self.malformed:
            return "\n".join(lines)
        lines += [
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


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _when(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "-"
