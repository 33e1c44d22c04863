"""Certificates: the profiles of ETSI EN 319 412-2 (natural person), EN 319 412-3 (legal person, seal) and the QC
statements of EN 319 412-5 at each level a registration asks for (``lcp``, ``qcp``, ``qcpnqscd``); chains, key
identifiers and the pointers a certificate carries (RFC 5280).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from asn1crypto import core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

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
QCS_PKIX_SYNTAX_V2 = "1.3.6.1.5.5.7.11.2"
SEMANTICS_NATURAL = "0.4.0.194121.1.1"
SEMANTICS_LEGAL = "0.4.0.194121.1.2"

_NATURAL_SERIAL = re.compile(r"^(IDC|PAS|PNO|TIN|TAX)[A-Z]{2}-.+$")
_ORGANIZATION_IDENTIFIER = re.compile(r"^(NTR|VAT|PSD|LEI)[A-Z]{2}-.+$")
_FRENCH_REGISTRY = re.compile(r"^NTRFR-[0-9]{9}$")


class _QcStatement(core.Sequence):  # type: ignore[misc]
    _fields = [("statement_id", core.ObjectIdentifier), ("statement_info", core.Any, {"optional": True})]


class _QcStatements(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _QcStatement


class _QcTypes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.ObjectIdentifier


class _PdsLocation(core.Sequence):  # type: ignore[misc]
    _fields = [("url", core.IA5String), ("language", core.PrintableString)]


class _PdsLocations(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _PdsLocation


class _SemanticsInformation(core.Sequence):  # type: ignore[misc]
    _fields = [
        ("semantics_identifier", core.ObjectIdentifier, {"optional": True}),
        ("name_registration_authorities", asn1_x509.GeneralNames, {"optional": True}),
    ]


# -- certificate profiles -------------------------------------------------------------------------------------------


def _qc_statement_infos(cert: x509.Certificate) -> dict[str, bytes | None]:
    """{statement OID: the DER of its info, or None}; {} when the extension is absent."""
    try:
        value = cert.extensions.get_extension_for_oid(QC_STATEMENTS).value
    except x509.ExtensionNotFound:
        return {}
    assert isinstance(value, x509.UnrecognizedExtension)
    found: dict[str, bytes | None] = {}
    for statement in _QcStatements.load(value.value):
        info = statement["statement_info"]
        found[statement["statement_id"].dotted] = None if isinstance(info, core.Void) else info.dump()
    return found


def qc_statements(cert: x509.Certificate) -> dict[str, list[str]]:
    """{statement OID: the OIDs inside its info (QcType's types), else []}; {} when the extension is absent."""
    return {
        oid: [t.dotted for t in _QcTypes.load(info)] if oid == QC_TYPE and info is not None else []
        for oid, info in _qc_statement_infos(cert).items()
    }


def qc_statement_value_findings(cert: x509.Certificate, *, legal: bool) -> list[str]:
    """The values inside the QC statements, not only their presence.

    - RFC 3739 §3.2.6.1 semantics information: the identifier that says how the subject's identifier reads is
      id-etsi-qcs-semanticsId-Natural for a natural person's serialNumber (EN 319 412-1 §5.1.3), -Legal for a
      legal person's organizationIdentifier (§5.1.4);
    - EN 319 412-5 §4.3.4 QcPDS: each location an https URL with an ISO 639-1 two-letter language, one in English.
    """
    infos = _qc_statement_infos(cert)
    found = []
    semantics = infos.get(QCS_PKIX_SYNTAX_V2)
    if semantics is not None:
        identifier = _SemanticsInformation.load(semantics)["semantics_identifier"]
        expected, kind = (SEMANTICS_LEGAL, "legal") if legal else (SEMANTICS_NATURAL, "natural")
        if identifier.native is not None and identifier.dotted != expected:
            found.append(
                f"the semantics identifier is {identifier.dotted}, not {expected} (a {kind} person's identifier, "
                f"EN 319 412-1 §5.1.{4 if legal else 3})"
            )
    pds = infos.get(QC_PDS, b"")
    if pds:
        languages = []
        for location in _PdsLocations.load(pds):
            url, language = location["url"].native, location["language"].native
            languages.append(language.lower())
            if urlsplit(url).scheme != "https":
                found.append(f"the PDS URL {url} is not https (EN 319 412-5 §4.3.4)")
            if not re.fullmatch(r"[A-Za-z]{2}", language):
                found.append(f"the PDS language {language!r} is not an ISO 639-1 code")
        if "en" not in languages:
            found.append(f"no PDS in English among {languages} (EN 319 412-5 §4.3.4)")
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
    """EN 319 412-2 §4.3.2 (and EN 319 412-3 §4.3.1 for a seal): a critical keyUsage that is one of the settings a
    certificate for commitment to signed content may have (NAT-4.3.2-1, -2): type A (nonRepudiation), B
    (nonRepudiation and digitalSignature) or F (those two and keyEncipherment or keyAgreement); no CA bits.

    Type A, which NAT-4.3.2-3 recommends, is not required here: :func:`key_usage_type` names the setting."""
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
    if usage.data_encipherment:
        found.append("keyUsage with dataEncipherment, which no setting for signed content has (types A, B, F)")
    if (usage.key_encipherment or usage.key_agreement) and not (usage.digital_signature and usage.content_commitment):
        found.append(
            "keyUsage with keyEncipherment or keyAgreement but not both digitalSignature and nonRepudiation: not "
            "type F, the only setting for signed content that has them"
        )
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            found.append("basicConstraints says CA")
    except x509.ExtensionNotFound:
        pass
    return found


def key_usage_type(cert: x509.Certificate) -> str | None:
    """The EN 319 412-2 §4.3.2 table 1 setting of a signing certificate's keyUsage ("A", "B" or "F"), or None."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if usage.key_cert_sign or usage.crl_sign or usage.data_encipherment or not usage.content_commitment:
        return None
    encipherment = usage.key_encipherment or usage.key_agreement
    if not usage.digital_signature:
        return None if encipherment else "A"
    return "F" if encipherment else "B"


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _comparable(name: str) -> str:
    """A name as people compare names: accents, case and spacing aside."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def natural_person_subject_findings(
    cert: x509.Certificate, *, given_name: str = "", family_name: str = ""
) -> list[str]:
    """EN 319 412-2 §4.2.4 and EN 319 412-1 §5.1.3: C, givenName, surname, CN, serialNumber with semantics; and, when
    the person's names are known, givenName and surname holding them (accents and case aside), each in its own
    attribute."""
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
    country = _attribute(subject, NameOID.COUNTRY_NAME)
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        found.append(f"countryName {country!r} is not an ISO 3166 alpha-2 code (RFC 5280 Appendix A)")
    for oid, label, expected in (
        (NameOID.GIVEN_NAME, "givenName", given_name),
        (NameOID.SURNAME, "surname", family_name),
    ):
        held = _attribute(subject, oid)
        if expected and held is not None and _comparable(held) != _comparable(expected):
            found.append(f"{label} is {held!r}, the person's is {expected!r}")
    return found


def seal_findings(cert: x509.Certificate, *, siren: str = "") -> list[str]:
    """EN 319 412-3 4.2.1 (O, C, organizationIdentifier) and EN 319 412-5 (QcCompliance, QcType eseal); with the
    firm's ``siren``, the organizationIdentifier must be that firm's, NTRFR-<SIREN> (EN 319 412-1 §5.1.4)."""
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
    elif siren and identifier != f"NTRFR-{siren}":
        found.append(f"organizationIdentifier {identifier!r} is not the firm's, NTRFR-{siren}")
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


def validity_nesting_findings(cert: x509.Certificate, issuer: x509.Certificate) -> list[str]:
    """RFC 5280 §6.1.3 (a)(2): a path validates at an instant only if every certificate in it is valid then; so a
    certificate's validity (§4.1.2.5) must lie within its issuer's, else part of it can never be validated (the
    "shell model" that signature validation applies). Both ends are compared."""
    name = cert.subject.rfc4514_string()
    found = []
    if cert.not_valid_before_utc < issuer.not_valid_before_utc:
        found.append(
            f"{name} is valid from {cert.not_valid_before_utc.isoformat()}, before its issuer "
            f"({issuer.not_valid_before_utc.isoformat()})"
        )
    if cert.not_valid_after_utc > issuer.not_valid_after_utc:
        found.append(
            f"{name} is valid until {cert.not_valid_after_utc.isoformat()}, after its issuer "
            f"({issuer.not_valid_after_utc.isoformat()})"
        )
    return found


def key_identifier_findings(cert: x509.Certificate, issuer: x509.Certificate) -> list[str]:
    """RFC 5280 §4.2.1.1 and §4.2.1.2: the issuer's subjectKeyIdentifier (which a CA MUST carry), and the
    certificate's authorityKeyIdentifier (non-critical) whose keyIdentifier is that very value. A self-signed
    certificate may leave the authorityKeyIdentifier out."""
    name = cert.subject.rfc4514_string()
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return [f"the issuer of {name} has no subjectKeyIdentifier (RFC 5280 §4.2.1.2: a CA MUST)"]
    found = []
    if ski.critical:
        found.append(f"the subjectKeyIdentifier of {issuer.subject.rfc4514_string()} is critical (MUST NOT be)")
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except x509.ExtensionNotFound:
        if cert.issuer != cert.subject:
            found.append(f"{name} has no authorityKeyIdentifier (RFC 5280 §4.2.1.1)")
        return found
    if aki.critical:
        found.append(f"the authorityKeyIdentifier of {name} is critical (MUST NOT be)")
    held = aki.value.key_identifier
    if held is None:
        found.append(f"the authorityKeyIdentifier of {name} has no keyIdentifier")
    elif held != ski.value.digest:
        found.append(
            f"the authorityKeyIdentifier of {name} is {held.hex()}, its issuer's subjectKeyIdentifier "
            f"{ski.value.digest.hex()}"
        )
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


def verifies(public_key: object, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None) -> bool:
    """Whether ``signature`` over ``data`` verifies with ``public_key`` (ECDSA, or RSA PKCS#1 v1.5)."""
    if algorithm is None:
        return False
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


#: What a certificate of the hierarchy is for, as :func:`extension_findings` judges it.
CERTIFICATE_KINDS = ("ca", "end_entity", "ocsp_responder", "tsa")


def extension_findings(cert: x509.Certificate, kind: str) -> list[str]:
    """RFC 5280 §4.2 on the extensions of a certificate of ``kind`` (see :data:`CERTIFICATE_KINDS`):

    - authorityInformationAccess MUST be non-critical (§4.2.2.1), cRLDistributionPoints SHOULD be (§4.2.1.13),
      keyUsage SHOULD be critical (§4.2.1.3), id-pkix-ocsp-nocheck SHOULD be non-critical (RFC 6960 §4.2.2.2.1),
      qcStatements SHALL NOT be critical (ETSI EN 319 412-5 QCS-4.1-02);
    - an end entity (a person's or a firm's): certificatePolicies SHOULD NOT be critical (ETSI EN 319 412-2
      GEN-4.3.3-1, which EN 319 412-3 applies to legal persons); RFC 5280 §4.2.1.4 leaves it open for the others;
    - a CA: basicConstraints present, critical, cA true (§4.2.1.9: MUST), and a keyUsage with keyCertSign (it
      signs certificates) and cRLSign (it signs its CRLs) (§4.2.1.3, §4.2.1.9), and nothing else but
      digitalSignature (a CA key signs certificates and CRLs only: ETSI EN 319 411-1 §6.1.7);
    - any other: basicConstraints, if present, not cA, and neither keyCertSign nor cRLSign; a responder's or a
      TSA's keyUsage lets it sign its answers (digitalSignature, or nonRepudiation for a TSA).
    """
    if kind not in CERTIFICATE_KINDS:
        raise ValueError(f"kind must be one of {CERTIFICATE_KINDS}")
    extensions = {e.oid: e for e in cert.extensions}
    found = []
    rules: list[tuple[x509.ObjectIdentifier, bool, str]] = [
        (x509.AuthorityInformationAccess.oid, False, "authorityInformationAccess is critical (MUST NOT be)"),
        (x509.CRLDistributionPoints.oid, False, "cRLDistributionPoints is critical (SHOULD NOT be)"),
        (x509.KeyUsage.oid, True, "keyUsage is not critical (SHOULD be)"),
        (x509.OCSPNoCheck.oid, False, "id-pkix-ocsp-nocheck is critical (SHOULD NOT be)"),
        (QC_STATEMENTS, False, "qcStatements is critical (EN 319 412-5 QCS-4.1-02: SHALL NOT be)"),
    ]
    if kind == "end_entity":
        why = "certificatePolicies is critical (EN 319 412-2 GEN-4.3.3-1: SHOULD NOT be)"
        rules.append((x509.CertificatePolicies.oid, False, why))
    for oid, critical, why in rules:
        if oid in extensions and extensions[oid].critical != critical:
            found.append(why)
    constraints = extensions.get(x509.BasicConstraints.oid)
    usage_extension = extensions.get(x509.KeyUsage.oid)
    usage = usage_extension.value if usage_extension is not None else None
    assert usage is None or isinstance(usage, x509.KeyUsage)
    if kind == "ca":
        if constraints is None:
            found.append("a CA certificate without basicConstraints (MUST)")
        else:
            assert isinstance(constraints.value, x509.BasicConstraints)
            if not constraints.critical:
                found.append("basicConstraints of a CA is not critical (MUST be)")
            if not constraints.value.ca:
                found.append("basicConstraints of a CA says cA false")
        if usage is None:
            found.append("a CA certificate without keyUsage (MUST)")
        else:
            if not usage.key_cert_sign:
                found.append("a CA's keyUsage lacks keyCertSign")
            if not usage.crl_sign:
                found.append("a CA's keyUsage lacks cRLSign, though it signs its CRLs")
            other = [
                name
                for name, held in (
                    ("nonRepudiation", usage.content_commitment),
                    ("keyEncipherment", usage.key_encipherment),
                    ("dataEncipherment", usage.data_encipherment),
                    ("keyAgreement", usage.key_agreement),
                )
                if held
            ]
            if other:
                found.append(f"a CA's keyUsage also allows {', '.join(other)}: a CA key signs certificates and CRLs")
        return found
    if constraints is not None and isinstance(constraints.value, x509.BasicConstraints) and constraints.value.ca:
        found.append("basicConstraints says cA, for a certificate that is not a CA's")
    if usage is None:
        found.append("no keyUsage")
        return found
    if usage.key_cert_sign or usage.crl_sign:
        found.append("keyUsage with keyCertSign or cRLSign, for a certificate that is not a CA's")
    if kind == "ocsp_responder" and not usage.digital_signature:
        found.append("a responder's keyUsage lacks digitalSignature, with which it signs its answers")
    if kind == "tsa" and not (usage.digital_signature or usage.content_commitment):
        found.append("a TSA's keyUsage has neither digitalSignature nor nonRepudiation to sign its tokens with")
    return found
