"""OCSP responder (RFC 6960) through the /pki/ocsp endpoint."""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from flask.testing import FlaskClient

from mock_provider.core.clock import ManualClock
from mock_provider.core.services import MockServices
from tests.helpers.pki import ECMA, issue_person, ocsp_request

OCSP_TYPE = "application/ocsp-request"


def post(client: FlaskClient, body: bytes, **headers: str) -> tuple[int, ocsp.OCSPResponse]:
    response = client.post("/pki/ocsp", data=body, content_type=OCSP_TYPE, headers=headers)
    assert response.mimetype == "application/ocsp-response"
    return response.status_code, ocsp.load_der_ocsp_response(response.data)


def verify_signed_by(response: ocsp.OCSPResponse, signer: x509.Certificate) -> None:
    public_key = signer.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert response.signature_hash_algorithm is not None
    public_key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(response.signature_hash_algorithm))


def test_good_certificate(client: FlaskClient, services: MockServices, clock: ManualClock) -> None:
    record = issue_person(services)
    hierarchy = services.pki.hierarchy()
    status, response = post(client, ocsp_request(record.certificate, hierarchy["person"].certificate))
    assert status == 200
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == record.certificate.serial_number
    assert response.hash_algorithm.name == "sha1"
    now = clock.now().replace(microsecond=0)
    assert response.this_update_utc == now
    assert response.produced_at_utc == now
    assert response.next_update_utc == now + timedelta(seconds=services.config.ocsp_validity_seconds)
    responder = hierarchy["ocsp-person"].certificate
    assert response.certificates == [responder]
    assert response.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(responder.public_key()).digest
    verify_signed_by(response, responder)


def test_sha256_certid_is_answered_in_kind(client: FlaskClient, services: MockServices) -> None:
    record = services.pki.issue_seal(ECMA)
    issuer = services.pki.hierarchy()["seal"].certificate
    status, response = post(client, ocsp_request(record.certificate, issuer, algorithm=hashes.SHA256()))
    assert status == 200
    assert response.hash_algorithm.name == "sha256"
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    request = ocsp.load_der_ocsp_request(ocsp_request(record.certificate, issuer, algorithm=hashes.SHA256()))
    assert response.issuer_key_hash == request.issuer_key_hash
    assert response.issuer_name_hash == request.issuer_name_hash
    # The seal CA's own delegated responder signs for it.
    verify_signed_by(response, services.pki.hierarchy()["ocsp-seal"].certificate)


def test_revoked_with_time_and_reason(client: FlaskClient, services: MockServices, clock: ManualClock) -> None:
    record = issue_person(services)
    issuer = services.pki.hierarchy()["person"].certificate
    body = ocsp_request(record.certificate, issuer)
    assert post(client, body)[1].certificate_status == ocsp.OCSPCertStatus.GOOD  # now cached
    clock.advance(timedelta(minutes=5))
    revoked = services.pki.revoke(record.id, "key_compromise")
    _, response = post(client, body)
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_time_utc == revoked.revoked_at
    assert response.revocation_reason == x509.ReasonFlags.key_compromise


def test_unspecified_reason_is_left_out(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    services.pki.revoke(record.id)
    _, response = post(client, ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate))
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason is None


def test_unknown_serial_gets_unknown(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    issuer = services.pki.hierarchy()["person"].certificate
    request = ocsp_request(record.certificate, issuer)
    services.pki.revoke(record.id)  # irrelevant: we ask about another serial
    forged = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            ocsp.load_der_ocsp_request(request).issuer_name_hash,
            ocsp.load_der_ocsp_request(request).issuer_key_hash,
            12345,
            hashes.SHA1(),
        )
        .build()
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    status, response = post(client, forged.public_bytes(Encoding.DER))
    assert status == 200
    assert response.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    assert response.serial_number == 12345


def test_certificate_of_another_ca_is_unauthorized(client: FlaskClient, services: MockServices) -> None:
    from mock_provider import create_app
    from mock_provider.app import services_of
    from tests.helpers.mock import memory_config

    other = services_of(create_app(memory_config()))
    try:
        foreign = issue_person(other)
        body = ocsp_request(foreign.certificate, other.pki.hierarchy()["person"].certificate)
    finally:
        other.close()
    status, response = post(client, body)
    assert status == 200
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_issuing_ca_certificates_are_answered_by_the_root(client: FlaskClient, services: MockServices) -> None:
    hierarchy = services.pki.hierarchy()
    _, response = post(client, ocsp_request(hierarchy["person"].certificate, hierarchy.root.certificate))
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.certificates == []
    verify_signed_by(response, hierarchy.root.certificate)


def test_nonce_is_echoed_and_not_cached(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    issuer = services.pki.hierarchy()["person"].certificate
    answers = []
    for _ in range(2):
        nonce = os.urandom(16)
        _, response = post(client, ocsp_request(record.certificate, issuer, nonce=nonce))
        assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
        answers.append(response.signature)
    assert answers[0] != answers[1]


def test_answers_without_nonce_are_cached_until_half_validity(
    client: FlaskClient, services: MockServices, clock: ManualClock
) -> None:
    record = issue_person(services)
    body = ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate)
    first = client.post("/pki/ocsp", data=body, content_type=OCSP_TYPE).data
    clock.advance(timedelta(seconds=services.config.ocsp_validity_seconds / 2 - 1))
    assert client.post("/pki/ocsp", data=body, content_type=OCSP_TYPE).data == first
    clock.advance(timedelta(seconds=2))
    later = ocsp.load_der_ocsp_response(client.post("/pki/ocsp", data=body, content_type=OCSP_TYPE).data)
    assert later.this_update_utc == clock.now().replace(microsecond=0)


def test_get_request_with_url_encoded_base64(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    body = ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate)
    encoded = quote(base64.b64encode(body).decode(), safe="")
    response = client.get(f"/pki/ocsp/{encoded}")
    assert response.status_code == 200
    assert ocsp.load_der_ocsp_response(response.data).certificate_status == ocsp.OCSPCertStatus.GOOD


def test_fake_time_header_asks_another_instant(client: FlaskClient, services: MockServices, clock: ManualClock) -> None:
    record = issue_person(services)
    body = ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate)
    clock.advance(timedelta(days=2))
    services.pki.revoke(record.id, "superseded")
    before = (record.created_at + timedelta(days=1)).isoformat()
    _, response = post(client, body, **{"X-Jesign-Mock-Time": before})
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.produced_at_utc.isoformat() == before
    _, response = post(client, body)
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    earlier = (record.created_at - timedelta(hours=1)).isoformat()
    assert post(client, body, **{"X-Jesign-Mock-Time": earlier})[1].certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def test_fake_time_can_be_switched_off(clock: ManualClock) -> None:
    from mock_provider import create_app
    from mock_provider.app import services_of
    from tests.helpers.mock import memory_config

    app = create_app(memory_config(allow_fake_time=False), clock=clock)
    services = services_of(app)
    try:
        record = issue_person(services)
        body = ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate)
        _, response = post(app.test_client(), body, **{"X-Jesign-Mock-Time": "2031-01-01T00:00:00Z"})
    finally:
        services.close()
    assert response.produced_at_utc == clock.now().replace(microsecond=0)


def test_bad_fake_time_is_a_problem(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    body = ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate)
    response = client.post("/pki/ocsp", data=body, content_type=OCSP_TYPE, headers={"X-Jesign-Mock-Time": "yesterday"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json is not None
    assert response.json["code"] == "invalid_fake_time"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"", OCSP_TYPE, 400),
        (b"\x30\x03\x02\x01", OCSP_TYPE, 400),
        (b"garbage that is not DER at all", OCSP_TYPE, 400),
        (b"\x30\x00", OCSP_TYPE, 400),
        (b"\x30" + b"\x82\xff\xff" + b"\x00" * 20, OCSP_TYPE, 400),
        (b"\x30\x00", "application/json", 415),
        (b"\x30" * (64 * 1024 + 1), OCSP_TYPE, 413),
    ],
    ids=["empty", "truncated", "garbage", "empty-sequence", "bad-length", "wrong-content-type", "oversized"],
)
def test_bad_requests_get_malformed_request(
    client: FlaskClient, services: MockServices, body: bytes, content_type: str, status: int
) -> None:
    revision = services.pki.revision()
    response = client.post("/pki/ocsp", data=body, content_type=content_type)
    assert response.status_code == status
    assert response.mimetype == "application/ocsp-response"
    assert ocsp.load_der_ocsp_response(response.data).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert services.pki.revision() == revision


def test_trailing_bytes_and_bad_base64_are_malformed(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    body = ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate)
    _, response = post(client, body + b"\x00")
    assert response.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    bad = client.get("/pki/ocsp/not*base64")
    assert bad.status_code == 400
    assert ocsp.load_der_ocsp_response(bad.data).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


@pytest.mark.parametrize(("size", "answered"), [(0, False), (1, True), (33, True), (128, True), (129, False)])
def test_nonces_of_1_to_128_octets_are_echoed_others_malformed(
    client: FlaskClient, services: MockServices, size: int, answered: bool
) -> None:
    """RFC 9654 section 2.1 (which obsoletes RFC 8954's 32-octet limit): Nonce ::= OCTET STRING(SIZE(1..128))."""
    record = issue_person(services)
    nonce = os.urandom(size)
    body = ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate, nonce=nonce)
    _, response = post(client, body)
    if not answered:
        assert response.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        return
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce


def test_unpadded_base64url_get(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    body = ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate)
    encoded = base64.urlsafe_b64encode(body).decode().rstrip("=")
    response = client.get(f"/pki/ocsp/{encoded}")
    assert response.status_code == 200
    assert ocsp.load_der_ocsp_response(response.data).certificate_status == ocsp.OCSPCertStatus.GOOD


@pytest.mark.parametrize(("ca", "role"), [("person", "ocsp-person"), ("seal", "ocsp-seal"), ("root", "tsa")])
def test_hierarchy_certificates_are_good_for_their_issuer_only(
    client: FlaskClient, services: MockServices, ca: str, role: str
) -> None:
    hierarchy = services.pki.hierarchy()
    cert = hierarchy[role].certificate
    _, response = post(client, ocsp_request(cert, hierarchy[ca].certificate))
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    # The root answers for what it issued, and knows nothing of the responders the issuing CAs issued.
    root_id = ocsp.load_der_ocsp_request(ocsp_request(hierarchy["person"].certificate, hierarchy.root.certificate))
    asked_of_root = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        root_id.issuer_name_hash, root_id.issuer_key_hash, cert.serial_number, hashes.SHA1()
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    _, response = post(client, asked_of_root.build().public_bytes(Encoding.DER))
    expected = ocsp.OCSPCertStatus.GOOD if ca == "root" else ocsp.OCSPCertStatus.UNKNOWN
    assert response.certificate_status == expected


def test_an_expired_certificate_never_revoked_stays_good(
    client: FlaskClient, services: MockServices, clock: ManualClock
) -> None:
    """RFC 6960 §2.2 lets a responder answer for a certificate past its validity; the mock keeps answering good for
    one that was never revoked (what it was at its end), and revoked for one that was."""
    good, revoked = issue_person(services), issue_person(services)
    services.pki.revoke(revoked.id, "key_compromise")
    clock.set(good.not_after + timedelta(days=30), frozen=True)
    issuer = services.pki.hierarchy()["person"].certificate
    for record, expected in ((good, ocsp.OCSPCertStatus.GOOD), (revoked, ocsp.OCSPCertStatus.REVOKED)):
        status, response = post(client, ocsp_request(record.certificate, issuer))
        assert status == 200
        assert response.certificate_status == expected
