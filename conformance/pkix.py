"""Judging what a provider's PKI publishes: certificate profiles, chains, OCSP answers, CRLs, time-stamp tokens.

Pure functions over DER and :mod:`cryptography` objects, with no HTTP: the ``pki`` and ``signing`` plans fetch,
these judge. Each ``*_findings`` function answers the list of what is wrong, in words (empty: conforms), so that a
check reports every deviation at once rather than the first.

The profiles are those of ETSI EN 319 412-2 (natural person), EN 319 412-3 (legal person, seal) and the QC
statements of EN 319 412-5, at the levels a registration asks for: ``lcp``, ``qcp``, ``qcpnqscd``.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

# ETSI EN 319 411-1 / 319 411-2 certificate policies.
LCP = "0.4.0.2042.1.3"
QCP_N = "0.4.0.194112.1.0"
QCP_L = "0.4.0.194112.1.1"
QCP_N_QSCD = "0.4.0.194112.1.2"
#: The ETSI policy that each registration level's certificate must carry.
LEVEL_POLICIES = {"lcp": LCP, "qcp": QCP_N, "qcpnqscd": QCP_N_QSCD}

# ETSI EN 319 412-5 QC statements, and RFC 3739 semantics information with EN 319 412-1 identifiers.
QC_STATEMENTS = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3")
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_SSCD = "0.4.0.1862.1.4"
QC_PDS = "0.4.0.1862.1.5"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESIGN = "0.4.0.1862.1.6.1"
QC_TYPE_ESEAL = "0.4.0.1862.1.6.2"

_NATURAL_SERIAL = re.compile(r"^(IDC|PAS|PNO|TIN|TAX)[A-Z]{2}-.+$")
_ORGANIZATION_IDENTIFIER = re.compile(r"^(NTR|VAT|PSD|LEI)[A-Z]{2}-.+$")
_FRENCH_REGISTRY = re.compile(r"^NTRFR-[0-9]{9}$")


class _QcStatement(core.Sequence):  # type: ignore[misc]
    _fields = [("statement_id", core.ObjectIdentifier), ("statement_info", core.Any, {"optional": True})]


class _QcStatements(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _QcStatement


class _QcTypes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.ObjectIdentifier


# -- certificate profiles -------------------------------------------------------------------------------------------


def qc_statements(cert: x509.Certificate) -> dict[str, list[str]]:
    """{statement OID: the OIDs inside its info (QcType's types), else []}; {} when the extension is absent."""
    try:
        value = cert.extensions.get_extension_for_oid(QC_STATEMENTS).value
    except x509.ExtensionNotFound:
        return {}
    assert isinstance(value, x509.UnrecognizedExtension)
    found: dict[str, list[str]] = {}
    for statement in _QcStatements.load(value.value):
        oid = statement["statement_id"].dotted
        info = statement["statement_info"]
        found[oid] = [t.dotted for t in _QcTypes.load(info.dump())] if oid == QC_TYPE else []
    return found


def policies(cert: x509.Certificate) -> set[str]:
    try:
        value = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return set()
    return {p.policy_identifier.dotted_string for p in value}


def level_findings(cert: x509.Certificate, level: str) -> list[str]:
    """What does not fit a natural person's certificate at ``level`` (policy and QC statements)."""
    found: list[str] = []
    statements = qc_statements(cert)
    held = policies(cert)
    if LEVEL_POLICIES[level] not in held:
        found.append(f"the {level} policy {LEVEL_POLICIES[level]} is missing (policies: {sorted(held) or 'none'})")
    others = (held & set(LEVEL_POLICIES.values())) - {LEVEL_POLICIES[level]}
    if others:
        found.append(f"it also claims the policies of other levels: {sorted(others)}")
    qualified = level != "lcp"
    if qualified and QC_COMPLIANCE not in statements:
        found.append("a qualified certificate without the QcCompliance statement (EN 319 412-5 4.2.1)")
    if not qualified and QC_COMPLIANCE in statements:
        found.append("an LCP certificate claims QcCompliance: it is not qualified")
    if level == "qcpnqscd" and QC_SSCD not in statements:
        found.append("a QCP-n-qscd certificate without the QcSSCD statement (EN 319 412-5 4.2.2)")
    if level != "qcpnqscd" and QC_SSCD in statements:
        found.append(f"a {level} certificate claims QcSSCD: its key is not on a qualified device")
    if qualified and statements.get(QC_TYPE) != [QC_TYPE_ESIGN]:
        found.append(f"QcType must be esign only (EN 319 412-5 4.2.3), found {statements.get(QC_TYPE)}")
    return found


def key_usage_findings(cert: x509.Certificate) -> list[str]:
    """EN 319 412-2 4.3.2: a critical keyUsage with nonRepudiation (contentCommitment), no CA bits."""
    try:
        extension = cert.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        return ["no keyUsage extension"]
    usage = extension.value
    found = []
    if not extension.critical:
        found.append("keyUsage is not critical")
    if not usage.content_commitment:
        found.append("keyUsage lacks nonRepudiation (contentCommitment)")
    if usage.key_cert_sign or usage.crl_sign:
        found.append("an end-entity keyUsage with keyCertSign or cRLSign")
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            found.append("basicConstraints says CA")
    except x509.ExtensionNotFound:
        pass
    return found


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def natural_person_subject_findings(cert: x509.Certificate) -> list[str]:
    """EN 319 412-2 4.2.4 and EN 319 412-1 5.1.3: C, givenName, surname, CN, serialNumber with semantics."""
    subject = cert.subject
    found = [
        f"the subject has no {label}"
        for oid, label in (
            (NameOID.COUNTRY_NAME, "countryName"),
            (NameOID.GIVEN_NAME, "givenName"),
            (NameOID.SURNAME, "surname"),
            (NameOID.COMMON_NAME, "commonName"),
        )
        if _attribute(subject, oid) is None
    ]
    serial = _attribute(subject, NameOID.SERIAL_NUMBER)
    if serial is None:
        found.append("the subject has no serialNumber (EN 319 412-2 4.2.4)")
    elif not _NATURAL_SERIAL.match(serial):
        found.append(f"serialNumber {serial!r} lacks EN 319 412-1 semantics (IDCFR-..., PASFR-...)")
    return found


def seal_findings(cert: x509.Certificate) -> list[str]:
    """EN 319 412-3 4.2.1 (O, C, organizationIdentifier) and EN 319 412-5 (QcCompliance, QcType eseal)."""
    subject = cert.subject
    found = [
        f"the subject has no {label}"
        for oid, label in ((NameOID.COUNTRY_NAME, "countryName"), (NameOID.ORGANIZATION_NAME, "organizationName"))
        if _attribute(subject, oid) is None
    ]
    identifier = _attribute(subject, NameOID.ORGANIZATION_IDENTIFIER)
    if identifier is None:
        found.append("the subject has no organizationIdentifier (EN 319 412-3 4.2.1)")
    elif not _ORGANIZATION_IDENTIFIER.match(identifier):
        found.append(f"organizationIdentifier {identifier!r} lacks EN 319 412-1 5.1.4 semantics")
    elif identifier.startswith("NTRFR") and not _FRENCH_REGISTRY.match(identifier):
        found.append(f"organizationIdentifier {identifier!r} is not NTRFR- and a 9-digit SIREN")
    statements = qc_statements(cert)
    if QC_COMPLIANCE not in statements:
        found.append("a qualified seal certificate without QcCompliance")
    if statements.get(QC_TYPE) != [QC_TYPE_ESEAL]:
        found.append(f"QcType must be eseal only, found {statements.get(QC_TYPE)}")
    if QCP_L not in policies(cert):
        found.append(f"the QCP-l policy {QCP_L} is missing")
    return found


# -- chains and pointers ----------------------------------------------------------------------------------------------


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> str | None:
    """None if ``issuer`` names and signed ``cert``, else why not."""
    if cert.issuer != issuer.subject:
        return f"{cert.subject.rfc4514_string()} names {cert.issuer.rfc4514_string()} as its issuer"
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as exc:
        return f"the signature of {cert.subject.rfc4514_string()} does not verify with its issuer's key ({exc})"
    return None


def chain_findings(chain: Sequence[x509.Certificate], root: x509.Certificate, at: datetime) -> list[str]:
    """``chain`` from the end entity up (the root may end it or not): names, signatures, validity, CA bits."""
    links = list(chain)
    if links[-1] != root:
        links.append(root)
    found = []
    for child, parent in itertools.pairwise(links):
        if (why := issued_by(child, parent)) is not None:
            found.append(why)
        try:
            if not parent.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                found.append(f"{parent.subject.rfc4514_string()} signs certificates but is not a CA")
        except x509.ExtensionNotFound:
            found.append(f"{parent.subject.rfc4514_string()} has no basicConstraints")
    if (why := issued_by(root, root)) is not None:
        found.append(f"the root is not self-signed: {why}")
    for cert in links:
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            found.append(f"{cert.subject.rfc4514_string()} is not valid at {at.isoformat()}")
    return found


def access_urls(cert: x509.Certificate, method: x509.ObjectIdentifier) -> list[str]:
    """The URLs of one AIA access method (``AuthorityInformationAccessOID.OCSP`` or ``CA_ISSUERS``)."""
    try:
        value = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [
        str(d.access_location.value)
        for d in value
        if d.access_method == method and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def ca_issuers_urls(cert: x509.Certificate) -> list[str]:
    return access_urls(cert, AuthorityInformationAccessOID.CA_ISSUERS)


def ocsp_urls(cert: x509.Certificate) -> list[str]:
    return access_urls(cert, AuthorityInformationAccessOID.OCSP)


def crl_urls(cert: x509.Certificate) -> list[str]:
    try:
        value = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [
        str(name.value)
        for point in value
        for name in point.full_name or ()
        if isinstance(name, x509.UniformResourceIdentifier)
    ]


def load_certificate(body: bytes) -> x509.Certificate:
    """A certificate served as DER (``application/pkix-cert``) or PEM."""
    if body.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(body)
    return x509.load_der_x509_certificate(body)


# -- OCSP -------------------------------------------------------------------------------------------------------------


def new_nonce() -> bytes:
    return secrets.token_bytes(16)


def ocsp_request(
    cert: x509.Certificate, issuer: x509.Certificate, *, nonce: bytes | None = None, serial: int | None = None
) -> bytes:
    """A DER OCSP request about ``cert`` (or about ``serial`` under the same issuer).

    The CertID is hashed with SHA-1, which RFC 5019 2.1.1 makes the one algorithm every responder must accept.
    """
    sha1 = hashes.SHA1()  # noqa: S303 -- CertID hashing, not a signature (RFC 5019 2.1.1)
    builder = ocsp.OCSPRequestBuilder()
    if serial is None:
        builder = builder.add_certificate(cert, issuer, sha1)
    else:
        probe = ocsp.load_der_ocsp_request(ocsp_request(cert, issuer))
        builder = builder.add_certificate_by_hash(probe.issuer_name_hash, probe.issuer_key_hash, serial, sha1)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(Encoding.DER)


def _verify(public_key: object, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None) -> bool:
    assert algorithm is not None
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def ocsp_signature_findings(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> list[str]:
    """RFC 6960 4.2.2.2: signed by the CA itself or by a responder it issued with EKU OCSPSigning."""
    signer = issuer
    responder = None
    for cert in response.certificates:
        if response.responder_key_hash is not None:
            if x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest == response.responder_key_hash:
                responder = cert
        elif response.responder_name == cert.subject:
            responder = cert
    if responder is not None and responder != issuer:
        if (why := issued_by(responder, issuer)) is not None:
            return [f"the delegated responder is not issued by the CA: {why}"]
        try:
            usage = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            return ["the delegated responder has no extended key usage"]
        if ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
            return ["the delegated responder lacks EKU OCSPSigning"]
        signer = responder
    if not _verify(
        signer.public_key(), response.signature, response.tbs_response_bytes, response.signature_hash_algorithm
    ):
        return ["the response signature does not verify with the CA's or its responder's key"]
    return []


def describe_ocsp(der: bytes) -> str:
    """One line for a report: what an OCSP answer says (the exchange itself is binary)."""
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError:
        return "not a DER OCSPResponse"
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return f"responseStatus {response.response_status.name}"
    nonce = [e.value.nonce.hex() for e in response.extensions if isinstance(e.value, x509.OCSPNonce)]
    return (
        f"OCSP: serial {response.serial_number:x} is {response.certificate_status.name.lower()}, thisUpdate "
        f"{response.this_update_utc.isoformat()}, nextUpdate "
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
    leeway: timedelta = timedelta(minutes=5),
) -> list[str]:
    """What is wrong with an OCSP answer expected to say ``expected`` (good, revoked, unknown; "unknown" also
    accepts "revoked", which RFC 6960 2.2 allows for serials never issued)."""
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        return [f"not a DER OCSPResponse ({exc})"]
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return [f"responseStatus {response.response_status.name}"]
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
            found.append("the request's nonce is not echoed (RFC 8954 2.1)" if not echoed else "a different nonce")
    return found


# -- CRLs -------------------------------------------------------------------------------------------------------------


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
    crl: x509.CertificateRevocationList, *, at: datetime, leeway: timedelta = timedelta(minutes=5)
) -> list[str]:
    """RFC 5280 5.1.2.4, 5.1.2.5 and 5.2: thisUpdate passed, nextUpdate present and not passed, CRL number, AKI."""
    found = []
    if crl.last_update_utc > at + leeway:
        found.append(f"thisUpdate {crl.last_update_utc.isoformat()} is in the future")
    if crl.next_update_utc is None:
        found.append("no nextUpdate (RFC 5280 5.1.2.5 requires it)")
    elif crl.next_update_utc < at - leeway:
        found.append(f"the CRL is stale: nextUpdate {crl.next_update_utc.isoformat()} has passed")
    for extension_class, label in ((x509.CRLNumber, "CRL number"), (x509.AuthorityKeyIdentifier, "AKI")):
        try:
            crl.extensions.get_extension_for_class(extension_class)
        except x509.ExtensionNotFound:
            found.append(f"no {label} extension (RFC 5280 5.2)")
    return found


# -- time stamps ------------------------------------------------------------------------------------------------------


def tsa_request(digest: bytes, *, nonce: int | None) -> bytes:
    """A DER RFC 3161 TimeStampReq for a SHA-256 ``digest``, with certReq."""
    query: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "cert_req": True,
    }
    if nonce is not None:
        query["nonce"] = nonce
    return bytes(tsp.TimeStampReq(query).dump())


class _TimeStampResp(core.Sequence):  # type: ignore[misc]
    # asn1crypto's own makes the token mandatory, which a rejection leaves out.
    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def tsa_token(der: bytes) -> tuple[cms.ContentInfo | None, str]:
    """(the token, "") when granted, else (None, why)."""
    try:
        reply = _TimeStampResp.load(der, strict=True)
        status = reply["status"]["status"].native
    except (ValueError, TypeError) as exc:
        return None, f"not a DER TimeStampResp ({exc})"
    if status not in ("granted", "granted_with_mods"):
        return None, f"the TSA answered {status}: {reply['status']['status_string'].native}"
    return reply["time_stamp_token"], ""


def tst_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    return token["content"]["encap_content_info"]["content"].parsed


def tsa_signature_findings(token: cms.ContentInfo, trusted_tsa: Sequence[x509.Certificate] = ()) -> list[str]:
    """RFC 3161 2.3 and 2.4.2 with RFC 5816: signed by a certificate whose only EKU is timeStamping (critical),
    over signed attributes whose message digest is that of the TSTInfo."""
    import hashlib

    signed = token["content"]
    infos = signed["signer_infos"]
    if len(infos) != 1:
        return [f"{len(infos)} signer infos, expected one"]
    info = infos[0]
    certificates = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"] or ()]
    certificates += list(trusted_tsa)
    sid = info["sid"]
    if sid.name == "issuer_and_serial_number":
        serial = sid.chosen["serial_number"].native
        signer = next((c for c in certificates if c.serial_number == serial), None)
    else:
        key_id = sid.chosen.native
        signer = next(
            (c for c in certificates if x509.SubjectKeyIdentifier.from_public_key(c.public_key()).digest == key_id),
            None,
        )
    if signer is None:
        return ["the TSA certificate is not in the token (certReq was set)"]
    found = []
    try:
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        if not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
            found.append("the TSA certificate's EKU is not timeStamping only, critical (RFC 3161 2.3)")
    except x509.ExtensionNotFound:
        found.append("the TSA certificate has no extended key usage")
    attrs = info["signed_attrs"]
    content = signed["encap_content_info"]["content"].contents
    digest_name = info["digest_algorithm"]["algorithm"].native
    digests = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
    if digests != [hashlib.new(digest_name, content).digest()]:
        found.append("the signed messageDigest is not the TSTInfo's digest")
    if not any(a["type"].native in ("signing_certificate_v2", "signing_certificate") for a in attrs):
        found.append("no ESS signing-certificate attribute (RFC 5816)")
    algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}.get(digest_name)
    if algorithm is None or not _verify(signer.public_key(), info["signature"].native, attrs.untag().dump(), algorithm):
        found.append("the token's signature does not verify with the TSA certificate")
    return found
