"""OCSP answers (RFC 6960, with the lightweight profile of RFC 5019 and the nonce of RFC 9654): every field judged for
its value, not its presence.

- :func:`ocsp_findings`: the answer's status for the certificate, its signature, its validity window, the nonce;
- :func:`ocsp_cert_id_findings`: the CertID answered is the one asked (hash algorithm, both hashes, serial);
- :func:`ocsp_responder_id_findings`: the ResponderID names the certificate that signed;
- :func:`ocsp_time_findings`: producedAt, thisUpdate and nextUpdate within sane bounds of the target's clock.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from conformance.pkix.certificates import issued_by, verifies

#: How far an answer's instants may stray from the target's clock as the suite reads it.
LEEWAY = timedelta(minutes=5)


def new_nonce() -> bytes:
    return secrets.token_bytes(16)


def ocsp_request(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    nonce: bytes | None = None,
    serial: int | None = None,
    algorithm: hashes.HashAlgorithm | None = None,
) -> bytes:
    """A DER OCSP request about ``cert`` (or about ``serial`` under the same issuer).

    The CertID is hashed with SHA-1 unless ``algorithm`` says otherwise: RFC 5019 §2.1.1 makes SHA-1 the one
    algorithm every responder must accept.
    """
    algorithm = algorithm or hashes.SHA1()  # noqa: S303 -- CertID hashing, not a signature (RFC 5019 2.1.1)
    builder = ocsp.OCSPRequestBuilder()
    if serial is None:
        builder = builder.add_certificate(cert, issuer, algorithm)
    else:
        probe = ocsp.load_der_ocsp_request(ocsp_request(cert, issuer, algorithm=algorithm))
        builder = builder.add_certificate_by_hash(probe.issuer_name_hash, probe.issuer_key_hash, serial, algorithm)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(Encoding.DER)


def load_ocsp(der: bytes) -> tuple[ocsp.OCSPResponse | None, str]:
    """(the response, "") when it is a successful OCSP answer, else (None, why)."""
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        return None, f"not a DER OCSPResponse ({exc})"
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return None, f"responseStatus {response.response_status.name}"
    return response, ""


def ocsp_signer(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate | None:
    """The certificate whose key verifies the response: the CA's own, or one that the response carries."""
    for candidate in (issuer, *response.certificates):
        if verifies(
            candidate.public_key(), response.signature, response.tbs_response_bytes, response.signature_hash_algorithm
        ):
            return candidate
    return None


def ocsp_signature_findings(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> list[str]:
    """RFC 6960 §4.2.2.2: signed by the CA itself or by a responder it issued with EKU OCSPSigning."""
    signer = ocsp_signer(response, issuer)
    if signer is None:
        return ["the response signature verifies neither with the CA's key nor with a certificate it carries"]
    if signer == issuer:
        return []
    if (why := issued_by(signer, issuer)) is not None:
        return [f"the delegated responder is not issued by the CA: {why}"]
    try:
        usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return ["the delegated responder has no extended key usage"]
    if ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
        return ["the delegated responder lacks EKU OCSPSigning"]
    return []


def describe_ocsp(der: bytes) -> str:
    """One line for a report: what an OCSP answer says (the exchange itself is binary)."""
    response, why = load_ocsp(der)
    if response is None:
        return why
    nonce = [e.value.nonce.hex() for e in response.extensions if isinstance(e.value, x509.OCSPNonce)]
    return (
        f"OCSP: serial {response.serial_number:x} is {response.certificate_status.name.lower()}, producedAt "
        f"{response.produced_at_utc.isoformat()}, thisUpdate {response.this_update_utc.isoformat()}, nextUpdate "
        f"{response.next_update_utc.isoformat() if response.next_update_utc else 'none'}, "
        f"nonce {nonce[0] if nonce else 'none'}, {len(response.certificates)} certificate(s)"
    )


def ocsp_findings(
    der: bytes,
    cert_serial: int,
    issuer: x509.Certificate,
    *,
    expected: str,
    at: datetime,
    nonce: bytes | None = None,
    leeway: timedelta = LEEWAY,
) -> list[str]:
    """What is wrong with an OCSP answer expected to say ``expected`` (good, revoked, unknown; "unknown" also
    accepts "revoked", which RFC 6960 2.2 allows for serials never issued)."""
    response, why = load_ocsp(der)
    if response is None:
        return [why]
    found = ocsp_signature_findings(response, issuer)
    if response.serial_number != cert_serial:
        found.append("the answer is about another serial number")
    status = response.certificate_status.name.lower()
    allowed = {"unknown", "revoked"} if expected == "unknown" else {expected}
    if status not in allowed:
        found.append(f"certStatus is {status}, expected {expected}")
    if expected == "revoked" and status == "revoked" and response.revocation_time_utc is None:
        found.append("a revoked status without revocationTime")
    this_update, next_update = response.this_update_utc, response.next_update_utc
    if this_update > at + leeway:
        found.append(f"thisUpdate {this_update.isoformat()} is in the future")
    if next_update is not None and next_update < at - leeway:
        found.append(f"nextUpdate {next_update.isoformat()} has passed")
    if nonce is not None:
        echoed = [e.value.nonce for e in response.extensions if isinstance(e.value, x509.OCSPNonce)]
        if echoed != [nonce]:
            found.append("the request's nonce is not echoed (RFC 9654 2.1)" if not echoed else "a different nonce")
    return found


def ocsp_cert_id_findings(der: bytes, request_der: bytes) -> list[str]:
    """RFC 6960 §4.1.1 and §4.2.1: the one SingleResponse answers the CertID asked, value for value: the hash
    algorithm, issuerNameHash, issuerKeyHash (the hash of the issuer's public key BIT STRING) and serialNumber.
    A client matches answers to questions by these; a wrong hash makes a right status unusable."""
    response, why = load_ocsp(der)
    if response is None:
        return [why]
    request = ocsp.load_der_ocsp_request(request_der)
    singles = list(response.responses)
    if len(singles) != 1:
        return [f"{len(singles)} SingleResponses to a request about one certificate"]
    single = singles[0]
    found = []
    if single.hash_algorithm.name != request.hash_algorithm.name:
        found.append(
            f"the CertID is hashed with {single.hash_algorithm.name}, the request's with {request.hash_algorithm.name}"
        )
    for label, held, asked in (
        ("issuerNameHash", single.issuer_name_hash, request.issuer_name_hash),
        ("issuerKeyHash", single.issuer_key_hash, request.issuer_key_hash),
    ):
        if held != asked:
            found.append(f"{label} is {held.hex()}, the request's {asked.hex()}")
    if single.serial_number != request.serial_number:
        found.append(f"serialNumber is {single.serial_number:x}, the request's {request.serial_number:x}")
    return found


def ocsp_responder_id_findings(der: bytes, issuer: x509.Certificate) -> list[str]:
    """RFC 6960 §4.2.2.3: the ResponderID names the certificate that signed: byKey, the SHA-1 of its public key
    BIT STRING; byName, its subject."""
    response, why = load_ocsp(der)
    if response is None:
        return [why]
    signer = ocsp_signer(response, issuer)
    if signer is None:
        return ["the response signature verifies with no certificate, so no ResponderID can name its signer"]
    if response.responder_key_hash is not None:
        expected = x509.SubjectKeyIdentifier.from_public_key(signer.public_key()).digest
        if response.responder_key_hash != expected:
            return [
                f"ResponderID byKey is {response.responder_key_hash.hex()}, the SHA-1 of the signer's public key "
                f"({signer.subject.rfc4514_string()}) is {expected.hex()}"
            ]
    elif response.responder_name != signer.subject:
        held = response.responder_name.rfc4514_string() if response.responder_name else "none"
        return [f"ResponderID byName is {held}, the signer is {signer.subject.rfc4514_string()}"]
    return []


def ocsp_time_findings(
    der: bytes, *, at: datetime, max_age: timedelta, max_validity: timedelta, leeway: timedelta = LEEWAY
) -> list[str]:
    """RFC 6960 §4.2.2.1 and RFC 5019 §2.2.4, read against ``at``, the target's clock:

    - producedAt and thisUpdate are not in the future, and not older than ``max_age`` (a status "known to be
      correct" weeks ago is no status);
    - thisUpdate is not after producedAt (no status claimed for a time after the answer was signed);
    - nextUpdate is present (RFC 5019 clients reject an answer without one), after thisUpdate, not passed, and at
      most ``max_validity`` after thisUpdate (clients keep an answer until its nextUpdate).
    """
    response, why = load_ocsp(der)
    if response is None:
        return [why]
    produced = response.produced_at_utc
    found = []
    if produced > at + leeway:
        found.append(f"producedAt {produced.isoformat()} is after the target's clock {at.isoformat()}")
    if produced < at - max_age:
        found.append(f"producedAt {produced.isoformat()} is more than {max_age} before {at.isoformat()}")
    for single in response.responses:
        this_update, next_update = single.this_update_utc, single.next_update_utc
        if this_update > at + leeway:
            found.append(f"thisUpdate {this_update.isoformat()} is after the target's clock {at.isoformat()}")
        if this_update < at - max_age:
            found.append(
                f"thisUpdate {this_update.isoformat()} is {at - this_update} before the target's clock, more than "
                f"{max_age}"
            )
        if this_update > produced + leeway:
            found.append(f"thisUpdate {this_update.isoformat()} is after producedAt {produced.isoformat()}")
        if next_update is None:
            found.append("no nextUpdate (RFC 5019 §2.2.4)")
            continue
        if next_update <= this_update:
            found.append(f"nextUpdate {next_update.isoformat()} is not after thisUpdate {this_update.isoformat()}")
        if next_update < at - leeway:
            found.append(f"nextUpdate {next_update.isoformat()} has passed")
        if next_update - this_update > max_validity:
            found.append(f"the validity interval {next_update - this_update} is longer than {max_validity}")
    return found


def ocsp_revocation(der: bytes) -> tuple[datetime | None, x509.ReasonFlags | None]:
    """(revocationTime, revocationReason) of a revoked answer; (None, None) otherwise."""
    response, _ = load_ocsp(der)
    if response is None or response.certificate_status != ocsp.OCSPCertStatus.REVOKED:
        return None, None
    return response.revocation_time_utc, response.revocation_reason
