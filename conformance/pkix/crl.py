"""CRLs (RFC 5280 §5): who signed, when, under which number, naming which key, and what each entry says."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography import x509

LEEWAY = timedelta(minutes=5)


def load_crl(der: bytes) -> x509.CertificateRevocationList | None:
    try:
        return x509.load_der_x509_crl(der)
    except ValueError:
        return None


def crl_signature_findings(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> list[str]:
    """RFC 5280 5.1.1: the CRL names the certificate's CA as its issuer and verifies with its key."""
    found = []
    if crl.issuer != issuer.subject:
        found.append("the CRL's issuer is not the certificate's CA")
    if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        found.append("the CRL's signature does not verify with the CA's key")
    return found


def crl_freshness_findings(
    crl: x509.CertificateRevocationList, *, at: datetime, leeway: timedelta = LEEWAY
) -> list[str]:
    """RFC 5280 5.1.2.4, 5.1.2.5 and 5.2: thisUpdate passed, nextUpdate present, after it and not passed, CRL number
    and AKI present and non-critical."""
    found = []
    if crl.last_update_utc > at + leeway:
        found.append(f"thisUpdate {crl.last_update_utc.isoformat()} is in the future")
    if crl.next_update_utc is None:
        found.append("no nextUpdate (RFC 5280 5.1.2.5 requires it)")
    elif crl.next_update_utc <= crl.last_update_utc:
        found.append(f"nextUpdate {crl.next_update_utc.isoformat()} is not after thisUpdate")
    elif crl.next_update_utc < at - leeway:
        found.append(f"the CRL is stale: nextUpdate {crl.next_update_utc.isoformat()} has passed")
    for extension_class, label in ((x509.CRLNumber, "CRL number"), (x509.AuthorityKeyIdentifier, "AKI")):
        try:
            extension = crl.extensions.get_extension_for_class(extension_class)
        except x509.ExtensionNotFound:
            found.append(f"no {label} extension (RFC 5280 5.2)")
            continue
        if extension.critical:
            found.append(f"the {label} extension is critical (RFC 5280 5.2.1 and 5.2.3: non-critical)")
    return found


def crl_authority_key_findings(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> list[str]:
    """RFC 5280 §5.2.1: the CRL's authorityKeyIdentifier (non-critical) holds the keyIdentifier of the key that
    signed it, the CA's subjectKeyIdentifier: relying parties pick the key to verify with by this value."""
    try:
        aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except x509.ExtensionNotFound:
        return ["no authorityKeyIdentifier (RFC 5280 §5.2.1: conforming CAs MUST include it)"]
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return ["the CA has no subjectKeyIdentifier to compare with (RFC 5280 §4.2.1.2)"]
    found = []
    if aki.critical:
        found.append("the authorityKeyIdentifier is critical (RFC 5280 §5.2.1: non-critical)")
    held = aki.value.key_identifier
    if held is None:
        found.append("the authorityKeyIdentifier has no keyIdentifier")
    elif held != ski:
        found.append(f"the authorityKeyIdentifier is {held.hex()}, the CA's subjectKeyIdentifier {ski.hex()}")
    return found


def crl_number(crl: x509.CertificateRevocationList) -> int | None:
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return None


def crl_sequence_findings(crls: Sequence[x509.CertificateRevocationList]) -> list[str]:
    """RFC 5280 §5.2.3: the CRLs one CA published, in the order they were fetched, carry monotonically increasing
    CRL numbers: a later one never a smaller number, a different one never the same number; and thisUpdate never
    goes back (§5.1.2.4)."""
    found = []
    for earlier, later in itertools.pairwise(crls):
        first, second = crl_number(earlier), crl_number(later)
        if first is None or second is None:
            found.append("a CRL without a CRL number")
            continue
        if second < first:
            found.append(f"the CRL number went down, from {first} to {second}")
        elif second == first and earlier.tbs_certlist_bytes != later.tbs_certlist_bytes:
            found.append(f"two different CRLs carry the same CRL number {first}")
        if later.last_update_utc < earlier.last_update_utc:
            found.append(
                f"thisUpdate went back, from {earlier.last_update_utc.isoformat()} to "
                f"{later.last_update_utc.isoformat()}"
            )
    return found


def crl_entry_findings(
    crl: x509.CertificateRevocationList,
    serial: int,
    *,
    reason: x509.ReasonFlags,
    revoked_between: tuple[datetime, datetime],
    leeway: timedelta = LEEWAY,
) -> list[str]:
    """RFC 5280 §5.1.2.6 and §5.3.1: the entry of ``serial`` exists; its revocationDate is when the CA revoked it
    (within ``revoked_between`` on the target's clock: not backdated to the issuance nor set ahead); its reasonCode
    is ``reason`` (absent only for unspecified, which SHOULD be left out)."""
    entry = crl.get_revoked_certificate_by_serial_number(serial)
    if entry is None:
        return [f"the revoked certificate {serial:x} is not on the CRL"]
    found = []
    start, end = revoked_between
    date = entry.revocation_date_utc
    if not start - leeway <= date <= end + leeway:
        found.append(
            f"revocationDate {date.isoformat()} is not when it was revoked (between {start.isoformat()} and "
            f"{end.isoformat()} on the target's clock)"
        )
    held = crl_entry_reason(entry)
    if any(isinstance(e.value, x509.CRLReason) and e.critical for e in entry.extensions):
        found.append("the reasonCode is critical (RFC 5280 §5.3.1: non-critical)")
    if (held or x509.ReasonFlags.unspecified) != reason:
        found.append(f"reasonCode is {held.name if held else 'absent'}, the revocation's {reason.name}")
    return found


def crl_entry_reason(entry: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    """The reasonCode of a CRL entry, None when the entry has none."""
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None
