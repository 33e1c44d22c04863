"""``Idempotency-Key``: a retry gets the first answer again and repeats no side effect."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mock_provider import create_app
from mock_provider.api.idempotency import scope_of
from mock_provider.app import services_of
from mock_provider.config import ConfigError, load_config
from mock_provider.core.clock import ManualClock
from mock_provider.core.models import IdempotencyRecord
from mock_provider.dev_server import make_server
from tests.helpers.mock import LiveMock, memory_config
from tests.helpers.registration import (
    OPERATOR_HEADERS,
    applicant,
    bearer,
    colour_image,
    create_registration,
    latest_otp,
    problem,
    sso_login,
    submit_identity,
    walk_to_documents,
)

MARIE = "marie.dupont@cabinet-ecma.example.com"
NEW_REGISTRATION = {"email": MARIE, "level": "qcpnqscd", "phone_number": "+33612345678"}


def key() -> str:
    return str(uuid.uuid4())


def with_key(headers: dict[str, str], idempotency_key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": idempotency_key}


def registrations(client: FlaskClient) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = client.get("/_mock/registrations").json["data"]
    return data


def sms_to(client: FlaskClient, phone: str = "+33612345678") -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = client.get("/_mock/outbox", query_string={"channel": "sms", "recipient": phone}).json[
        "data"
    ]
    return data


def consent_body(client: FlaskClient, reg: dict[str, Any]) -> dict[str, Any]:
    agreement = client.get(
        f"/trust/v1/registrations/{reg['id']}/agreement", headers=applicant(reg["session_token"])
    ).json
    return {"accept": True, "version": agreement["version"], "sha256": agreement["sha256"]}


# -- replays --------------------------------------------------------------------------------------------------------


def test_a_replayed_registration_is_the_first_answer_and_creates_nothing(client: FlaskClient) -> None:
    headers = with_key(OPERATOR_HEADERS, key())
    first = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.mimetype == "application/json"
    assert again.get_data() == first.get_data()
    assert [r["id"] for r in registrations(client)] == [first.json["id"]]
    # Without the key, the same call is a new request.
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=OPERATOR_HEADERS).status_code == 201
    assert len(registrations(client)) == 2


def test_a_replayed_consent_sends_one_sms(client: FlaskClient) -> None:
    reg = walk_to_documents(client)
    body = consent_body(client, reg)
    headers = with_key(applicant(reg["session_token"]), key())
    path = f"/trust/v1/registrations/{reg['id']}/agreement/consent"
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.json
    for _ in range(3):
        again = client.post(path, json=body, headers=headers)
        assert again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json == first.json
    assert len(sms_to(client)) == 1


def test_a_replayed_signature_issues_one_certificate(client: FlaskClient) -> None:
    reg = walk_to_documents(client)
    headers = applicant(reg["session_token"])
    assert (
        client.post(
            f"/trust/v1/registrations/{reg['id']}/agreement/consent", json=consent_body(client, reg), headers=headers
        ).status_code
        == 200
    )
    signing = with_key(headers, key())
    path = f"/trust/v1/registrations/{reg['id']}/agreement/sign"
    code = {"otp": latest_otp(client)}
    first = client.post(path, json=code, headers=signing)
    assert first.status_code == 200, first.json
    again = client.post(path, json=code, headers=signing)
    assert (again.status_code, again.json) == (200, first.json)
    assert again.headers["Idempotent-Replayed"] == "true"
    # Signed twice without the key, the second is refused: the replay did not run the call.
    assert client.post(path, json=code, headers=headers).status_code == 409
    assert client.get(f"/trust/v1/registrations/{reg['id']}", headers=headers).json["state"] == "certificate_issued"
    assert len(client.get("/_mock/certificates").json["data"]) == 1
    actions = [e["action"] for e in client.get(f"/_mock/registrations/{reg['id']}/events").json["data"]]
    assert actions.count("agreement_signed") == 1


@pytest.mark.slow
def test_a_multipart_upload_is_fingerprinted_by_its_content_and_still_parsed(client: FlaskClient) -> None:
    reg = create_registration(client)
    assert submit_identity(client, reg).status_code == 200

    def form(boundary: str, document_type: str = "id_card:fra") -> tuple[str, bytes]:
        fields = {
            "document_type": document_type,
            "document_number": "X4RTBPFW4",
            "front": FileStorage(io.BytesIO(colour_image()), "front.jpg", content_type="image/jpeg"),
            "back": FileStorage(io.BytesIO(colour_image("PNG")), "back.png", content_type="image/png"),
        }
        found, data = encode_multipart(fields, boundary=boundary)
        return f"multipart/form-data; boundary={found}", data

    path = f"/trust/v1/registrations/{reg['id']}/documents"
    headers = with_key(applicant(reg["session_token"]), key())
    content_type, data = form("jesign-boundary-1")
    first = client.post(path, data=data, content_type=content_type, headers=headers)
    assert first.status_code == 200, first.json
    assert first.json["state"] == "documents_submitted"
    again = client.post(path, data=data, content_type=content_type, headers=headers)
    assert (again.status_code, again.get_data()) == (200, first.get_data())
    assert again.headers["Idempotent-Replayed"] == "true"
    # A retry's HTTP library draws another boundary: the same fields and files are the same request.
    retry_type, retry = form("jesign-boundary-2")
    replayed = client.post(path, data=retry, content_type=retry_type, headers=headers)
    assert (replayed.status_code, replayed.get_data()) == (200, first.get_data())
    assert replayed.headers["Idempotent-Replayed"] == "true"
    # Another field value under the same key is another request.
    other_type, other = form("jesign-boundary-3", "passport:fra")
    problem(client.post(path, data=other, content_type=other_type, headers=headers), 422, "idempotency_key_reused")
    actions = [e["action"] for e in client.get(f"/_mock/registrations/{reg['id']}/events").json["data"]]
    assert actions.count("documents_submitted") == 1


def test_a_replayed_delete_answers_its_204_again(client: FlaskClient) -> None:
    auth = bearer(sso_login(client, "marie.dupont"))
    delegations = "/platform/api/v1/firms/frm_ecma/delegations"
    granted = client.post(delegations, json={"user_id": "usr_chloe_bernard", "kind": "seal"}, headers=auth)
    assert granted.status_code == 201, granted.json
    headers = with_key(auth, key())
    first = client.delete(f"{delegations}/{granted.json['id']}", headers=headers)
    assert first.status_code == 204
    again = client.delete(f"{delegations}/{granted.json['id']}", headers=headers)
    assert (again.status_code, again.get_data()) == (204, b"")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert client.delete(f"{delegations}/{granted.json['id']}", headers=auth).status_code == 404


def test_the_same_key_with_other_credentials_is_another_request(client: FlaskClient) -> None:
    shared = key()
    first = walk_to_documents(client)
    second = walk_to_documents(client, email="paul.leroy@cabinet-lefevre.example.com", phone_number="+33687654321")
    for reg in (first, second):
        answer = client.post(
            f"/trust/v1/registrations/{reg['id']}/agreement/consent",
            json=consent_body(client, reg),
            headers=with_key(applicant(reg["session_token"]), shared),
        )
        assert answer.status_code == 200
        assert "Idempotent-Replayed" not in answer.headers
    assert len(sms_to(client)) == 1
    assert len(sms_to(client, "+33687654321")) == 1


def test_a_refusal_is_replayed_too(client: FlaskClient) -> None:
    """As Stripe does: the retry of a refused call is refused the same way, even if it would now succeed."""
    reg = create_registration(client)
    body = consent_body(client, reg)
    path = f"/trust/v1/registrations/{reg['id']}/agreement/consent"
    headers = with_key(applicant(reg["session_token"]), key())
    refused = problem(client.post(path, json=body, headers=headers), 409, "registration_wrong_state")
    assert submit_identity(client, reg).status_code == 200
    again = client.post(path, json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.mimetype == "application/problem+json"
    assert problem(again, 409, "registration_wrong_state") == refused
    invalid = with_key(OPERATOR_HEADERS, key())
    first = problem(
        client.post("/trust/v1/registrations", json={"level": "qcp"}, headers=invalid), 400, "invalid_registration"
    )
    assert client.post("/trust/v1/registrations", json={"level": "qcp"}, headers=invalid).json == first
    assert sms_to(client) == []


# -- refusals of the key itself -------------------------------------------------------------------------------------


def test_the_same_key_for_another_request_is_refused(client: FlaskClient) -> None:
    reused = key()
    headers = with_key(OPERATOR_HEADERS, reused)
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers).status_code == 201
    other_body = {**NEW_REGISTRATION, "level": "lcp"}
    problem(client.post("/trust/v1/registrations", json=other_body, headers=headers), 422, "idempotency_key_reused")
    problem(
        client.post("/trust/v1/registrations?x=1", json=NEW_REGISTRATION, headers=headers),
        422,
        "idempotency_key_reused",
    )
    reg = registrations(client)[0]
    # Authentication comes before the key: the operator's credentials do not open an applicant's route.
    problem(client.post(f"/trust/v1/registrations/{reg['id']}/cancel", headers=headers), 404, "registration_not_found")
    assert len(registrations(client)) == 1
    assert registrations(client)[0]["state"] == "created"
    # The first request still replays.
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers).headers["Idempotent-Replayed"]


def hold(app: Flask, held_key: str, *, lease_left: timedelta, body: dict[str, Any] | None = None) -> bytes:
    """The record a request leaves while it is being answered (or after its process was killed), holding
    ``held_key`` for the operator's ``POST /trust/v1/registrations`` of ``body``; answer that body's bytes."""
    raw = json.dumps(body or NEW_REGISTRATION).encode()
    with services_of(app).db.transaction() as session:
        session.add(
            IdempotencyRecord(
                scope=scope_of(OPERATOR_HEADERS["Authorization"]),
                key=held_key,
                method="POST",
                path="/trust/v1/registrations",
                fingerprint=hashlib.sha256(raw).hexdigest(),
                created_at=services_of(app).clock.now(),
                in_progress=True,
                owner="a-request-still-running",
                lease_expires_at=datetime.now(UTC) + lease_left,
            )
        )
    return raw


def test_a_request_still_in_progress_answers_409(app: Flask, client: FlaskClient, clock: ManualClock) -> None:
    busy = key()
    raw = hold(app, busy, lease_left=timedelta(minutes=1))
    headers = with_key(OPERATOR_HEADERS, busy)
    answer = client.post("/trust/v1/registrations", data=raw, content_type="application/json", headers=headers)
    problem(answer, 409, "idempotency_request_in_progress")
    assert answer.headers["Retry-After"] == "1"
    # Another body with that key is a reuse, whatever the first request's progress.
    other = {**NEW_REGISTRATION, "level": "lcp"}
    problem(client.post("/trust/v1/registrations", json=other, headers=headers), 422, "idempotency_key_reused")
    # The lease runs on the wall clock: moving the mock clock (short of the 24 hours' retention) does not end it.
    clock.advance(timedelta(hours=23))
    answer = client.post("/trust/v1/registrations", data=raw, content_type="application/json", headers=headers)
    problem(answer, 409, "idempotency_request_in_progress")
    assert registrations(client) == []


def test_a_retry_after_a_crashed_request_runs_once_its_lease_has_ended(app: Flask, client: FlaskClient) -> None:
    """What a ``kill -9`` during a request leaves: a record in progress that nobody will complete. Its lease ended
    (on the wall clock, although the mock clock stands still), so the retry takes the key over and runs."""
    crashed = key()
    raw = hold(app, crashed, lease_left=-timedelta(seconds=1))
    headers = with_key(OPERATOR_HEADERS, crashed)
    retried = client.post("/trust/v1/registrations", data=raw, content_type="application/json", headers=headers)
    assert retried.status_code == 201, retried.json
    assert "Idempotent-Replayed" not in retried.headers
    again = client.post("/trust/v1/registrations", data=raw, content_type="application/json", headers=headers)
    assert (again.status_code, again.get_data()) == (201, retried.get_data())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [r["id"] for r in registrations(client)] == [retried.json["id"]]
    # Past its lease too, a key belongs to its first request's method, path and body.
    stale = key()
    hold(app, stale, lease_left=-timedelta(seconds=1))
    other = {**NEW_REGISTRATION, "level": "lcp"}
    reused = with_key(OPERATOR_HEADERS, stale)
    problem(client.post("/trust/v1/registrations", json=other, headers=reused), 422, "idempotency_key_reused")
    assert len(registrations(client)) == 1


def test_the_lease_is_a_setting(clock: ManualClock) -> None:
    app = create_app(memory_config(idempotency_lease_seconds=3600), clock=clock)
    try:
        client = app.test_client()
        answer = client.post(
            "/trust/v1/registrations", json=NEW_REGISTRATION, headers=with_key(OPERATOR_HEADERS, key())
        )
        assert answer.status_code == 201
        with services_of(app).db.transaction() as session:
            record = session.scalars(select(IdempotencyRecord)).one()
            lease = record.lease_expires_at - datetime.now(UTC)
        assert timedelta(minutes=59) < lease <= timedelta(hours=1)
    finally:
        services_of(app).close()
    with pytest.raises(ConfigError):
        load_config({"idempotency_lease_seconds": 0}, environ={})


def test_records_expire_after_24_hours_on_the_mock_clock(client: FlaskClient, clock: ManualClock) -> None:
    headers = with_key(OPERATOR_HEADERS, key())
    first = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
    clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers).get_data() == first.get_data()
    clock.advance(timedelta(seconds=1))
    later = client.post("/trust/v1/registrations", json={**NEW_REGISTRATION, "level": "lcp"}, headers=headers)
    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later.headers
    assert later.json["id"] != first.json["id"]
    assert len(registrations(client)) == 2


@pytest.mark.parametrize("bad", ["", "x" * 256, "cl\u00e9", "tab\there"])
def test_a_malformed_key_is_refused(client: FlaskClient, bad: str) -> None:
    headers = {**OPERATOR_HEADERS, "Idempotency-Key": bad}
    problem(
        client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers), 400, "invalid_idempotency_key"
    )
    assert registrations(client) == []


def test_a_key_of_255_printable_characters_is_accepted(client: FlaskClient) -> None:
    headers = with_key(OPERATOR_HEADERS, ("a ~!" * 64)[:255])
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers).status_code == 201
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers).headers["Idempotent-Replayed"]


def test_gets_and_the_control_plane_ignore_the_key(client: FlaskClient) -> None:
    headers = {"Idempotency-Key": ""}
    assert (
        client.get(
            "/trust/v1/accounts/match", query_string={"email": MARIE}, headers={**OPERATOR_HEADERS, **headers}
        ).status_code
        == 404
    )
    scenario = {"kind": "sms_undelivered"}
    for _ in range(2):
        answer = client.post("/_mock/scenarios", json=scenario, headers={"Idempotency-Key": "same"})
        assert answer.status_code == 201
        assert "Idempotent-Replayed" not in answer.headers
    assert len(client.get("/_mock/scenarios").json["data"]) == 2


# -- routing and authentication come first ------------------------------------------------------------------------


def records(app: Flask) -> int:
    with services_of(app).db.transaction() as session:
        return len(session.scalars(select(IdempotencyRecord)).all())


def test_no_route_and_a_wrong_method_answer_404_and_405_whatever_the_key(app: Flask, client: FlaskClient) -> None:
    used = with_key(OPERATOR_HEADERS, key())
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=used).status_code == 201
    assert records(app) == 1
    # The same key on a route that does not exist, or with a method the route does not take: no 422.
    problem(client.post("/trust/v1/nowhere", json=NEW_REGISTRATION, headers=used), 404, "not_found")
    refused = client.delete("/trust/v1/registrations", headers=used)
    problem(refused, 405, "method_not_allowed")
    assert "POST" in refused.headers["Allow"]
    problem(client.post("/trust/v1/nowhere", json={}, headers=with_key(OPERATOR_HEADERS, "")), 404, "not_found")
    # Nothing of theirs was kept: a new key on a wrong route leaves no record either.
    fresh = with_key(OPERATOR_HEADERS, key())
    problem(client.post("/platform/api/v1/nowhere", headers=fresh), 404, "not_found")
    assert records(app) == 1
    assert len(registrations(client)) == 1


@pytest.mark.parametrize(
    ("path", "credentials", "code"),
    [
        ("/trust/v1/registrations", {}, "operator_authentication_required"),
        ("/trust/v1/registrations", {"Authorization": "Basic " + "am9objpkb2U="}, "operator_authentication_failed"),
        ("/platform/api/v1/registration/profile", {}, "invalid_token"),
        ("/platform/api/v1/registration/profile", {"Authorization": "Bearer forged"}, "invalid_token"),
        ("/trust/csc/v2/credentials/sendOTP", {"Authorization": "Bearer forged"}, "invalid_token"),
        ("/trust/v1/registrations/reg_unknown/cancel", {"Authorization": "Bearer forged"}, "registration_not_found"),
    ],
    ids=["trust-none", "trust-wrong", "platform-none", "platform-forged", "csc-forged", "applicant-forged"],
)
def test_an_anonymous_call_is_refused_as_such_and_never_kept(
    app: Flask, client: FlaskClient, path: str, credentials: dict[str, str], code: str
) -> None:
    status = 404 if code == "registration_not_found" else 401
    reused = key()
    # A key already used by the operator, then the same key without valid credentials: 401 (or 404), not 422.
    assert (
        client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=with_key(OPERATOR_HEADERS, reused))
    ).status_code == 201
    for attempt in ({**credentials, "Idempotency-Key": reused}, {**credentials, "Idempotency-Key": key()}):
        for _ in range(2):
            answer = client.post(path, json={"mobile_number": "0612345678"}, headers=attempt)
            problem(answer, status, code)
            assert "Idempotent-Replayed" not in answer.headers
    # A malformed key is not even looked at.
    problem(client.post(path, json={}, headers={**credentials, "Idempotency-Key": ""}), status, code)
    assert records(app) == 1
    assert len(registrations(client)) == 1


# -- what is not kept: the retry runs again -------------------------------------------------------------------------


def test_a_failure_before_processing_is_not_kept(client: FlaskClient) -> None:
    scenario = {"kind": "route_error", "target": "POST /trust/v1/registrations", "value": 503}
    assert client.post("/_mock/scenarios", json=scenario).status_code == 201
    headers = with_key(OPERATOR_HEADERS, key())
    problem(
        client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers), 503, "scenario_injected_failure"
    )
    retried = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers).headers["Idempotent-Replayed"]
    assert len(registrations(client)) == 1


def test_a_429_is_not_kept(client: FlaskClient, clock: ManualClock) -> None:
    reg = walk_to_documents(client)
    as_applicant = applicant(reg["session_token"])
    path = f"/trust/v1/registrations/{reg['id']}"
    assert (
        client.post(f"{path}/agreement/consent", json=consent_body(client, reg), headers=as_applicant).status_code
        == 200
    )
    resend = with_key(as_applicant, key())
    problem(client.post(f"{path}/agreement/resend", headers=resend), 429, "otp_resend_too_soon")
    clock.advance(timedelta(minutes=2))
    sent = client.post(f"{path}/agreement/resend", headers=resend)
    assert sent.status_code == 200, sent.json
    assert "Idempotent-Replayed" not in sent.headers
    assert client.post(f"{path}/agreement/resend", headers=resend).headers["Idempotent-Replayed"] == "true"
    assert len(sms_to(client)) == 2


def test_idempotency_holds_without_the_control_plane(clock: ManualClock) -> None:
    app = create_app(memory_config(control_plane=False), clock=clock)
    try:
        client = app.test_client()
        headers = with_key(OPERATOR_HEADERS, key())
        first = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
        again = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_data() == first.get_data()
    finally:
        services_of(app).close()


def test_a_reset_forgets_the_keys(client: FlaskClient) -> None:
    headers = with_key(OPERATOR_HEADERS, key())
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers).status_code == 201
    assert client.post("/_mock/reset").status_code == 200
    again = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers


# -- concurrent duplicates, over HTTP against a database file ---------------------------------------------------------


@pytest.fixture
def file_mock(tmp_path: Path, clock: ManualClock) -> Iterator[LiveMock]:
    """The mock served by a threaded server on a database file: an in-memory database takes its transactions one
    at a time (see storage), which would hide races."""
    app = create_app(memory_config(database_url=f"sqlite:///{tmp_path / 'mock.db'}"), clock=clock)
    server = make_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveMock(app, server)
    finally:
        server.shutdown()
        thread.join(5)
        services_of(app).close()


def post_together(url: str, body: bytes, headers: dict[str, str], count: int = 8) -> list[requests.Response]:
    """``count`` identical requests, released at once from as many threads."""
    answers: list[requests.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def post() -> None:
        start.wait()
        answer = requests.post(url, data=body, headers={**headers, "Content-Type": "application/json"}, timeout=60)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=post) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert len(answers) == count
    return answers


def run_once(answers: list[requests.Response]) -> dict[str, Any]:
    """The one answer that ran the call, once every other is a 409 in progress or its replay."""
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    assert all(a.json()["code"] == "idempotency_request_in_progress" for a in answers if a.status_code == 409)
    originals = [a for a in answers if a.status_code == 201 and "Idempotent-Replayed" not in a.headers]
    assert len(originals) == 1, [a.text for a in answers]
    replays = [a for a in answers if a.status_code == 201 and a is not originals[0]]
    assert all(a.content == originals[0].content for a in replays)
    first: dict[str, Any] = originals[0].json()
    return first


def test_concurrent_duplicates_run_the_call_once(file_mock: LiveMock) -> None:
    headers = with_key(OPERATOR_HEADERS, key())
    created = run_once(
        post_together(f"{file_mock.url}/trust/v1/registrations", json.dumps(NEW_REGISTRATION).encode(), headers)
    )
    listed = requests.get(f"{file_mock.url}/_mock/registrations", timeout=30).json()["data"]
    assert [r["id"] for r in listed] == [created["id"]]


def test_concurrent_retries_after_a_crash_take_the_key_over_once(file_mock: LiveMock) -> None:
    crashed = key()
    raw = hold(file_mock.app, crashed, lease_left=-timedelta(seconds=1))
    created = run_once(
        post_together(f"{file_mock.url}/trust/v1/registrations", raw, with_key(OPERATOR_HEADERS, crashed))
    )
    listed = requests.get(f"{file_mock.url}/_mock/registrations", timeout=30).json()["data"]
    assert [r["id"] for r in listed] == [created["id"]]
    with file_mock.services.db.transaction() as session:
        record = session.scalars(select(IdempotencyRecord)).one()
        assert (record.in_progress, record.status) == (False, 201)


#: A mock served in its own process whose registrations hang, so that it can be killed in the middle of one.
_HANGING_MOCK = """
import json, sys, time
from mock_provider.dev_server import make_server
from mock_provider import create_app
from mock_provider.core.registration import Registrations

def hang(*args, **kwargs):
    time.sleep(120)

Registrations.create_registration = hang
server = make_server(create_app(json.loads(sys.argv[1])))
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.mark.slow
def test_a_retry_after_kill_9_runs_again(tmp_path: Path, clock: ManualClock) -> None:
    """The issue as observed: a process killed during a request must not leave its key blocked for 24 hours."""
    config = memory_config(database_url=f"sqlite:///{tmp_path / 'mock.db'}", idempotency_lease_seconds=1)
    app = create_app(config, clock=clock)  # the schema and the hierarchy, before the other process starts
    child = subprocess.Popen(
        [sys.executable, "-c", _HANGING_MOCK, json.dumps(config)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        url = f"http://127.0.0.1:{child.stdout.readline().strip()}"
        headers = with_key(OPERATOR_HEADERS, key())

        def doomed() -> None:
            with contextlib.suppress(requests.ConnectionError):
                requests.post(f"{url}/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers, timeout=60)

        caller = threading.Thread(target=doomed)
        caller.start()
        deadline = time.monotonic() + 30
        while records(app) == 0:
            assert time.monotonic() < deadline, "the hanging request never claimed its key"
            time.sleep(0.05)
        child.kill()  # SIGKILL: no teardown, no release
        child.wait(10)
        caller.join(10)
        with services_of(app).db.transaction() as session:
            left = session.scalars(select(IdempotencyRecord)).one()
            assert left.in_progress
            lease_end = left.lease_expires_at
        time.sleep(max(0.0, (lease_end - datetime.now(UTC)).total_seconds()) + 0.1)
        # A new process on the same database (here, this one) runs the retry.
        client = app.test_client()
        retried = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
        assert retried.status_code == 201, retried.json
        assert "Idempotent-Replayed" not in retried.headers
        assert [r["id"] for r in registrations(client)] == [retried.json["id"]]
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
        services_of(app).close()
