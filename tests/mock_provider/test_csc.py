"""Remote signing over the CSC API (v2, and v1 field names): credentials, SCAL2 and SCAL1, and every refusal."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from flask import Flask
from flask.testing import FlaskClient

from mock_provider.core.clock import ManualClock
from tests.helpers import registration as helpers
from tests.helpers.csc import ECDSA_SHA256, SHA256, V2, digest, personal_id
from tests.helpers.registration import bearer, latest_otp, sso_login


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    body = helpers.problem(response, status, code)
    assert body["error"] == code  # the CSC member, beside RFC 9457's
    return body


@pytest.fixture
def marie(app: Flask, registered: Callable[..., str]) -> dict[str, str]:
    return bearer(registered(app))


def authorize(client: FlaskClient, auth: dict[str, str], credential: str, hashes_b64: list[str]) -> Any:
    assert client.post(f"{V2}/credentials/sendOTP", json={"credentialID": credential}, headers=auth).status_code == 204
    body = {
        "credentialID": credential,
        "numSignatures": len(hashes_b64),
        "hashes": hashes_b64,
        "hashAlgorithmOID": SHA256,
        "OTP": latest_otp(client),
    }
    return client.post(f"{V2}/credentials/authorize", json=body, headers=auth)


def sign_hash(client: FlaskClient, auth: dict[str, str], credential: str, sad: str, hashes_b64: list[str]) -> Any:
    body = {
        "credentialID": credential,
        "SAD": sad,
        "hashes": hashes_b64,
        "hashAlgorithmOID": SHA256,
        "signAlgo": ECDSA_SHA256,
    }
    return client.post(f"{V2}/signatures/signHash", json=body, headers=auth)


def test_credentials_list_and_info(client: FlaskClient, marie: dict[str, str]) -> None:
    listed = client.post(f"{V2}/credentials/list", json={"credentialInfo": True}, headers=marie).json
    assert sorted(listed["credentialIDs"])[1:] == ["seal_frm_dupont_associes", "seal_frm_ecma"]
    credential = personal_id(client, marie)
    info = client.post(
        f"{V2}/credentials/info", json={"credentialID": credential, "certificates": "chain"}, headers=marie
    ).json
    assert info["SCAL"] == "2"
    assert info["key"]["len"] == 256
    assert ECDSA_SHA256 in info["key"]["algo"]
    assert info["OTP"]["presence"] == "true"
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in info["cert"]["certificates"]]
    assert len(chain) == 3
    chain[0].verify_directly_issued_by(chain[1])
    seal = client.post(f"{V2}/credentials/info", json={"credentialID": "seal_frm_ecma"}, headers=marie).json
    assert seal["SCAL"] == "1"
    assert "NTRFR-552100554" in seal["cert"]["subjectDN"]


def test_scal2_signature_of_exactly_the_authorized_hashes(client: FlaskClient, marie: dict[str, str]) -> None:
    credential = personal_id(client, marie)
    wanted = [digest("page one"), digest("page two")]
    authorized = authorize(client, marie, credential, wanted)
    assert authorized.status_code == 200, authorized.json
    sad = authorized.json["SAD"]
    assert authorized.json["expiresIn"] == 300
    signed = sign_hash(client, marie, credential, sad, wanted)
    assert signed.status_code == 200, signed.json
    info = client.post(f"{V2}/credentials/info", json={"credentialID": credential}, headers=marie).json
    public_key = x509.load_der_x509_certificate(base64.b64decode(info["cert"]["certificates"][0])).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    for value, signature in zip(wanted, signed.json["signatures"], strict=True):
        public_key.verify(
            base64.b64decode(signature), base64.b64decode(value), ec.ECDSA(utils.Prehashed(hashes.SHA256()))
        )
    # Single use: the SAD is spent.
    problem(sign_hash(client, marie, credential, sad, wanted[:1]), 409, "sad_used")


def test_sad_for_other_hashes_is_refused(client: FlaskClient, marie: dict[str, str]) -> None:
    credential = personal_id(client, marie)
    sad = authorize(client, marie, credential, [digest("authorized")]).json["SAD"]
    problem(sign_hash(client, marie, credential, sad, [digest("something else")]), 400, "sad_hash_mismatch")
    problem(sign_hash(client, marie, credential, sad, [digest("authorized"), digest("more")]), 400, "sad_hash_mismatch")
    # Nothing was spent by the refusals.
    assert sign_hash(client, marie, credential, sad, [digest("authorized")]).status_code == 200


def test_expired_sad(client: FlaskClient, marie: dict[str, str], clock: ManualClock) -> None:
    credential = personal_id(client, marie)
    sad = authorize(client, marie, credential, [digest("x")]).json["SAD"]
    clock.advance(timedelta(minutes=5))
    problem(sign_hash(client, marie, credential, sad, [digest("x")]), 400, "sad_expired")


def test_wrong_code_and_missing_code(client: FlaskClient, marie: dict[str, str]) -> None:
    credential = personal_id(client, marie)
    client.post(f"{V2}/credentials/sendOTP", json={"credentialID": credential}, headers=marie)
    right = latest_otp(client)
    body = {"credentialID": credential, "numSignatures": 1, "hashes": [digest("x")], "hashAlgorithmOID": SHA256}
    problem(client.post(f"{V2}/credentials/authorize", json=body, headers=marie), 400, "otp_required")
    wrong = "000000" if right != "000000" else "111111"
    assert (
        problem(
            client.post(f"{V2}/credentials/authorize", json={**body, "OTP": wrong}, headers=marie), 400, "otp_invalid"
        )["attempts_remaining"]
        == 4
    )
    assert client.post(f"{V2}/credentials/authorize", json={**body, "OTP": right}, headers=marie).status_code == 200


@pytest.mark.parametrize(
    ("hashes_b64", "code"),
    [
        ([base64.b64encode(b"short").decode()], "invalid_hash"),
        (["not base64!"], "invalid_hash"),
        ([], "invalid_hash"),
    ],
)
def test_bad_hashes(client: FlaskClient, marie: dict[str, str], hashes_b64: list[str], code: str) -> None:
    credential = personal_id(client, marie)
    sad = authorize(client, marie, credential, [digest("x")]).json["SAD"]
    problem(sign_hash(client, marie, credential, sad, hashes_b64), 400, code)


def test_revoked_certificate_signs_nothing(client: FlaskClient, marie: dict[str, str]) -> None:
    credential = personal_id(client, marie)
    sad = authorize(client, marie, credential, [digest("x")]).json["SAD"]
    client.post(f"/_mock/certificates/{credential}/revoke", json={"reason": "key_compromise"})
    problem(sign_hash(client, marie, credential, sad, [digest("x")]), 409, "credential_revoked")
    problem(
        client.post(f"{V2}/credentials/sendOTP", json={"credentialID": credential}, headers=marie),
        409,
        "credential_revoked",
    )


def test_seal_is_scal1_and_logged(client: FlaskClient, marie: dict[str, str]) -> None:
    body = {"credentialID": "seal_frm_ecma", "numSignatures": 2}
    authorized = client.post(f"{V2}/credentials/authorize", json=body, headers=marie)
    assert authorized.status_code == 200, authorized.json
    sad = authorized.json["SAD"]
    assert sign_hash(client, marie, "seal_frm_ecma", sad, [digest("a")]).status_code == 200
    assert sign_hash(client, marie, "seal_frm_ecma", sad, [digest("b")]).status_code == 200
    problem(sign_hash(client, marie, "seal_frm_ecma", sad, [digest("c")]), 409, "sad_used")
    problem(
        client.post(f"{V2}/credentials/sendOTP", json={"credentialID": "seal_frm_ecma"}, headers=marie),
        409,
        "otp_not_applicable",
    )


def test_seal_needs_the_delegation(client: FlaskClient, marie: dict[str, str]) -> None:
    luc = bearer(sso_login(client, "luc.martin"))  # holds sign, not seal
    problem(
        client.post(
            f"{V2}/credentials/authorize", json={"credentialID": "seal_frm_ecma", "numSignatures": 1}, headers=luc
        ),
        403,
        "seal_delegation_required",
    )
    assert client.post(f"{V2}/credentials/list", json={}, headers=luc).json["credentialIDs"] == []
    client.post(
        "/platform/api/v1/firms/frm_ecma/delegations", json={"user_id": "usr_luc_martin", "kind": "seal"}, headers=marie
    )
    assert client.post(f"{V2}/credentials/list", json={}, headers=luc).json["credentialIDs"] == ["seal_frm_ecma"]
    stranger = bearer(sso_login(client, "paul.leroy"))
    problem(
        client.post(f"{V2}/credentials/info", json={"credentialID": "seal_frm_ecma"}, headers=stranger),
        404,
        "credential_not_found",
    )


def test_another_persons_credential_is_not_found(client: FlaskClient, marie: dict[str, str]) -> None:
    credential = personal_id(client, marie)
    luc = bearer(sso_login(client, "luc.martin"))
    problem(
        client.post(f"{V2}/credentials/info", json={"credentialID": credential}, headers=luc),
        404,
        "credential_not_found",
    )
    assert client.post(f"{V2}/credentials/list", json={}).status_code == 401


def test_v1_field_names_and_timestamp(client: FlaskClient, marie: dict[str, str]) -> None:
    credential = personal_id(client, marie)
    client.post("/trust/csc/v1/credentials/sendOTP", json={"credentialID": credential}, headers=marie)
    body = {"credentialID": credential, "numSignatures": 1, "hash": [digest("v1")], "OTP": latest_otp(client)}
    sad = client.post("/trust/csc/v1/credentials/authorize", json=body, headers=marie).json["SAD"]
    signed = client.post(
        "/trust/csc/v1/signatures/signHash",
        json={
            "credentialID": credential,
            "SAD": sad,
            "hash": [digest("v1")],
            "hashAlgo": SHA256,
            "signAlgo": ECDSA_SHA256,
        },
        headers=marie,
    )
    assert signed.status_code == 200, signed.json
    stamped = client.post(
        f"{V2}/signatures/timestamp", json={"hash": digest("doc"), "hashAlgorithmOID": SHA256}, headers=marie
    )
    assert stamped.status_code == 200
    from asn1crypto import cms

    token = cms.ContentInfo.load(base64.b64decode(stamped.json["timestamp"]))
    imprint = token["content"]["encap_content_info"]["content"].parsed["message_imprint"]["hashed_message"].native
    assert base64.b64encode(imprint).decode() == digest("doc")


def test_two_authorizations_in_a_row(client: FlaskClient, marie: dict[str, str]) -> None:
    """A code used by one authorization does not hold back the next one's (no resend cooldown then)."""
    credential = personal_id(client, marie)
    first = authorize(client, marie, credential, [digest("first")])
    second = authorize(client, marie, credential, [digest("second")])
    assert first.status_code == second.status_code == 200
    assert sign_hash(client, marie, credential, second.json["SAD"], [digest("second")]).status_code == 200


def test_signing_codes_are_limited_per_hour_not_for_ever(
    client: FlaskClient, marie: dict[str, str], clock: ManualClock
) -> None:
    credential = personal_id(client, marie)
    for n in range(30):
        assert authorize(client, marie, credential, [digest(str(n))]).status_code == 200
        clock.advance(timedelta(seconds=100))
    refused = client.post(f"{V2}/credentials/sendOTP", json={"credentialID": credential}, headers=marie)
    body = problem(refused, 423, "otp_code_limit_reached")
    assert 0 < int(refused.headers["Retry-After"]) == body["retry_after"] <= 3600
    clock.advance(timedelta(seconds=body["retry_after"]))
    again = bearer(sso_login(client, "marie.dupont"))  # the access token expired meanwhile
    assert authorize(client, again, credential, [digest("after the hour")]).status_code == 200
