"""Rule-breakage switches of the PKI whose effect is not obvious: cached OCSP answers and CRLs follow the switches."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from flask.testing import FlaskClient

from mock_provider.core.pki import profiles
from mock_provider.core.services import MockServices
from tests.helpers.pki import issue_person, ocsp_request


def _status(client: FlaskClient, body: bytes) -> ocsp.OCSPCertStatus:
    response = client.post("/pki/ocsp", data=body, content_type="application/ocsp-request")
    return ocsp.load_der_ocsp_response(response.data).certificate_status


def _switch(client: FlaskClient, *ids: str) -> None:
    assert client.put("/_mock/breakages", json={"active": list(ids)}).status_code == 200


def test_a_cached_ocsp_answer_never_outlives_a_switch(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    services.pki.revoke(record.id, "key_compromise")
    request = ocsp_request(record.certificate, services.pki.hierarchy()[profiles.PERSON_CA].certificate)
    assert _status(client, request) == ocsp.OCSPCertStatus.REVOKED  # now cached: no nonce, one request
    _switch(client, "ocsp_good_after_revocation")
    assert _status(client, request) == ocsp.OCSPCertStatus.GOOD
    _switch(client)
    assert _status(client, request) == ocsp.OCSPCertStatus.REVOKED


def test_unknown_serials_and_nonces_follow_their_switches(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    ca = services.pki.hierarchy()[profiles.PERSON_CA].certificate
    known = ocsp.load_der_ocsp_request(ocsp_request(record.certificate, ca))
    unknown = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(known.issuer_name_hash, known.issuer_key_hash, record.serial + 1, hashes.SHA1())
        .build()
        .public_bytes(Encoding.DER)
    )
    assert _status(client, unknown) == ocsp.OCSPCertStatus.UNKNOWN
    _switch(client, "ocsp_good_for_unknown", "ignore_ocsp_nonce")
    assert _status(client, unknown) == ocsp.OCSPCertStatus.GOOD
    with_nonce = ocsp_request(record.certificate, ca, nonce=b"0123456789abcdef")
    answer = ocsp.load_der_ocsp_response(
        client.post("/pki/ocsp", data=with_nonce, content_type="application/ocsp-request").data
    )
    assert not [e for e in answer.extensions if isinstance(e.value, x509.OCSPNonce)]


def test_a_cached_crl_never_outlives_a_switch(client: FlaskClient, services: MockServices) -> None:
    record = issue_person(services)
    services.pki.revoke(record.id)

    def listed() -> bool:
        crl = x509.load_der_x509_crl(client.get("/pki/crl/person.crl").data)
        return crl.get_revoked_certificate_by_serial_number(record.serial) is not None

    assert listed()
    _switch(client, "crl_omits_revoked")
    assert not listed()
    _switch(client)
    assert listed()
