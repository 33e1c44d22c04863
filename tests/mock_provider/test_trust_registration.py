"""The trust provider's steps 2 to 5 over HTTP: every rule, and that a refused call changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from mock_provider.core.clock import ManualClock
from mock_provider.core.registration.texts import IDENTITY_INCOMPLETE_MESSAGE
from tests.helpers.images import record_decodes, streamed_png
from tests.helpers.registration import (
    BIRTH_DATE,
    OPERATOR_HEADERS,
    applicant,
    colour_image,
    consent,
    create_registration,
    grey_image,
    latest_otp,
    problem,
    sign,
    submit_identity,
    td1,
    upload,
    walk_to_documents,
    walk_to_signed,
)


def state_of(client: FlaskClient, reg: dict[str, Any]) -> str:
    response = client.get(f"/trust/v1/registrations/{reg['id']}", headers=applicant(reg["session_token"]))
    assert response.status_code == 200
    assert response.json is not None
    return str(response.json["state"])


def events_of(client: FlaskClient, reg: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.get(f"/trust/v1/registrations/{reg['id']}/events", headers=applicant(reg["session_token"]))
    assert response.json is not None
    return list(response.json["data"])


# -- creation and access --------------------------------------------------------------------------------------------


def test_operator_creates_a_registration(client: FlaskClient) -> None:
    reg = create_registration(client, redirect_url="https://integrator.example.com/back")
    assert reg["state"] == "created"
    assert reg["id"].startswith("reg_")
    assert reg["url"].endswith(f"/trust/enroll/{reg['id']}?session={reg['session_token']}")
    assert state_of(client, reg) == "created"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "operator_authentication_required"),
        ({"Authorization": "Basic amVzaWduLWNsaTp4"}, "operator_authentication_failed"),
    ],
)
def test_operator_calls_need_a_confidential_client(client: FlaskClient, headers: dict[str, str], code: str) -> None:
    body = {"email": "marie.dupont@cabinet-ecma.example.com", "level": "qcp", "phone_number": "+33612345678"}
    problem(client.post("/trust/v1/registrations", json=body, headers=headers), 401, code)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("level", "gold", "invalid_registration"),
        ("email", "nobody@example.com", "applicant_unknown"),
        ("phone_number", "12", "invalid_mobile_number"),
        ("language", "xx", "invalid_registration"),
        ("redirect_url", "javascript:alert(1)", "invalid_registration"),
    ],
)
def test_bad_registration_requests(client: FlaskClient, field: str, value: str, code: str) -> None:
    body = {
        "email": "marie.dupont@cabinet-ecma.example.com",
        "level": "qcp",
        "phone_number": "+33612345678",
        field: value,
    }
    body_json = problem(client.post("/trust/v1/registrations", json=body, headers=OPERATOR_HEADERS), 400, code)
    assert body_json["errors"][0]["field"] == field
    assert client.get("/_mock/registrations").json == {"data": []}


def test_another_registration_is_not_found(client: FlaskClient) -> None:
    mine = create_registration(client)
    theirs = create_registration(client, email="luc.martin@cabinet-ecma.example.com")
    for path in ("", "/events", "/agreement"):
        response = client.get(f"/trust/v1/registrations/{theirs['id']}{path}", headers=applicant(mine["session_token"]))
        problem(response, 404, "registration_not_found")
    problem(submit_identity(client, {**theirs, "session_token": mine["session_token"]}), 404, "registration_not_found")
    assert state_of(client, theirs) == "created"
    problem(client.get(f"/trust/v1/registrations/{mine['id']}"), 404, "registration_not_found")


# -- step 2: identity ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [{"birth_date": None}, {"birth_date": ""}, {"accept_terms": False}, {"accept_privacy_policy": None}],
)
def test_identity_needs_birth_date_and_both_consents(client: FlaskClient, overrides: dict[str, Any]) -> None:
    reg = create_registration(client)
    body = problem(submit_identity(client, reg, **overrides), 400, "identity_incomplete")
    assert body["detail"] == IDENTITY_INCOMPLETE_MESSAGE
    assert [e["field"] for e in body["errors"]] == [k for k in overrides]
    assert state_of(client, reg) == "created"


def test_under_18_is_refused(client: FlaskClient, clock: ManualClock) -> None:
    reg = create_registration(client)
    today = clock.now().date()
    seventeen = today.replace(year=today.year - 17).isoformat()
    problem(submit_identity(client, reg, birth_date=seventeen), 400, "applicant_under_age")
    problem(submit_identity(client, reg, birth_date="2999-01-01"), 400, "invalid_birth_date")
    problem(submit_identity(client, reg, birth_date="12/04/1980"), 400, "identity_incomplete")
    assert state_of(client, reg) == "created"
    assert submit_identity(client, reg).json["state"] == "identity_submitted"


def test_birth_date_before_1900_is_refused(client: FlaskClient, app: Flask) -> None:
    reg = create_registration(client)
    for too_old in ("0001-01-01", "1899-12-31"):
        body = problem(submit_identity(client, reg, birth_date=too_old), 400, "invalid_birth_date")
        assert body["errors"] == [{"field": "birth_date", "code": "invalid_date", "detail": "too far in the past"}]
    assert state_of(client, reg) == "created"
    assert submit_identity(client, reg, birth_date="1900-01-01").status_code == 200


def test_the_identity_is_given_once(client: FlaskClient, app: Flask) -> None:
    reg = create_registration(client)
    assert submit_identity(client, reg).status_code == 200
    logged = events_of(client, reg)
    stored = _stored_birth_date(app, reg["id"])
    body = problem(submit_identity(client, reg, birth_date="1950-06-01"), 409, "registration_wrong_state")
    assert body["state"] == "identity_submitted"
    assert _stored_birth_date(app, reg["id"]) == stored == date.fromisoformat(BIRTH_DATE)
    assert events_of(client, reg) == logged


def _stored_birth_date(app: Flask, registration_id: str) -> date | None:
    from mock_provider.app import services_of
    from mock_provider.core.models import TrustRegistration

    with services_of(app).db.read() as session:
        reg = session.get(TrustRegistration, registration_id)
        assert reg is not None
        return reg.birth_date


# -- step 3: the identity document ---------------------------------------------------------------------------------


def test_documents_accepted_and_recorded(client: FlaskClient) -> None:
    reg = create_registration(client)
    submit_identity(client, reg)
    response = upload(client, reg, mrz=td1("X4RTBPFW4"))
    assert response.status_code == 200, response.json
    assert response.json["state"] == "documents_submitted"
    assert response.json["document_type"] == "id_card:fra"


def test_the_document_is_uploaded_once(client: FlaskClient, app: Flask) -> None:
    reg = walk_to_documents(client)
    logged = events_of(client, reg)
    body = problem(upload(client, reg, document_number="ZZ1234567"), 409, "registration_wrong_state")
    assert body["state"] == "documents_submitted"
    assert events_of(client, reg) == logged
    from mock_provider.app import services_of
    from mock_provider.core.models import IdentityDocument, TrustRegistration

    with services_of(app).db.read() as session:
        stored = session.get(TrustRegistration, reg["id"])
        assert stored is not None
        assert stored.document_number == "X4RTBPFW4"
        sides = session.scalars(select(IdentityDocument.side).where(IdentityDocument.registration_id == reg["id"]))
        assert sorted(sides) == ["back", "front"]


def test_documents_before_identity_is_a_conflict(client: FlaskClient) -> None:
    reg = create_registration(client)
    body = problem(upload(client, reg), 409, "registration_wrong_state")
    assert body["state"] == "created"


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"front": grey_image()}, "document_not_in_colour", "front"),
        ({"back": grey_image("PNG")}, "document_not_in_colour", "back"),
        ({"front": b"GIF89a" + b"\x00" * 100}, "unsupported_document_format", "front"),
        ({"front": colour_image()[:300]}, "document_unreadable", "front"),
        ({"with_back": False}, "document_missing", "back"),
        ({"document_type": "passport:fra"}, "document_unexpected", "back"),
        ({"document_type": "driving_licence:bel"}, "invalid_document_type", "document_type"),
        ({"document_number": None}, "invalid_document_number", "document_number"),
        ({"document_number": "VOLE12345"}, "document_reported_stolen", "document_number"),
        ({"mrz": td1("X4RTBPFW4", surname="Durand")}, "mrz_name_mismatch", "mrz"),
        ({"mrz": td1("X4RTBPFW4", birth=date(1981, 4, 12))}, "mrz_birth_date_mismatch", "mrz"),
        ({"mrz": td1("Y0000000", surname="Dupont")}, "mrz_document_number_mismatch", "document_number"),
    ],
)
def test_bad_documents_are_refused(client: FlaskClient, kwargs: dict[str, Any], code: str | None, field: str) -> None:
    reg = create_registration(client)
    submit_identity(client, reg)
    response = upload(client, reg, **kwargs)
    assert response.status_code == 400, response.json
    body = response.json
    assert body["code"] == code
    assert body["errors"][0]["field"] == field
    assert state_of(client, reg) == "identity_submitted"


@pytest.mark.slow
def test_a_huge_image_is_refused_on_its_header_and_nothing_is_stored(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = create_registration(client)
    submit_identity(client, reg)
    events = events_of(client, reg)
    decodes = record_decodes(monkeypatch)
    body = problem(upload(client, reg, back=streamed_png(7000, 7000)), 400, "document_too_many_pixels")
    assert body["errors"] == [
        {
            "field": "back",
            "code": "document_too_many_pixels",
            "detail": "the image is 7000 x 7000 pixels, more than 25000000 pixels in all",
        }
    ]
    assert decodes.count == 1  # the front, a small JPEG; never the back
    assert state_of(client, reg) == "identity_submitted"
    assert events_of(client, reg) == events


@pytest.mark.slow
def test_the_mrz_is_checked_before_any_image_is_decoded(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = create_registration(client)
    submit_identity(client, reg)
    decodes = record_decodes(monkeypatch)
    problem(upload(client, reg, mrz=td1("X4RTBPFW4", surname="Durand")), 400, "mrz_name_mismatch")
    problem(upload(client, reg, mrz=td1("Y0000000")), 400, "mrz_document_number_mismatch")
    assert decodes.count == 0
    assert state_of(client, reg) == "identity_submitted"
    assert upload(client, reg, mrz=td1("X4RTBPFW4")).status_code == 200
    assert decodes.count == 2  # front and back, each decoded once, then released
    assert decodes.all_released()


def test_mrz_check_digit_failure(client: FlaskClient) -> None:
    reg = create_registration(client)
    submit_identity(client, reg)
    lines = td1("X4RTBPFW4").split("\n")
    broken = lines[0][:14] + ("1" if lines[0][14] != "1" else "2") + lines[0][15:]
    problem(upload(client, reg, mrz="\n".join([broken, *lines[1:]])), 400, "mrz_check_digit")


def test_document_size_limit(clock: ManualClock) -> None:
    from mock_provider import create_app
    from mock_provider.app import services_of
    from tests.helpers.mock import memory_config

    app = create_app(memory_config(max_document_bytes=5_000), clock=clock)
    client = app.test_client()
    try:
        reg = create_registration(client)
        submit_identity(client, reg)
        assert len(colour_image()) > 5_000
        problem(upload(client, reg), 400, "document_too_large")
    finally:
        services_of(app).close()


def test_passport_needs_front_only(client: FlaskClient) -> None:
    reg = create_registration(client)
    submit_identity(client, reg)
    response = upload(client, reg, document_type="passport:fra", with_back=False, document_number="20AB12345")
    assert response.status_code == 200, response.json


# -- step 4: the agreement and its SMS code ------------------------------------------------------------------------


def test_agreement_consent_sends_a_masked_code(client: FlaskClient) -> None:
    reg = walk_to_documents(client)
    response = consent(client, reg)
    assert response.status_code == 200, response.json
    assert response.json["phone_masked"].endswith("5678")
    assert response.json["phone_last_digits"] == "5678"
    assert "+3361234" not in response.json["phone_masked"]
    assert response.json["validity_seconds"] == 30 * 60
    sms = client.get("/_mock/outbox", query_string={"channel": "sms"}).json["data"]
    assert len(sms) == 1
    assert sms[0]["recipient"] == "+33612345678"
    assert sms[0]["otp_code"] in sms[0]["body"]


def test_consent_to_another_version_is_refused(client: FlaskClient) -> None:
    reg = walk_to_documents(client)
    headers = applicant(reg["session_token"])
    body = {"accept": True, "version": "1999-01", "sha256": "0" * 64}
    problem(
        client.post(f"/trust/v1/registrations/{reg['id']}/agreement/consent", json=body, headers=headers),
        409,
        "agreement_version_mismatch",
    )
    problem(
        client.post(f"/trust/v1/registrations/{reg['id']}/agreement/consent", json={"accept": False}, headers=headers),
        400,
        "agreement_not_accepted",
    )
    assert client.get("/_mock/outbox").json["data"] == []


def test_signing_records_the_agreement_and_goes_to_review(client: FlaskClient, app: Flask) -> None:
    reg = walk_to_documents(client)
    consent(client, reg)
    response = sign(client, reg, latest_otp(client))
    assert response.status_code == 200, response.json
    view = response.json
    assert view["agreement"]["version"] == "2026-01"
    assert len(view["agreement"]["sha256"]) == 64
    assert view["cancellable"] is False
    # The default review decides at once.
    assert view["state"] == "certificate_issued"
    actions = [(e["action"], e["from_state"], e["to_state"]) for e in events_of(client, reg)]
    assert ("agreement_signed", "documents_submitted", "agreement_signed") in actions
    assert ("submitted_for_review", "agreement_signed", "pending_validation") in actions
    assert ("approved", "pending_validation", "certificate_issued") in actions


def test_wrong_code_counts_and_locks_after_five(client: FlaskClient, clock: ManualClock) -> None:
    reg = walk_to_documents(client)
    consent(client, reg)
    right = latest_otp(client)
    wrong = "000000" if right != "000000" else "111111"
    for remaining in (4, 3, 2, 1):
        body = problem(sign(client, reg, wrong), 400, "otp_invalid")
        assert body["attempts_remaining"] == remaining
    problem(sign(client, reg, wrong), 423, "otp_locked")
    problem(sign(client, reg, right), 423, "otp_locked")  # even the right code, once locked
    assert state_of(client, reg) == "documents_submitted"
    # A new code comes after the cooldown, and works.
    resend = f"/trust/v1/registrations/{reg['id']}/agreement/resend"
    problem(client.post(resend, headers=applicant(reg["session_token"])), 429, "otp_resend_too_soon")
    clock.advance(timedelta(seconds=60))
    assert client.post(resend, headers=applicant(reg["session_token"])).status_code == 200
    assert sign(client, reg, latest_otp(client)).status_code == 200


def test_code_expires_after_30_minutes(client: FlaskClient, clock: ManualClock) -> None:
    reg = walk_to_documents(client)
    consent(client, reg)
    code = latest_otp(client)
    clock.advance(timedelta(minutes=30))
    problem(sign(client, reg, code), 400, "otp_expired")
    assert state_of(client, reg) == "documents_submitted"


def test_code_valid_just_before_expiry(client: FlaskClient, clock: ManualClock) -> None:
    reg = walk_to_documents(client)
    consent(client, reg)
    clock.advance(timedelta(minutes=29, seconds=59))
    assert sign(client, reg, latest_otp(client)).status_code == 200


def test_code_is_single_use(client: FlaskClient) -> None:
    reg = walk_to_documents(client)
    consent(client, reg)
    code = latest_otp(client)
    assert sign(client, reg, code).status_code == 200
    problem(sign(client, reg, code), 409, "registration_wrong_state")


def test_resend_cooldown_and_superseded_code(client: FlaskClient, clock: ManualClock) -> None:
    reg = walk_to_documents(client)
    consent(client, reg)
    first = latest_otp(client)
    path = f"/trust/v1/registrations/{reg['id']}/agreement/resend"
    body = problem(client.post(path, headers=applicant(reg["session_token"])), 429, "otp_resend_too_soon")
    assert body["retry_after"] == 60
    clock.advance(timedelta(seconds=60))
    assert client.post(path, headers=applicant(reg["session_token"])).status_code == 200
    second = latest_otp(client)
    if first != second:
        problem(sign(client, reg, first), 400, "otp_invalid")
    assert sign(client, reg, second).status_code == 200


def test_malformed_code(client: FlaskClient) -> None:
    reg = walk_to_documents(client)
    consent(client, reg)
    problem(sign(client, reg, "12ab"), 400, "otp_malformed")


def test_sign_without_consent(client: FlaskClient) -> None:
    reg = walk_to_documents(client)
    problem(sign(client, reg, "123456"), 409, "agreement_not_consented")


def test_undelivered_sms_scenario_number(client: FlaskClient) -> None:
    reg = walk_to_documents(client, email="anne.silence@cabinet-lefevre.example.com", phone_number="+33699999999")
    assert consent(client, reg).status_code == 200
    problem(client.get("/_mock/outbox/otp", query_string={"phone_number": "+33699999999"}), 404, "otp_not_found")
    message = client.get("/_mock/outbox", query_string={"recipient": "+33699999999"}).json["data"][0]
    assert message["delivered"] is False


# -- cancellation ---------------------------------------------------------------------------------------------------


def test_cancel_before_signing_only(client: FlaskClient) -> None:
    reg = walk_to_documents(client)
    path = f"/trust/v1/registrations/{reg['id']}/cancel"
    assert client.post(path, headers=applicant(reg["session_token"])).json["state"] == "cancelled"
    signed = walk_to_signed(client, email="luc.martin@cabinet-ecma.example.com", phone_number="+33623456789")
    problem(
        client.post(f"/trust/v1/registrations/{signed['id']}/cancel", headers=applicant(signed["session_token"])),
        409,
        "registration_not_cancellable",
    )
    assert state_of(client, signed) == "certificate_issued"


def test_at_most_ten_codes_per_request(client: FlaskClient, clock: ManualClock) -> None:
    reg = walk_to_documents(client)
    consent(client, reg)
    resend = f"/trust/v1/registrations/{reg['id']}/agreement/resend"
    for _ in range(9):
        clock.advance(timedelta(seconds=60))
        assert client.post(resend, headers=applicant(reg["session_token"])).status_code == 200
    clock.advance(timedelta(seconds=60))
    problem(client.post(resend, headers=applicant(reg["session_token"])), 423, "otp_code_limit_reached")
    assert len(client.get("/_mock/outbox", query_string={"channel": "sms"}).json["data"]) == 10
    assert sign(client, reg, latest_otp(client)).status_code == 200  # the last code sent still works


def test_return_url_carries_the_outcome(client: FlaskClient) -> None:
    reg = create_registration(client, redirect_url="https://integrator.example.com/back?x=1")
    view = client.get(f"/trust/v1/registrations/{reg['id']}", headers=applicant(reg["session_token"])).json
    assert "return_url" not in view
    client.post(f"/trust/v1/registrations/{reg['id']}/cancel", headers=applicant(reg["session_token"]))
    view = client.get(f"/trust/v1/registrations/{reg['id']}", headers=applicant(reg["session_token"])).json
    assert (
        view["return_url"] == f"https://integrator.example.com/back?x=1&registration_id={reg['id']}&outcome=cancelled"
    )
