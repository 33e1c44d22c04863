"""Certificate profiles: ETSI EN 319 412-2/-3 content, checked by pkilint and by our own assertions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mock_provider.core.pki import oids, profiles
from mock_provider.core.pki.qc import parse_qc_statements
from mock_provider.core.services import MockServices
from tests.helpers.mock import PUBLIC_BASE_URL
from tests.helpers.pki import ECMA, issue_person


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is installed with the test extra"
    return found


def _lint(tmp_path: Path, tool: str, cert: x509.Certificate, *args: str) -> str:
    pem = tmp_path / "cert.pem"
    pem.write_bytes(cert.public_bytes(Encoding.PEM))
    result = subprocess.run([_tool(tool), "lint", *args, str(pem)], capture_output=True, text=True, check=False)
    assert not result.stderr, result.stderr  # the linter ran (its exit code counts the findings)
    assert (result.returncode == 0) == (result.stdout.strip() == "")
    return result.stdout.strip()


def _qc(cert: x509.Certificate) -> dict[str, object]:
    ext = cert.extensions.get_extension_for_oid(oids.QC_STATEMENTS_EXTENSION)
    assert not ext.critical
    assert isinstance(ext.value, x509.UnrecognizedExtension)
    return parse_qc_statements(ext.value.value)


def _policies(cert: x509.Certificate) -> list[str]:
    value = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    return [p.policy_identifier.dotted_string for p in value]


@pytest.mark.slow
def test_qcpnqscd_person_certificate_lints_clean(services: MockServices, tmp_path: Path) -> None:
    cert = issue_person(services, "qcpnqscd").certificate
    findings = _lint(tmp_path, "lint_etsi_cert", cert, "-t", "QCP-N-QSCD-EIDAS-FINAL-CERTIFICATE", "-s", "WARNING")
    assert findings == ""


@pytest.mark.parametrize("level", ["lcp", "qcp"])
@pytest.mark.slow
def test_other_person_levels_lint_clean_as_detected(services: MockServices, tmp_path: Path, level: str) -> None:
    cert = issue_person(services, level).certificate
    assert _lint(tmp_path, "lint_etsi_cert", cert, "-d", "-s", "WARNING") == ""


@pytest.mark.slow
def test_seal_certificate_lints_clean(services: MockServices, tmp_path: Path) -> None:
    cert = services.pki.issue_seal(ECMA).certificate
    assert _lint(tmp_path, "lint_etsi_cert", cert, "-t", "NCP-LEGAL-PERSON-CERTIFICATE", "-s", "WARNING") == ""


@pytest.mark.parametrize("role", profiles.ROLES)
def test_hierarchy_certificates_lint_clean_at_error(services: MockServices, tmp_path: Path, role: str) -> None:
    cert = services.pki.hierarchy()[role].certificate
    assert _lint(tmp_path, "lint_pkix_cert", cert, "-s", "ERROR") == ""


@pytest.mark.slow
def test_linter_does_catch_an_internal_base_url(tmp_path: Path) -> None:
    """The lint tests above prove something only if pkilint rejects what the issue says it rejects."""
    from mock_provider import create_app
    from mock_provider.app import services_of
    from tests.helpers.mock import memory_config

    app = create_app(memory_config(public_base_url="http://127.0.0.1:8400"))
    try:
        cert = issue_person(services_of(app)).certificate
        findings = _lint(tmp_path, "lint_etsi_cert", cert, "-t", "QCP-N-QSCD-EIDAS-FINAL-CERTIFICATE", "-s", "WARNING")
    finally:
        services_of(app).close()
    assert findings != ""


@pytest.mark.parametrize(
    ("level", "etsi_policy", "compliance", "sscd"),
    [
        ("lcp", oids.LCP, False, False),
        ("qcp", oids.QCP_N, True, False),
        ("qcpnqscd", oids.QCP_N_QSCD, True, True),
    ],
)
def test_person_certificate_content_per_level(
    services: MockServices, level: str, etsi_policy: x509.ObjectIdentifier, compliance: bool, sscd: bool
) -> None:
    record = issue_person(services, level)
    cert = record.certificate
    subject = {attr.oid: attr.value for attr in cert.subject}
    assert subject == {
        NameOID.COUNTRY_NAME: "FR",
        NameOID.GIVEN_NAME: "Marie",
        NameOID.SURNAME: "Dupont",
        NameOID.SERIAL_NUMBER: "IDCFR-X4RTBPFW4",
        NameOID.COMMON_NAME: "Marie Dupont",
    }
    assert _policies(cert) == [etsi_policy.dotted_string, oids.JESIGN_POLICY[level].dotted_string]
    qc = _qc(cert)
    assert (oids.QC_COMPLIANCE in qc) is compliance
    assert (oids.QC_SSCD in qc) is sscd
    assert qc.get(oids.QC_TYPE) == ([oids.QC_TYPE_ESIGN] if compliance else None)
    assert qc[oids.QC_PDS] == [(f"https://pki.jesign-mock.example.com/pki/pds/{lang}", lang) for lang in ("en", "fr")]
    assert qc[oids.QCS_PKIX_SYNTAX_V2] == oids.SEMANTICS_NATURAL

    key_usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical
    assert key_usage.value.content_commitment
    assert not key_usage.value.digital_signature
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [(d.access_method._name, d.access_location.value) for d in aia] == [
        ("OCSP", f"{PUBLIC_BASE_URL}/pki/ocsp"),
        ("caIssuers", f"{PUBLIC_BASE_URL}/pki/ca/person.cer"),
    ]
    crl_dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [n.value for n in crl_dp[0].full_name or []] == [f"{PUBLIC_BASE_URL}/pki/crl/person.crl"]
    issuer = services.pki.hierarchy()["person"].certificate
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    cert.verify_directly_issued_by(issuer)
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == services.config.personal_validity_days


def test_seal_certificate_content(services: MockServices) -> None:
    cert = services.pki.issue_seal(ECMA).certificate
    subject = {attr.oid: attr.value for attr in cert.subject}
    assert subject == {
        NameOID.COUNTRY_NAME: "FR",
        NameOID.ORGANIZATION_NAME: "Cabinet Ecma",
        NameOID.ORGANIZATION_IDENTIFIER: "NTRFR-552100554",
        NameOID.COMMON_NAME: "Cabinet Ecma",
    }
    assert _policies(cert) == [oids.QCP_L.dotted_string, oids.JESIGN_POLICY["qcp-l"].dotted_string]
    qc = _qc(cert)
    assert oids.QC_COMPLIANCE in qc
    assert oids.QC_SSCD not in qc
    assert qc[oids.QC_TYPE] == [oids.QC_TYPE_ESEAL]
    assert qc[oids.QCS_PKIX_SYNTAX_V2] == oids.SEMANTICS_LEGAL
    cert.verify_directly_issued_by(services.pki.hierarchy()["seal"].certificate)
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == services.config.seal_validity_days


def test_issuer_names_say_test_and_carry_organization_identifier(services: MockServices) -> None:
    for authority in services.pki.hierarchy().authorities.values():
        name = authority.certificate.subject
        oids_present = {attr.oid for attr in name}
        assert {NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME} <= oids_present
        assert NameOID.ORGANIZATION_IDENTIFIER in oids_present
        assert "TEST" in name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert "NOT FOR PRODUCTION" in name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value


def test_service_certificates_have_their_usages(services: MockServices) -> None:
    hierarchy = services.pki.hierarchy()
    for role, ca in (("ocsp-person", "person"), ("ocsp-seal", "seal")):
        cert = hierarchy[role].certificate
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        assert list(eku.value) == [ExtendedKeyUsageOID.OCSP_SIGNING]
        cert.extensions.get_extension_for_class(x509.OCSPNoCheck)
        cert.verify_directly_issued_by(hierarchy[ca].certificate)
    tsa = hierarchy["tsa"].certificate
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    for role in ("root", "person", "seal"):
        constraints = hierarchy[role].certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical
        assert constraints.value.ca


@pytest.mark.parametrize(("algorithm", "size"), [("ec-p256", 256), ("rsa-2048", 2048), ("rsa-3072", 3072)])
def test_key_algorithm_is_selectable(services: MockServices, algorithm: str, size: int) -> None:
    record = issue_person(services, key_algorithm=algorithm)
    assert record.certificate.public_key().key_size == size  # type: ignore[union-attr]
    key = services.pki.signing_key(record.id)
    assert key.public_key().public_numbers() == record.certificate.public_key().public_numbers()  # type: ignore[union-attr]


def test_validity_is_configurable() -> None:
    from mock_provider import create_app
    from mock_provider.app import services_of
    from tests.helpers.mock import memory_config

    app = create_app(memory_config(personal_validity_days=30, seal_validity_days=60))
    services = services_of(app)
    try:
        person = issue_person(services).certificate
        seal = services.pki.issue_seal(ECMA).certificate
    finally:
        services.close()
    assert (person.not_valid_after_utc - person.not_valid_before_utc).days == 30
    assert (seal.not_valid_after_utc - seal.not_valid_before_utc).days == 60


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"given_name": "", "surname": "Dupont", "serial_number": "IDCFR-1"}, "required"),
        ({"given_name": "Marie", "surname": "Dupont", "serial_number": "12345"}, "serialNumber"),
        ({"given_name": "Marie", "surname": "Dupont", "serial_number": "IDCFR-1", "country": "fr"}, "country"),
    ],
)
def test_bad_person_identity_is_refused(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(profiles.ProfileError, match=message):
        profiles.NaturalPersonIdentity(**kwargs)


def test_bad_siren_is_refused() -> None:
    with pytest.raises(profiles.ProfileError, match="SIREN"):
        profiles.LegalPersonIdentity(organization="Cabinet Ecma", siren="12AB")


def test_document_serial_numbers() -> None:
    assert profiles.document_serial_number("id_card", "fr", "x4rtbpfw4") == "IDCFR-X4RTBPFW4"
    assert profiles.document_serial_number("passport", "FR", "20AB12345") == "PASFR-20AB12345"
    with pytest.raises(profiles.ProfileError):
        profiles.document_serial_number("library_card", "FR", "1")
