"""Time-stamping authority (RFC 3161) through POST /pki/tsa."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from asn1crypto import cms, tsp
from flask.testing import FlaskClient

from mock_provider.core.clock import ManualClock
from mock_provider.core.pki import oids
from mock_provider.core.pki.tsa import TimeStampResp
from mock_provider.core.services import MockServices
from tests.helpers.pki import tsa_request

TSA_TYPE = "application/timestamp-query"


def post(client: FlaskClient, body: bytes, content_type: str = TSA_TYPE, **headers: str) -> tuple[int, TimeStampResp]:
    response = client.post("/pki/tsa", data=body, content_type=content_type, headers=headers)
    assert response.mimetype == "application/timestamp-reply"
    return response.status_code, TimeStampResp.load(response.data)


def tst_info(resp: TimeStampResp) -> tsp.TSTInfo:
    return resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed


def test_granted_token_content(client: FlaskClient, services: MockServices, clock: ManualClock) -> None:
    status, resp = post(client, tsa_request(b"document", nonce=987654321))
    assert status == 200
    assert resp["status"]["status"].native == "granted"
    info = tst_info(resp)
    assert info["version"].native == "v1"
    assert info["policy"].dotted == oids.TSA_POLICY.dotted_string
    assert info["message_imprint"]["hashed_message"].native == hashlib.sha256(b"document").digest()
    assert info["gen_time"].native == clock.now().replace(microsecond=0)
    assert info["accuracy"]["seconds"].native == services.config.tsa_accuracy_seconds
    assert info["nonce"].native == 987654321
    tsa_cert = services.pki.hierarchy()["tsa"].certificate
    assert info["tsa"].chosen.native == tsp.TSTInfo.load(info.dump())["tsa"].chosen.native
    signed_data = resp["time_stamp_token"]["content"]
    signer = signed_data["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    ess = attrs["signing_certificate_v2"]["certs"][0]
    from cryptography.hazmat.primitives.serialization import Encoding

    assert ess["cert_hash"].native == hashlib.sha256(tsa_cert.public_bytes(Encoding.DER)).digest()
    assert ess["issuer_serial"]["serial_number"].native == tsa_cert.serial_number
    assert attrs["content_type"].native == "tst_info"
    assert attrs["message_digest"].native == hashlib.sha256(info.dump()).digest()


def test_serials_are_unique(client: FlaskClient) -> None:
    serials = {tst_info(post(client, tsa_request())[1])["serial_number"].native for _ in range(20)}
    assert len(serials) == 20


@pytest.mark.parametrize("cert_req", [True, False])
def test_certificate_included_iff_cert_req(client: FlaskClient, services: MockServices, cert_req: bool) -> None:
    _, resp = post(client, tsa_request(cert_req=cert_req))
    certs = resp["time_stamp_token"]["content"]["certificates"]
    if cert_req:
        from cryptography.hazmat.primitives.serialization import Encoding

        assert [c.chosen.dump() for c in certs] == [
            services.pki.hierarchy()["tsa"].certificate.public_bytes(Encoding.DER)
        ]
    else:
        assert not certs


def test_no_nonce_no_nonce(client: FlaskClient) -> None:
    _, resp = post(client, tsa_request(nonce=None))
    assert tst_info(resp)["nonce"].native is None


def test_fake_time(client: FlaskClient, clock: ManualClock) -> None:
    later = clock.now().replace(microsecond=0) + timedelta(days=400)
    _, resp = post(client, tsa_request(), **{"X-Jesign-Mock-Time": later.isoformat()})
    assert tst_info(resp)["gen_time"].native == later


def _bad_digest_request(algorithm: str, length: int) -> bytes:
    return bytes(
        tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": b"\x01" * length},
            }
        ).dump()
    )


@pytest.mark.parametrize(
    ("body", "content_type", "http_status", "fail_info"),
    [
        (b"", TSA_TYPE, 400, "bad_data_format"),
        (b"not DER", TSA_TYPE, 400, "bad_data_format"),
        (tsa_request() + b"\x00", TSA_TYPE, 400, "bad_data_format"),
        (_bad_digest_request("md5", 16), TSA_TYPE, 400, "bad_alg"),
        (_bad_digest_request("sha256", 20), TSA_TYPE, 400, "bad_data_format"),
        (tsa_request(policy="1.2.3.4"), TSA_TYPE, 400, "unaccepted_policy"),
        (tsa_request(), "application/octet-stream", 415, "bad_request"),
        (b"\x30" * (64 * 1024 + 1), TSA_TYPE, 413, "bad_request"),
    ],
    ids=["empty", "garbage", "trailing", "md5", "short-digest", "policy", "content-type", "oversized"],
)
def test_bad_requests_are_rejected_with_fail_info(
    client: FlaskClient, body: bytes, content_type: str, http_status: int, fail_info: str
) -> None:
    status, resp = post(client, body, content_type)
    assert status == http_status
    assert resp["status"]["status"].native == "rejection"
    assert resp["status"]["fail_info"].native == {fail_info}
    assert resp["status"]["status_string"].native
    assert not resp["time_stamp_token"]


def test_request_extensions_are_unaccepted(client: FlaskClient) -> None:
    req = tsp.TimeStampReq.load(tsa_request())
    req["extensions"] = [{"extn_id": "1.2.3.4", "critical": False, "extn_value": b"\x05\x00"}]
    _, resp = post(client, req.dump())
    assert resp["status"]["fail_info"].native == {"unaccepted_extensions"}


def test_token_validates_with_pyhanko(client: FlaskClient, services: MockServices) -> None:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    _, resp = post(client, tsa_request(b"payload"))
    root = asn1_x509.Certificate.load(services.pki.hierarchy().root.certificate.public_bytes(Encoding.DER))
    context = ValidationContext(trust_roots=[root], revocation_mode="soft-fail")
    token: cms.ContentInfo = resp["time_stamp_token"]
    import asyncio

    status = asyncio.run(
        validate_tst_signed_data(
            token["content"], context, expected_tst_imprint=lambda algo: hashlib.new(algo, b"payload").digest()
        )
    )
    assert status["intact"], status
    assert status["valid"], status
    assert status["trust_problem_indic"] is None, status
