"""CRLs of each CA (RFC 5280 section 5) through /pki/crl/<role>.crl."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from flask.testing import FlaskClient

from mock_provider.core.clock import ManualClock
from mock_provider.core.services import MockServices
from tests.helpers.pki import ECMA, issue_person


def fetch(client: FlaskClient, role: str, **headers: str) -> x509.CertificateRevocationList:
    response = client.get(f"/pki/crl/{role}.crl", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/pkix-crl"
    return x509.load_der_x509_crl(response.data)


@pytest.mark.parametrize("role", ["root", "person", "seal"])
def test_each_ca_publishes_a_signed_crl(client: FlaskClient, services: MockServices, role: str) -> None:
    crl = fetch(client, role)
    ca = services.pki.hierarchy()[role].certificate
    assert crl.issuer == ca.subject
    assert crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc is not None
    assert crl.next_update_utc - crl.last_update_utc == timedelta(seconds=services.config.crl_validity_seconds)
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert len(crl) == 0


def test_revoked_certificates_are_listed_with_reason(
    client: FlaskClient, services: MockServices, clock: ManualClock
) -> None:
    kept = issue_person(services)
    gone = issue_person(services)
    first = fetch(client, "person")
    clock.advance(timedelta(hours=1))
    revoked = services.pki.revoke(gone.id, "privilege_withdrawn")
    services.pki.issue_seal(ECMA)  # another CA's business
    crl = fetch(client, "person")
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > first.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert [entry.serial_number for entry in crl] == [gone.serial]
    entry = crl.get_revoked_certificate_by_serial_number(gone.serial)
    assert entry is not None
    assert entry.revocation_date_utc == revoked.revoked_at
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.privilege_withdrawn
    assert crl.get_revoked_certificate_by_serial_number(kept.serial) is None
    assert len(fetch(client, "seal")) == 0


def test_crl_is_served_from_cache_then_reissued(
    client: FlaskClient, services: MockServices, clock: ManualClock
) -> None:
    first = client.get("/pki/crl/person.crl").data
    assert client.get("/pki/crl/person.crl").data == first
    clock.advance(timedelta(seconds=services.config.crl_validity_seconds / 2 + 1))
    later = fetch(client, "person")
    assert later.last_update_utc == clock.now().replace(microsecond=0)


def test_crl_number_survives_a_restart(tmp_path: object) -> None:
    from pathlib import Path

    from mock_provider import create_app
    from mock_provider.app import services_of

    assert isinstance(tmp_path, Path)
    config = {"data_dir": str(tmp_path), "public_base_url": "http://pki.jesign-mock.example.com"}
    numbers = []
    for _ in range(2):
        app = create_app(config)
        crl = x509.load_der_x509_crl(app.test_client().get("/pki/crl/root.crl").data)
        numbers.append(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
        services_of(app).close()
    assert numbers[1] > numbers[0]


def test_fake_time_lists_only_what_was_revoked_then(
    client: FlaskClient, services: MockServices, clock: ManualClock
) -> None:
    record = issue_person(services)
    clock.advance(timedelta(days=1))
    services.pki.revoke(record.id, "key_compromise")
    before = (record.created_at + timedelta(hours=1)).isoformat()
    assert len(fetch(client, "person", **{"X-Jesign-Mock-Time": before})) == 0
    assert len(fetch(client, "person")) == 1


def test_unknown_crl_is_a_problem(client: FlaskClient) -> None:
    response = client.get("/pki/crl/nobody.crl")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
