"""The same storage code on PostgreSQL: the mock must run unchanged on a PostgreSQL URL.

These tests need a server: set JESIGN_TEST_POSTGRES_URL to an SQLAlchemy URL of a database where the test user
may create databases (``.ci/run`` starts a throwaway cluster and sets it). Each test gets a database of its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509 import ocsp

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from tests.helpers.mock import POSTGRES_SERVER_URL, PUBLIC_BASE_URL, TEST_SECRET
from tests.helpers.pki import ECMA, issue_person, ocsp_request

pytestmark = pytest.mark.skipif(
    not POSTGRES_SERVER_URL,
    reason="no PostgreSQL server: set JESIGN_TEST_POSTGRES_URL (.ci/run starts one and sets it)",
)


def test_pki_runs_unchanged_on_postgresql(postgres_url: str, clock: ManualClock) -> None:
    config = {"database_url": postgres_url, "secret_key": TEST_SECRET, "public_base_url": PUBLIC_BASE_URL}
    app = create_app(config, clock=clock)
    services = services_of(app)
    client = app.test_client()
    try:
        root = client.get("/pki/ca/root.cer").data
        person = issue_person(services)
        services.pki.issue_seal(ECMA)
        clock.advance(timedelta(minutes=3))
        revoked = services.pki.revoke(person.id, "key_compromise")
        issuer = services.pki.hierarchy()["person"].certificate
        answer = client.post(
            "/pki/ocsp", data=ocsp_request(person.certificate, issuer), content_type="application/ocsp-request"
        )
        response = ocsp.load_der_ocsp_response(answer.data)
        assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
        assert response.revocation_time_utc == revoked.revoked_at
        crl = x509.load_der_x509_crl(client.get("/pki/crl/person.crl").data)
        assert [entry.serial_number for entry in crl] == [person.serial]
    finally:
        services.close()

    # A second process (here: a second app) finds the same hierarchy and the same records.
    again = create_app(config, clock=clock)
    try:
        assert again.test_client().get("/pki/ca/root.cer").data == root
        assert services_of(again).pki.get_certificate(person.id).revocation_reason == "key_compromise"
        services_of(again).pki.regenerate()
        assert again.test_client().get("/pki/ca/root.cer").data != root
    finally:
        services_of(again).close()


def test_the_platform_after_registration_runs_on_postgresql(postgres_url: str, clock: ManualClock) -> None:
    """The signing rights statement, the holder's revocation, the expiry notices (once, from parallel calls taking
    the registration's row lock) and the outbox's attachments, on PostgreSQL."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.helpers.registration import bearer, latest_otp, register_to_active, sso_login

    config = {"database_url": postgres_url, "secret_key": TEST_SECRET, "public_base_url": PUBLIC_BASE_URL}
    app = create_app(config, clock=clock)
    services = services_of(app)
    client = app.test_client()
    try:
        auth = bearer(register_to_active(client, terms=False))
        credential = client.post("/trust/csc/v2/credentials/list", json={}, headers=auth).json["credentialIDs"][0]
        refused = client.post("/trust/csc/v2/credentials/sendOTP", json={"credentialID": credential}, headers=auth)
        assert (refused.status_code, refused.json["code"]) == (403, "service_not_open")
        emails = client.get("/_mock/outbox", query_string={"channel": "email"}).json["data"]
        assert any(m["attachments"] for m in emails)  # the registration e-mail's help document
        certificate = client.get("/platform/api/v1/registration/certificate", headers=auth).json
        not_after = x509.load_pem_x509_certificate(certificate["certificate_pem"].encode()).not_valid_after_utc
        clock.set(not_after - timedelta(days=60), frozen=True)
        auth = bearer(sso_login(client, "marie.dupont"))  # the first token was issued three years before
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: client.get("/platform/api/v1/me", headers=auth), range(16)))
        subjects = [m["subject"] for m in client.get("/_mock/outbox", query_string={"channel": "email"}).json["data"]]
        assert subjects.count("Votre certificat expire dans 60 jours") == 1
        assert client.post("/platform/api/v1/registration/certificate/revocation-code", headers=auth).status_code == 200
        body = {"otp": latest_otp(client, "+33612345678"), "reason": "cessation_of_operation"}
        revoked = client.post("/platform/api/v1/registration/certificate/revocation", json=body, headers=auth)
        assert (revoked.status_code, revoked.json["status"]) == (200, "revoked")
    finally:
        services.close()
