"""Independent validators against the mock served over HTTP: pyhanko-certvalidator and openssl.

The validators fetch the CA certificates, CRLs and OCSP answers themselves from the URLs in the certificates.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import RevokedError
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from mock_provider.core.clock import ManualClock
from tests.helpers.mock import LiveMock
from tests.helpers.pki import issue_person, tsa_request


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _validate(live: LiveMock, cert: x509.Certificate, clock: ManualClock, **context: object) -> object:
    root = live.services.pki.hierarchy().root.certificate
    vc = ValidationContext(
        trust_roots=[_asn1(root)],
        allow_fetching=True,
        revocation_mode="require",
        moment=clock.now(),
        fetcher_backend=RequestsFetcherBackend(),
        **context,  # type: ignore[arg-type]
    )
    # No intermediate given: the validator fetches the issuing CA from the AIA caIssuers URL.
    validator = CertificateValidator(_asn1(cert), validation_context=vc)
    return asyncio.run(validator.async_validate_usage({"non_repudiation"}))


@pytest.mark.live
@pytest.mark.parametrize("prefer", ["ocsp", "crl"])
def test_path_validates_with_revocation_fetched_over_http(live_mock: LiveMock, clock: ManualClock, prefer: str) -> None:
    record = issue_person(live_mock.services)
    from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule

    rule = RevocationCheckingRule.OCSP_REQUIRED if prefer == "ocsp" else RevocationCheckingRule.CRL_REQUIRED
    policy = CertRevTrustPolicy(RevocationCheckingPolicy(ee_certificate_rule=rule, intermediate_ca_cert_rule=rule))
    path = _validate(live_mock, record.certificate, clock, revinfo_policy=policy)
    assert [c.subject.native["common_name"] for c in path] == [  # type: ignore[attr-defined]
        "jesign TEST Root CA - NOT FOR PRODUCTION",
        "jesign TEST Experts-Comptables Signature CA",
        "Marie Dupont",
    ]


@pytest.mark.live
def test_revoked_certificate_is_reported_with_reason_and_time(live_mock: LiveMock, clock: ManualClock) -> None:
    record = issue_person(live_mock.services)
    _validate(live_mock, record.certificate, clock)
    clock.advance(timedelta(minutes=10))
    revoked = live_mock.services.pki.revoke(record.id, "key_compromise")
    with pytest.raises(RevokedError) as caught:
        _validate(live_mock, record.certificate, clock)
    assert caught.value.reason.native == "key_compromise"
    assert caught.value.revocation_dt == revoked.revoked_at


def _openssl() -> str:
    path = shutil.which("openssl")
    if path is None:  # .ci/run installs it; a developer machine without it skips these cross-checks only
        pytest.skip("the openssl command is not installed (apt-get install openssl)")
    return path


def _write(tmp_path: Path, name: str, cert: x509.Certificate) -> str:
    path = tmp_path / name
    path.write_bytes(cert.public_bytes(Encoding.PEM))
    return str(path)


@pytest.mark.live
def test_openssl_checks_ocsp_and_crl(live_mock: LiveMock, tmp_path: Path) -> None:
    openssl = _openssl()
    hierarchy = live_mock.services.pki.hierarchy()
    record = issue_person(live_mock.services)
    root = _write(tmp_path, "root.pem", hierarchy.root.certificate)
    ca = _write(tmp_path, "ca.pem", hierarchy["person"].certificate)
    cert = _write(tmp_path, "cert.pem", record.certificate)
    ocsp_args = [openssl, "ocsp", "-issuer", ca, "-cert", cert, "-url", f"{live_mock.url}/pki/ocsp", "-CAfile", root]
    ocsp_args += ["-verify_other", ca]
    result = subprocess.run(ocsp_args, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Response verify OK" in result.stderr
    assert f"{cert}: good" in result.stdout

    crl_der = requests.get(f"{live_mock.url}/pki/crl/person.crl", timeout=10).content
    root_crl_der = requests.get(f"{live_mock.url}/pki/crl/root.crl", timeout=10).content
    crls = tmp_path / "crls.pem"
    crls.write_bytes(
        x509.load_der_x509_crl(crl_der).public_bytes(Encoding.PEM)
        + x509.load_der_x509_crl(root_crl_der).public_bytes(Encoding.PEM)
    )
    verify = [openssl, "verify", "-crl_check_all", "-CAfile", root, "-untrusted", ca, "-CRLfile", str(crls), cert]
    assert subprocess.run(verify, capture_output=True, text=True, check=True).stdout.strip().endswith("OK")

    live_mock.services.pki.revoke(record.id, "superseded")
    result = subprocess.run(ocsp_args, capture_output=True, text=True, check=True)
    assert f"{cert}: revoked" in result.stdout
    assert "Reason: superseded" in result.stdout


@pytest.mark.live
def test_openssl_verifies_a_time_stamp_token(live_mock: LiveMock, tmp_path: Path) -> None:
    openssl = _openssl()
    hierarchy = live_mock.services.pki.hierarchy()
    data = tmp_path / "data.bin"
    data.write_bytes(b"a document to time-stamp")
    reply = requests.post(
        f"{live_mock.url}/pki/tsa",
        data=tsa_request(data.read_bytes()),
        headers={"Content-Type": "application/timestamp-query"},
        timeout=10,
    )
    assert reply.status_code == 200
    tsr = tmp_path / "reply.tsr"
    tsr.write_bytes(reply.content)
    root = _write(tmp_path, "root.pem", hierarchy.root.certificate)
    result = subprocess.run(
        [openssl, "ts", "-verify", "-data", str(data), "-in", str(tsr), "-CAfile", root],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verification: OK" in result.stdout
    assert hashlib.sha256(data.read_bytes()).hexdigest()  # the imprint openssl recomputed from -data
