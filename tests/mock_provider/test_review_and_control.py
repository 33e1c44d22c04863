"""Step 5 (the review) and the control plane: queue, clock, scenarios, outbox, history, reset, switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from tests.helpers.mock import AppPool, memory_config
from tests.helpers.registration import (
    OPERATOR_HEADERS,
    applicant,
    consent,
    create_registration,
    latest_otp,
    problem,
    sign,
    walk_to_documents,
    walk_to_signed,
)

MARIE = "marie.dupont@cabinet-ecma.example.com"


@pytest.fixture
def manual_app(app_pool: AppPool, clock: ManualClock) -> Flask:
    return app_pool.app(review_mode="manual")


def test_manual_review_queue_approve(manual_app: Flask) -> None:
    client = manual_app.test_client()
    reg = walk_to_signed(client)
    queue = client.get("/_mock/reviews").json["data"]
    assert [r["id"] for r in queue] == [reg["id"]]
    assert queue[0]["state"] == "pending_validation"
    assert queue[0]["review_due_at"] is None
    mails = client.get("/_mock/outbox", query_string={"channel": "email", "recipient": MARIE}).json["data"]
    assert [m["subject"] for m in mails] == ["Demande en cours de traitement"]
    approved = client.post(f"/_mock/reviews/{reg['id']}/approve")
    assert approved.status_code == 200
    assert approved.json["state"] == "certificate_issued"
    assert client.get("/_mock/reviews").json["data"] == []
    problem(client.post(f"/_mock/reviews/{reg['id']}/approve"), 409, "registration_wrong_state")
    certificate = client.get(
        f"/trust/v1/registrations/{reg['id']}/certificate", headers=applicant(reg["session_token"])
    ).json
    assert (
        "serialNumber=IDCFR-X4RTBPFW4" in certificate["subject"] or "2.5.4.5=IDCFR-X4RTBPFW4" in certificate["subject"]
    )


def test_manual_review_reject_with_reason_and_email(manual_app: Flask) -> None:
    client = manual_app.test_client()
    reg = walk_to_signed(client)
    problem(
        client.post(f"/_mock/reviews/{reg['id']}/reject", json={"reason": "bad mood"}), 400, "invalid_rejection_reason"
    )
    assert client.get("/_mock/reviews").json["data"][0]["id"] == reg["id"]
    rejected = client.post(f"/_mock/reviews/{reg['id']}/reject", json={"reason": "document_expired"})
    assert rejected.json["state"] == "rejected"
    assert rejected.json["rejection_reason"] == "document_expired"
    mail = client.get("/_mock/outbox", query_string={"channel": "email", "recipient": MARIE}).json["data"][0]
    assert "document_expired" in mail["body"]
    problem(
        client.get(f"/trust/v1/registrations/{reg['id']}/certificate", headers=applicant(reg["session_token"])),
        404,
        "certificate_not_issued",
    )
    problem(
        client.get("/trust/v1/accounts/match", query_string={"email": MARIE}, headers=OPERATOR_HEADERS),
        404,
        "account_not_found",
    )


def test_rejected_surname_scenario(client: FlaskClient) -> None:
    reg = walk_to_signed(client, email="jean.rejet@cabinet-lefevre.example.com", phone_number="+33656789012")
    view = client.get(f"/trust/v1/registrations/{reg['id']}", headers=applicant(reg["session_token"])).json
    assert view["state"] == "rejected"
    assert view["rejection_reason"] == "document_unreadable"


def test_queued_review_rejection(client: FlaskClient) -> None:
    assert (
        client.post("/_mock/scenarios", json={"kind": "review_reject", "target": "identity_mismatch"}).status_code
        == 201
    )
    reg = walk_to_signed(client)
    view = client.get(f"/trust/v1/registrations/{reg['id']}", headers=applicant(reg["session_token"])).json
    assert (view["state"], view["rejection_reason"]) == ("rejected", "identity_mismatch")
    assert client.get("/_mock/scenarios").json["data"] == []  # one-shot
    again = walk_to_signed(client, email="luc.martin@cabinet-ecma.example.com", phone_number="+33623456789")
    assert (
        client.get(f"/trust/v1/registrations/{again['id']}", headers=applicant(again["session_token"])).json["state"]
        == "certificate_issued"
    )


def test_queued_review_delay(client: FlaskClient, clock: ManualClock) -> None:
    assert client.post("/_mock/scenarios", json={"kind": "review_delay", "value": 3600}).status_code == 201
    reg = walk_to_signed(client)
    url, auth = f"/trust/v1/registrations/{reg['id']}", applicant(reg["session_token"])
    view = client.get(url, headers=auth).json
    assert view["state"] == "pending_validation"
    assert datetime.fromisoformat(view["review_due_at"]) == clock.now() + timedelta(hours=1)
    clock.advance(timedelta(seconds=3599))
    assert client.get(url, headers=auth).json["state"] == "pending_validation"
    clock.advance(timedelta(seconds=1))
    assert client.get(url, headers=auth).json["state"] == "certificate_issued"


def test_queued_undelivered_sms(client: FlaskClient) -> None:
    client.post("/_mock/scenarios", json={"kind": "sms_undelivered"})
    reg = walk_to_documents(client)
    consent(client, reg)
    problem(client.get("/_mock/outbox/otp", query_string={"phone_number": "+33612345678"}), 404, "otp_not_found")


def test_queued_route_error_changes_nothing(client: FlaskClient) -> None:
    reg = create_registration(client)
    target = f"POST /trust/v1/registrations/{reg['id']}/identity"
    queued = client.post("/_mock/scenarios", json={"kind": "route_error", "target": target, "value": 503})
    assert queued.status_code == 201
    body = {"birth_date": "1980-04-12", "accept_terms": True, "accept_privacy_policy": True}
    path = f"/trust/v1/registrations/{reg['id']}/identity"
    failed = client.post(path, json=body, headers=applicant(reg["session_token"]))
    problem(failed, 503, "scenario_injected_failure")
    assert failed.headers["Retry-After"] == "1"
    view = client.get(f"/trust/v1/registrations/{reg['id']}", headers=applicant(reg["session_token"])).json
    assert view["state"] == "created"
    assert client.post(path, json=body, headers=applicant(reg["session_token"])).status_code == 200


def test_queued_route_delay(client: FlaskClient) -> None:
    import time

    client.post("/_mock/scenarios", json={"kind": "route_delay", "target": "GET /healthz", "value": 300})
    started = time.perf_counter()
    assert client.get("/healthz").status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    client.get("/healthz")
    assert time.perf_counter() - started < 0.3


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "earthquake"},
        {"kind": "route_error", "target": "nowhere"},
        {"kind": "route_delay", "target": "GET /x", "value": 999999},
        {"kind": "review_reject", "target": "cosmic rays"},
        {"kind": "review_delay"},
        {"kind": "review_delay", "value": 86401},
        {"kind": "route_error", "target": "GET /x", "value": 200},
    ],
)
def test_bad_scenarios_are_refused(client: FlaskClient, body: dict[str, Any]) -> None:
    problem(client.post("/_mock/scenarios", json=body), 400, "invalid_scenario")
    assert client.get("/_mock/scenarios").json["data"] == []


def test_clock_read_set_advance(client: FlaskClient, clock: ManualClock) -> None:
    assert client.get("/_mock/clock").json == {"now": clock.now().isoformat(), "frozen": True}
    target = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (
        client.post("/_mock/clock", json={"now": target.isoformat(), "frozen": True}).json["now"] == target.isoformat()
    )
    advanced = client.post("/_mock/clock/advance", json={"seconds": 90}).json
    assert advanced["now"] == (target + timedelta(seconds=90)).isoformat()
    problem(client.post("/_mock/clock", json={"now": "tomorrow"}), 400, "invalid_clock")
    problem(client.post("/_mock/clock", json={"now": "2030-01-01T00:00:00"}), 400, "invalid_clock")
    problem(client.post("/_mock/clock/advance", json={"seconds": "soon"}), 400, "invalid_clock")
    assert clock.now() == target + timedelta(seconds=90)
    back = client.delete("/_mock/clock").json  # back to real time: the wall clock, running
    assert back["frozen"] is False
    assert abs(datetime.fromisoformat(back["now"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_stored_clock_is_shared_by_apps_on_one_database(tmp_path: Any) -> None:
    """Worker processes each build an app on the same database: moving the clock in one moves it in all."""
    config = {"data_dir": str(tmp_path), "public_base_url": "http://pki.jesign-mock.example.com"}
    first, second = create_app(config), create_app(config)
    try:
        target = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
        first.test_client().post("/_mock/clock", json={"now": target.isoformat(), "frozen": True})
        assert second.test_client().get("/_mock/clock").json == {"now": target.isoformat(), "frozen": True}
        second.test_client().post("/_mock/clock/advance", json={"seconds": 60})
        assert services_of(first).clock.now() == target + timedelta(seconds=60)
        first.test_client().post("/_mock/clock", json={"now": datetime.now(UTC).isoformat()})
        assert abs(services_of(second).clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
        assert services_of(second).clock.frozen is False
        first.test_client().post("/_mock/clock/advance", json={"seconds": -86400})
        second.test_client().delete("/_mock/clock")
        assert abs(services_of(first).clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    finally:
        services_of(first).close()
        services_of(second).close()


def test_request_history(client: FlaskClient) -> None:
    client.get("/healthz", headers={"X-Request-Id": "trace-1"})
    client.get("/nowhere")
    history = client.get("/_mock/requests").json["data"]
    assert [(r["method"], r["path"], r["status"]) for r in history[:2]] == [
        ("GET", "/nowhere", 404),
        ("GET", "/healthz", 200),
    ]
    assert history[1]["request_id"] == "trace-1"
    assert all(not r["path"].startswith("/_mock") for r in history)


def test_certificates_listed_and_revoked(client: FlaskClient) -> None:
    reg = walk_to_signed(client)
    listed = client.get("/_mock/certificates").json["data"]
    assert len(listed) == 1
    problem(
        client.post(f"/_mock/certificates/{listed[0]['id']}/revoke", json={"reason": "boredom"}),
        400,
        "invalid_revocation_reason",
    )
    revoked = client.post(f"/_mock/certificates/{listed[0]['id']}/revoke", json={"reason": "key_compromise"})
    assert revoked.json["reason"] == "key_compromise"
    match = client.get("/trust/v1/accounts/match", query_string={"email": MARIE}, headers=OPERATOR_HEADERS).json
    assert match["status"] == "revoked"
    cert = client.get(f"/trust/v1/registrations/{reg['id']}/certificate", headers=applicant(reg["session_token"])).json
    assert cert["status"] == "revoked"


def test_reset_back_to_the_seed(client: FlaskClient, app: Flask) -> None:
    root = client.get("/pki/ca/root.cer").data
    reg = walk_to_documents(client)
    consent(client, reg)
    client.post("/_mock/scenarios", json={"kind": "sms_undelivered"})
    client.post("/_mock/clock", json={"now": "2030-01-01T00:00:00Z", "frozen": True})
    assert client.post("/_mock/reset").json == {"status": "reset"}
    after = client.get("/_mock/clock").json  # the clock back to real time
    assert after["frozen"] is False
    assert abs(datetime.fromisoformat(after["now"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert client.get("/_mock/registrations").json["data"] == []
    assert client.get("/_mock/outbox").json["data"] == []
    assert client.get("/_mock/scenarios").json["data"] == []
    assert client.get("/pki/ca/root.cer").data == root
    problem(
        client.get(f"/trust/v1/registrations/{reg['id']}", headers=applicant(reg["session_token"])),
        404,
        "registration_not_found",
    )
    assert create_registration(client)["state"] == "created"


def test_control_plane_off_answers_404(clock: ManualClock) -> None:
    app = create_app(memory_config(control_plane=False), clock=clock)
    client = app.test_client()
    try:
        for path in ("/_mock/outbox", "/_mock/clock", "/_mock/reviews", "/_mock/requests"):
            problem(client.get(path), 404, "not_found")
        problem(client.post("/_mock/reset"), 404, "not_found")
        assert "control" not in client.get("/").json["parties"]
    finally:
        services_of(app).close()


def test_events_are_append_only_and_ordered(client: FlaskClient) -> None:
    reg = walk_to_documents(client)
    consent(client, reg)
    sign(client, reg, "000000" if latest_otp(client) != "000000" else "111111")
    sign(client, reg, latest_otp(client))
    log = client.get(f"/trust/v1/registrations/{reg['id']}/events", headers=applicant(reg["session_token"])).json[
        "data"
    ]
    actions = [e["action"] for e in log]
    assert actions[:4] == ["created", "identity_submitted", "documents_submitted", "agreement_consented"]
    assert actions[4:] == ["otp_refused", "agreement_signed", "submitted_for_review", "issued", "approved"]
    assert all(e["actor"] for e in log)
    assert [e["to_state"] for e in log if e["action"] == "identity_submitted"] == ["identity_submitted"]


def test_the_applicant_is_sent_back_while_the_review_is_pending(manual_app: Flask) -> None:
    client = manual_app.test_client()
    reg = walk_to_signed(client, redirect_url="https://integrator.example.com/back")
    view = client.get(f"/trust/v1/registrations/{reg['id']}", headers=applicant(reg["session_token"])).json
    assert view["state"] == "pending_validation"
    assert view["return_url"] == (
        f"https://integrator.example.com/back?registration_id={reg['id']}&outcome=pending_validation"
    )
