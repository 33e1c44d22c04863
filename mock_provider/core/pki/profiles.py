"""Certificate profiles of the TEST hierarchy: which names and extensions each kind of certificate carries.

- CA certificates follow RFC 5280; their names say plainly that this is a TEST hierarchy, not for production.
- Natural-person signing certificates follow ETSI EN 319 412-2 at Universign's three levels (``lcp``, ``qcp``,
  ``qcpnqscd``), with the QC statements of EN 319 412-5.
- Seal certificates follow EN 319 412-3 (legal person, ``organizationIdentifier`` NTRFR-<SIREN>, QCP-l).

Pure functions over cryptography's builders: no storage, no clock. Every URL comes from :class:`PkiUrls`, itself
derived from the configured public base URL. The end-entity profiles take ``broken``, the ids of the rule-breakage
switches that are on (see :mod:`mock_provider.core.misbehaviour.switch`), and break the rules those name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from mock_provider.core.misbehaviour.areas.pki import (
    END_ENTITY_POLICIES_CRITICAL,
    END_ENTITY_SIGNED_BY_WRONG_KEY,
    LCP_KEY_USAGE_WITHOUT_NON_REPUDIATION,
    LCP_WITH_QC_COMPLIANCE,
    NATURAL_PERSON_GIVEN_NAME_IS_FULL_NAME,
    NATURAL_PERSON_WITH_LEGAL_SEMANTICS,
    NATURAL_PERSON_WITHOUT_SERIAL_NUMBER,
    QC_STATEMENTS_CRITICAL,
    QCP_WITHOUT_QC_COMPLIANCE,
    QCPNQSCD_WITHOUT_QC_SSCD,
    SEAL_WITH_OPERATOR_IDENTIFIER,
    SEAL_WITHOUT_ORGANIZATION_IDENTIFIER,
    SEAL_WRONG_AUTHORITY_KEY_IDENTIFIER,
    SIGNING_CERTIFICATE_AIA_CRITICAL,
    SIGNING_KEY_USAGE_WITH_KEY_ENCIPHERMENT,
    SIGNING_KEY_USAGE_WITHOUT_NON_REPUDIATION,
)
from mock_provider.core.misbehaviour.switch import Breakage
from mock_provider.core.pki import oids
from mock_provider.core.pki.keys import PrivateKey, PublicKey, generate_private_key
from mock_provider.core.pki.qc import qc_statements

LEVELS = ("lcp", "qcp", "qcpnqscd")

#: Roles of the hierarchy's own certificates.
ROOT, PERSON_CA, SEAL_CA, OCSP_PERSON, OCSP_SEAL, TSA = (
    "root",
    "person",
    "seal",
    "ocsp-person",
    "ocsp-seal",
    "tsa",
)
CA_ROLES = (ROOT, PERSON_CA, SEAL_CA)
ROLES = (ROOT, PERSON_CA, SEAL_CA, OCSP_PERSON, OCSP_SEAL, TSA)

#: organizationIdentifier of the fictitious TEST operator (EN 319 412-1 semantics: NTR, FR, a SIREN).
TEST_OPERATOR_ID = "NTRFR-000000000"
TEST_OPERATOR = "jesign TEST PKI - NOT FOR PRODUCTION"

_COMMON_NAMES = {
    ROOT: "jesign TEST Root CA - NOT FOR PRODUCTION",
    PERSON_CA: "jesign TEST Experts-Comptables Signature CA",
    SEAL_CA: "jesign TEST Experts-Comptables Seal CA",
    OCSP_PERSON: "jesign TEST OCSP Responder (signature CA)",
    OCSP_SEAL: "jesign TEST OCSP Responder (seal CA)",
    TSA: "jesign TEST Time-Stamping Authority",
}


_SERIAL_NUMBER = re.compile(r"^(IDC|PAS|PNO|TIN)[A-Z]{2}-[0-9A-Z]{1,30}$")
_SIREN = re.compile(r"^[0-9]{9}$")


class ProfileError(ValueError):
    """The data given for a certificate does not fit its profile."""


@dataclass(frozen=True)
class PkiUrls:
    """Every URL that the hierarchy writes into certificates, from one public base URL."""

    base: str

    def ca_certificate(self, role: str) -> str:
        return f"{self.base}/pki/ca/{role}.cer"

    def crl(self, role: str) -> str:
        return f"{self.base}/pki/crl/{role}.crl"

    @property
    def ocsp(self) -> str:
        return f"{self.base}/pki/ocsp"

    @property
    def tsa(self) -> str:
        return f"{self.base}/pki/tsa"

    @property
    def cps(self) -> str:
        return f"{self.base}/pki/cps"

    def pds(self, language: str) -> str:
        """PKI disclosure statement. EN 319 412-5 requires an https URL, so the scheme is forced to https."""
        parts = urlsplit(self.base)
        return urlunsplit(("https", parts.netloc, f"{parts.path}/pki/pds/{language}", "", ""))


@dataclass(frozen=True)
class NaturalPersonIdentity:
    """The subject of a signing certificate, as verified from the identity document."""

    given_name: str
    surname: str
    #: EN 319 412-1 semantics: IDCFR-<card number>, PASFR-<passport number>, ...
    serial_number: str
    country: str = "FR"

    def __post_init__(self) -> None:
        if not self.given_name.strip() or not self.surname.strip():
            raise ProfileError("given name and surname are required")
        if not _SERIAL_NUMBER.match(self.serial_number):
            raise ProfileError("serialNumber must look like IDCFR-<number> or PASFR-<number>")
        if not re.fullmatch(r"[A-Z]{2}", self.country):
            raise ProfileError("country must be an ISO 3166 alpha-2 code")

    @property
    def common_name(self) -> str:
        return f"{self.given_name} {self.surname}"


def document_serial_number(document_type: str, country: str, number: str) -> str:
    """The subject serialNumber for a document: ``("id_card", "FR", "X4RTBPFW4")`` gives ``IDCFR-X4RTBPFW4``."""
    prefix = {"id_card": "IDC", "passport": "PAS", "residence_permit": "IDC"}.get(document_type)
    if prefix is None:
        raise ProfileError(f"unknown document type {document_type!r}")
    return f"{prefix}{country.upper()}-{number.upper()}"


@dataclass(frozen=True)
class LegalPersonIdentity:
    """The subject of a firm's seal certificate."""

    organization: str
    siren: str
    common_name: str | None = None
    country: str = "FR"

    def __post_init__(self) -> None:
        if not self.organization.strip():
            raise ProfileError("organization name is required")
        if not _SIREN.match(self.siren):
            raise ProfileError("SIREN must be 9 digits")

    @property
    def organization_identifier(self) -> str:
        return f"NTR{self.country}-{self.siren}"


def authority_name(role: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_OPERATOR),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, TEST_OPERATOR_ID),
            x509.NameAttribute(NameOID.COMMON_NAME, _COMMON_NAMES[role]),
        ]
    )


def _builder(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PublicKey,
    serial: int,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before.replace(microsecond=0))
        .not_valid_after(not_after.replace(microsecond=0))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    """A keyUsage with only the named bits set (the encipherment and agreement bits never apply here)."""
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _sign(
    builder: x509.CertificateBuilder, issuer_key: PrivateKey, broken: frozenset[Breakage] = frozenset()
) -> x509.Certificate:
    if END_ENTITY_SIGNED_BY_WRONG_KEY in broken:
        issuer_key = generate_private_key("ec-p256")  # a key of no one: the signature cannot verify
    return builder.sign(issuer_key, hashes.SHA256())


def _issued_by(
    builder: x509.CertificateBuilder, issuer: x509.Certificate, broken: frozenset[Breakage] = frozenset()
) -> x509.CertificateBuilder:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    if SEAL_WRONG_AUTHORITY_KEY_IDENTIFIER in broken:
        ski = x509.SubjectKeyIdentifier(_whole_key_hash(issuer))
    return builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)


def _whole_key_hash(cert: x509.Certificate) -> bytes:
    """SHA-1 over the whole SubjectPublicKeyInfo: a key identifier as a careless CA computes it (RFC 5280 hashes the
    subjectPublicKey BIT STRING only)."""
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha1(spki, usedforsecurity=False).digest()


def _revocation_pointers(
    builder: x509.CertificateBuilder, urls: PkiUrls, issuer_role: str, *, ocsp: bool = True, aia_critical: bool = False
) -> x509.CertificateBuilder:
    access = [
        x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(urls.ca_certificate(issuer_role)),
        )
    ]
    if ocsp:
        access.insert(
            0,
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(urls.ocsp)),
        )
    crl_point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(urls.crl(issuer_role))],
        relative_name=None,
        reasons=None,
        crl_issuer=None,
    )
    return builder.add_extension(x509.AuthorityInformationAccess(access), critical=aia_critical).add_extension(
        x509.CRLDistributionPoints([crl_point]), critical=False
    )


def _policies(urls: PkiUrls, *policy_oids: x509.ObjectIdentifier) -> x509.CertificatePolicies:
    return x509.CertificatePolicies(
        [
            x509.PolicyInformation(oid, [urls.cps] if oid.dotted_string.startswith(oids.JESIGN_TEST_ARC) else None)
            for oid in policy_oids
        ]
    )


def root_certificate(key: PrivateKey, *, serial: int, not_before: datetime, not_after: datetime) -> x509.Certificate:
    name = authority_name(ROOT)
    builder = _builder(
        subject=name,
        issuer=name,
        public_key=key.public_key(),
        serial=serial,
        not_before=not_before,
        not_after=not_after,
    )
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).add_extension(
        _key_usage(key_cert_sign=True, crl_sign=True),
        critical=True,
    )
    return _sign(builder, key)


def issuing_ca_certificate(
    role: str,
    public_key: PublicKey,
    *,
    root: x509.Certificate,
    root_key: PrivateKey,
    urls: PkiUrls,
    serial: int,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    builder = _builder(
        subject=authority_name(role),
        issuer=root.subject,
        public_key=public_key,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
    )
    builder = _revocation_pointers(_issued_by(builder, root), urls, ROOT)
    builder = (
        builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(key_cert_sign=True, crl_sign=True),
            critical=True,
        )
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("2.5.29.32.0"), None)]),
            critical=False,
        )
    )
    return _sign(builder, root_key)


def _service_certificate(
    role: str,
    public_key: PublicKey,
    *,
    issuer: x509.Certificate,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    eku: x509.ObjectIdentifier,
    content_commitment: bool,
) -> x509.CertificateBuilder:
    builder = _builder(
        subject=authority_name(role),
        issuer=issuer.subject,
        public_key=public_key,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
    )
    builder = _issued_by(builder, issuer)
    return builder.add_extension(
        _key_usage(digital_signature=True, content_commitment=content_commitment),
        critical=True,
    ).add_extension(x509.ExtendedKeyUsage([eku]), critical=True)


def ocsp_responder_certificate(
    role: str,
    public_key: PublicKey,
    *,
    issuer: x509.Certificate,
    issuer_key: PrivateKey,
    serial: int,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """A delegated OCSP responder (RFC 6960 section 4.2.2.2): issued by the CA it answers for, with nocheck."""
    builder = _service_certificate(
        role,
        public_key,
        issuer=issuer,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
        eku=ExtendedKeyUsageOID.OCSP_SIGNING,
        content_commitment=False,
    )
    builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    return _sign(builder, issuer_key)


def tsa_certificate(
    public_key: PublicKey,
    *,
    root: x509.Certificate,
    root_key: PrivateKey,
    urls: PkiUrls,
    serial: int,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """The TSA's certificate: extended key usage timeStamping only, critical (RFC 3161 section 2.3)."""
    builder = _service_certificate(
        TSA,
        public_key,
        issuer=root,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
        eku=ExtendedKeyUsageOID.TIME_STAMPING,
        content_commitment=True,
    )
    builder = _revocation_pointers(builder, urls, ROOT, ocsp=False)
    builder = builder.add_extension(_policies(urls, oids.TSA_POLICY), critical=False)
    return _sign(builder, root_key)


def _end_entity_key_usage(broken: frozenset[Breakage], level: str = "") -> x509.KeyUsage:
    if SIGNING_KEY_USAGE_WITH_KEY_ENCIPHERMENT in broken:
        return x509.KeyUsage(
            digital_signature=False,
            content_commitment=True,
            key_encipherment=True,  # an encryption profile's bit, without digitalSignature: no type of table 1
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
    if SIGNING_KEY_USAGE_WITHOUT_NON_REPUDIATION in broken:
        return _key_usage(digital_signature=True)
    if level == "lcp" and LCP_KEY_USAGE_WITHOUT_NON_REPUDIATION in broken:
        return _key_usage(digital_signature=True)
    return _key_usage(content_commitment=True)


def natural_person_certificate(
    identity: NaturalPersonIdentity,
    public_key: PublicKey,
    *,
    level: str,
    issuer: x509.Certificate,
    issuer_key: PrivateKey,
    urls: PkiUrls,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    broken: frozenset[Breakage] = frozenset(),
) -> x509.Certificate:
    """A signing certificate for a natural person, per ETSI EN 319 412-2, at ``lcp``, ``qcp`` or ``qcpnqscd``."""
    if level not in LEVELS:
        raise ProfileError(f"level must be one of {', '.join(LEVELS)}")
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, identity.country),
        x509.NameAttribute(
            NameOID.GIVEN_NAME,
            identity.common_name if NATURAL_PERSON_GIVEN_NAME_IS_FULL_NAME in broken else identity.given_name,
        ),
        x509.NameAttribute(NameOID.SURNAME, identity.surname),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, identity.serial_number),
        x509.NameAttribute(NameOID.COMMON_NAME, identity.common_name),
    ]
    if NATURAL_PERSON_WITHOUT_SERIAL_NUMBER in broken:
        del attributes[3]
    subject = x509.Name(attributes)
    etsi_policy = {"lcp": oids.LCP, "qcp": oids.QCP_N, "qcpnqscd": oids.QCP_N_QSCD}[level]
    qualified = level != "lcp"
    compliance = qualified
    if (level == "qcp" and QCP_WITHOUT_QC_COMPLIANCE in broken) or (
        level == "lcp" and LCP_WITH_QC_COMPLIANCE in broken
    ):
        compliance = not compliance
    builder = _builder(
        subject=subject,
        issuer=issuer.subject,
        public_key=public_key,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
    )
    builder = _revocation_pointers(
        _issued_by(builder, issuer), urls, PERSON_CA, aia_critical=SIGNING_CERTIFICATE_AIA_CRITICAL in broken
    )
    builder = (
        builder.add_extension(_end_entity_key_usage(broken, level), critical=True)
        .add_extension(
            _policies(urls, etsi_policy, oids.JESIGN_POLICY[level]),
            critical=END_ENTITY_POLICIES_CRITICAL in broken,
        )
        .add_extension(
            qc_statements(
                compliance=compliance,
                sscd=level == "qcpnqscd" and QCPNQSCD_WITHOUT_QC_SSCD not in broken,
                qc_type=oids.QC_TYPE_ESIGN if qualified else None,
                pds=_pds(urls),
                semantics=oids.SEMANTICS_LEGAL
                if NATURAL_PERSON_WITH_LEGAL_SEMANTICS in broken
                else oids.SEMANTICS_NATURAL,
            ),
            critical=QC_STATEMENTS_CRITICAL in broken,
        )
    )
    return _sign(builder, issuer_key, broken)


def seal_certificate(
    identity: LegalPersonIdentity,
    public_key: PublicKey,
    *,
    issuer: x509.Certificate,
    issuer_key: PrivateKey,
    urls: PkiUrls,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    broken: frozenset[Breakage] = frozenset(),
) -> x509.Certificate:
    """A firm's electronic seal certificate, per ETSI EN 319 412-3 (QCP-l, QcType eseal)."""
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, identity.country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, identity.organization),
        x509.NameAttribute(
            NameOID.ORGANIZATION_IDENTIFIER,
            TEST_OPERATOR_ID if SEAL_WITH_OPERATOR_IDENTIFIER in broken else identity.organization_identifier,
        ),
        x509.NameAttribute(NameOID.COMMON_NAME, identity.common_name or identity.organization),
    ]
    if SEAL_WITHOUT_ORGANIZATION_IDENTIFIER in broken:
        del attributes[2]
    subject = x509.Name(attributes)
    builder = _builder(
        subject=subject,
        issuer=issuer.subject,
        public_key=public_key,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
    )
    builder = _revocation_pointers(_issued_by(builder, issuer, broken), urls, SEAL_CA)
    builder = (
        builder.add_extension(_end_entity_key_usage(broken), critical=True)
        .add_extension(
            _policies(urls, oids.QCP_L, oids.JESIGN_POLICY["qcp-l"]),
            critical=END_ENTITY_POLICIES_CRITICAL in broken,
        )
        .add_extension(
            qc_statements(
                compliance=True,
                sscd=False,
                qc_type=oids.QC_TYPE_ESEAL,
                pds=_pds(urls),
                semantics=oids.SEMANTICS_LEGAL,
            ),
            critical=QC_STATEMENTS_CRITICAL in broken,
        )
    )
    return _sign(builder, issuer_key, broken)


def _pds(urls: PkiUrls) -> Sequence[tuple[str, str]]:
    return [(urls.pds("en"), "en"), (urls.pds("fr"), "fr")]
