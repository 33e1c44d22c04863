"""The control plane's standing fault policy: delays, failures before and after processing, and idempotent retries."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_provider.api import faults
from mock_provider.core.misbehaviour.faults import matches
from tests.helpers.openapi import Contract, served
from tests.helpers.registration import OPERATOR_HEADERS, problem
from tests.helpers.serve import serving

NEW_REGISTRATION = {
    "email": "marie.dupont@cabinet-ecma.example.com",
    "level": "qcpnqscd",
    "phone_number": "+33612345678",
}


def set_policy(client: FlaskClient, **policy: Any) -> dict[str, Any]:
    answer = client.put("/_mock/faults", json=policy)
    assert answer.status_code == 200, answer.json
    body: dict[str, Any] = answer.json
    return body


def registrations(client: FlaskClient) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = client.get("/_mock/registrations").json["data"]
    return data


# -- the policy -----------------------------------------------------------------------------------------------------


def test_read_set_and_clear_the_policy(client: FlaskClient) -> None:
    none = client.get("/_mock/faults").json
    assert none == {
        "id": None,
        "active": False,
        "error_rate": 0.0,
        "status": 503,
        "delay_ms_min": 0,
        "delay_ms_max": 0,
        "after_processing_rate": 0.0,
        "retry_after": None,
        "routes": ["/platform/api/v1/*", "/trust/v1/*", "/sso/*"],
        "seed": None,
        "count": None,
        "updated_at": None,
        "added": [],
    }
    policy = {
        "error_rate": 0.1,
        "status": 503,
        "delay_ms_max": 50,
        "after_processing_rate": 0.5,
        "retry_after": 2,
        "routes": ["/platform/api/v1/*", "/trust/v1/*", "/sso/*"],
        "seed": 42,
    }
    stored = set_policy(client, **policy)
    assert stored["active"] is True
    assert stored["updated_at"]
    assert {k: stored[k] for k in policy} == policy
    assert client.get("/_mock/faults").json == stored
    # A new PUT replaces the whole policy; absent fields take their defaults.
    replaced = set_policy(client, error_rate=1)
    assert (replaced["error_rate"], replaced["delay_ms_max"], replaced["seed"], replaced["retry_after"]) == (
        1.0,
        0,
        None,
        None,
    )
    assert client.delete("/_mock/faults").status_code == 204
    assert client.delete("/_mock/faults").status_code == 204
    assert client.get("/_mock/faults").json == none


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"error_rate": 1.5}, "error_rate"),
        ({"error_rate": -0.1}, "error_rate"),
        ({"error_rate": True}, "error_rate"),
        ({"after_processing_rate": "0.5"}, "after_processing_rate"),
        ({"status": 404}, "status"),
        ({"status": 600}, "status"),
        ({"status": 503.0}, "status"),
        ({"delay_ms_max": 10_001}, "delay_ms_max"),
        ({"delay_ms_max": -1}, "delay_ms_max"),
        ({"routes": "/trust/v1/*"}, "routes"),
        ({"routes": []}, "routes"),
        ({"routes": ["trust/*"]}, "routes"),
        ({"seed": "42"}, "seed"),
        ({"retry_after": -1}, "retry_after"),
        ({"retry_after": 3601}, "retry_after"),
        ({"retry_after": 1.5}, "retry_after"),
        ({"rate": 0.5}, "rate"),
    ],
)
def test_an_invalid_policy_is_refused(client: FlaskClient, body: dict[str, Any], field: str) -> None:
    refused = problem(client.put("/_mock/faults", json=body), 400, "invalid_fault_policy")
    assert [e["field"] for e in refused["errors"]] == [field]
    assert client.get("/_mock/faults").json["active"] is False


@pytest.mark.parametrize("status", [408, 429, 500, 599])
def test_the_allowed_statuses(client: FlaskClient, status: int) -> None:
    set_policy(client, error_rate=1, status=status)
    answer = problem(client.get("/platform/api/v1/me"), status, "fault_injected")
    assert answer["status"] == status


def test_a_body_that_is_not_json_is_refused(client: FlaskClient) -> None:
    problem(client.put("/_mock/faults", data="error_rate=1"), 400, "invalid_json")


def test_the_control_plane_answers_follow_the_document(app: Flask, client: FlaskClient) -> None:
    contract = Contract(app, served(client))
    contract.check(client.get("/_mock/faults"), 200)
    contract.check(client.put("/_mock/faults", json={"error_rate": 2}), 400)
    contract.check(client.put("/_mock/faults", json={"error_rate": 1, "routes": ["/trust/v1/*"], "seed": 7}), 200)
    contract.check(client.get("/_mock/faults"), 200)
    injected = contract.check(
        client.post("/trust/v1/registrations", json={}, headers=OPERATOR_HEADERS), 503, default=True
    )
    assert injected["phase"] == "before_processing"
    contract.check(client.delete("/_mock/faults"), 204)
    reused = str(uuid.uuid4())
    headers = {**OPERATOR_HEADERS, "Idempotency-Key": reused}
    contract.check(client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers), 201)
    contract.check(client.post("/trust/v1/registrations", json={}, headers=headers), 422)
    bad = {**OPERATOR_HEADERS, "Idempotency-Key": ""}
    contract.check(client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=bad), 400)


# -- failures -------------------------------------------------------------------------------------------------------


def test_a_failure_before_processing_changes_nothing(client: FlaskClient) -> None:
    set_policy(client, error_rate=1.0, after_processing_rate=0.0)
    answer = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=OPERATOR_HEADERS)
    body = problem(answer, 503, "fault_injected")
    assert body["phase"] == "before_processing"
    assert answer.mimetype == "application/problem+json"
    assert answer.headers["Retry-After"] in ("0", "1")
    assert answer.headers["X-Request-Id"] == body["request_id"]
    problem(client.get("/sso/.well-known/openid-configuration"), 503, "fault_injected")
    assert registrations(client) == []
    history = client.get("/_mock/requests").json["data"]
    assert history[0]["status"] == 503


@pytest.mark.parametrize("seconds", [0, 7, 3600])
def test_a_rule_s_retry_after_is_what_its_failures_say(client: FlaskClient, seconds: int) -> None:
    assert set_policy(client, error_rate=1.0, retry_after=seconds)["retry_after"] == seconds
    for _ in range(4):
        answer = client.get("/sso/.well-known/openid-configuration")
        problem(answer, 503, "fault_injected")
        assert answer.headers["Retry-After"] == str(seconds)


def test_a_failure_after_processing_took_effect_and_the_retry_gets_the_real_answer(client: FlaskClient) -> None:
    set_policy(client, error_rate=1.0, after_processing_rate=1.0)
    headers = {**OPERATOR_HEADERS, "Idempotency-Key": str(uuid.uuid4())}
    answer = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
    assert problem(answer, 503, "fault_injected")["phase"] == "after_processing"
    assert "Idempotent-Replayed" not in answer.headers
    created = registrations(client)
    assert len(created) == 1  # the call took effect, though the caller saw a 503
    assert client.get("/_mock/requests").json["data"][0]["status"] == 503
    # Still failing: the replay is hit too, and nothing runs again.
    problem(client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers), 503, "fault_injected")
    assert client.delete("/_mock/faults").status_code == 204
    retried = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json["id"] == created[0]["id"]
    assert "session_token" in retried.json
    assert len(registrations(client)) == 1


def test_a_failure_before_processing_leaves_the_key_free(client: FlaskClient) -> None:
    set_policy(client, error_rate=1.0)
    headers = {**OPERATOR_HEADERS, "Idempotency-Key": str(uuid.uuid4())}
    problem(client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers), 503, "fault_injected")
    client.delete("/_mock/faults")
    retried = client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=headers)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert len(registrations(client)) == 1


def test_the_control_plane_and_unmatched_routes_are_exempt(client: FlaskClient) -> None:
    set_policy(client, error_rate=1.0, routes=["/*"])
    assert client.get("/_mock/clock").status_code == 200
    assert client.get("/_mock/faults").json["active"] is True
    problem(client.get("/healthz"), 503, "fault_injected")
    set_policy(client, error_rate=1.0, routes=["/platform/api/v1/*"])
    assert client.post("/trust/v1/registrations", json=NEW_REGISTRATION, headers=OPERATOR_HEADERS).status_code == 201
    problem(client.get("/platform/api/v1/me"), 503, "fault_injected")
    assert client.delete("/_mock/faults").status_code == 204
    assert client.get("/healthz").status_code == 200


def test_ocsp_is_never_faulted() -> None:
    routes = ("/*",)
    assert not matches(routes, "GET", "/pki/ocsp")
    assert not matches(routes, "GET", "/pki/ocsp/MEUwQzBBMD8")
    assert not matches(routes, "GET", "/_mock/faults")
    assert matches(routes, "GET", "/pki/crl/root.crl")


def test_a_reset_clears_the_policy(client: FlaskClient) -> None:
    set_policy(client, error_rate=1.0)
    assert client.post("/_mock/reset").status_code == 200
    assert client.get("/_mock/faults").json["active"] is False
    assert client.get("/platform/api/v1/me").status_code == 401


# -- delays and the random sequence ---------------------------------------------------------------------------------


def test_delays_are_bounded(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(faults.time, "sleep", slept.append)
    set_policy(client, delay_ms_max=40, routes=["/healthz"], seed=3)
    for _ in range(30):
        assert client.get("/healthz").status_code == 200
    assert len(slept) == 30
    assert all(0 <= s <= 0.040 for s in slept)
    assert len(set(slept)) > 1
    slept.clear()
    set_policy(client, delay_ms_max=0, routes=["/healthz"])
    client.get("/healthz")
    assert slept == []


def test_a_real_delay_is_waited(client: FlaskClient) -> None:
    import time

    set_policy(client, delay_ms_max=30, routes=["/healthz"], seed=1)
    started = time.perf_counter()
    for _ in range(5):
        client.get("/healthz")
    elapsed = time.perf_counter() - started
    assert elapsed < 5 * 0.030 + 2.0


def test_a_seed_replays_the_same_sequence(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faults.time, "sleep", lambda _s: None)

    def run() -> list[tuple[int, str | None]]:
        set_policy(client, error_rate=0.5, after_processing_rate=0.5, delay_ms_max=10, routes=["/healthz"], seed=42)
        out = []
        for _ in range(40):
            answer = client.get("/healthz")
            out.append((answer.status_code, answer.json.get("phase")))
        return out

    first, second = run(), run()
    assert first == second
    assert {status for status, _ in first} == {200, 503}
    assert {phase for _, phase in first} == {None, "before_processing", "after_processing"}


@pytest.mark.slow
def test_rates_are_roughly_honoured(client: FlaskClient) -> None:
    set_policy(client, error_rate=0.25, routes=["/healthz"], seed=123)
    failures = sum(client.get("/healthz").status_code == 503 for _ in range(400))
    assert 60 <= failures <= 140


# -- counted rules: a one-shot fault is a rule with count 1 ---------------------------------------------------------


def test_a_counted_rule_applies_that_many_times_then_is_gone(client: FlaskClient) -> None:
    stored = set_policy(client, error_rate=1, routes=["/healthz"], count=2)
    assert (stored["active"], stored["count"]) == (True, 2)
    problem(client.get("/healthz"), 503, "fault_injected")
    assert client.get("/_mock/faults").json["count"] == 1
    problem(client.get("/healthz"), 503, "fault_injected")
    assert client.get("/_mock/faults").json["active"] is False
    assert client.get("/healthz").status_code == 200


def test_an_unmatched_call_takes_no_use(client: FlaskClient) -> None:
    set_policy(client, error_rate=1, routes=["POST /healthz"], count=1)
    assert client.get("/healthz").status_code == 200  # another method
    assert client.get("/_mock/faults").json["count"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 1.0}, "count"),
        ({"count": True}, "count"),
        ({"count": 1_000_001}, "count"),
        ({"delay_ms_min": 20, "delay_ms_max": 10}, "delay_ms_min"),
        ({"routes": ["POST trust/*"]}, "routes"),
    ],
)
def test_an_invalid_count_or_delay_is_refused(client: FlaskClient, body: dict[str, Any], field: str) -> None:
    refused = problem(client.post("/_mock/faults", json=body), 400, "invalid_fault_policy")
    assert [e["field"] for e in refused["errors"]] == [field]
    assert client.get("/_mock/faults").json["added"] == []


def test_added_rules_apply_beside_the_standing_one_in_order(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(faults.time, "sleep", slept.append)
    set_policy(client, delay_ms_min=5, delay_ms_max=5, routes=["/healthz"])
    first = client.post("/_mock/faults", json={"error_rate": 1, "status": 500, "routes": ["GET /healthz"], "count": 1})
    assert first.status_code == 201
    assert first.json["id"].startswith("flt_")
    second = client.post("/_mock/faults", json={"error_rate": 1, "status": 502, "routes": ["/heal*"], "count": 2})
    assert [rule["id"] for rule in client.get("/_mock/faults").json["added"]] == [first.json["id"], second.json["id"]]
    assert problem(client.get("/healthz"), 500, "fault_injected")["phase"] == "before_processing"
    assert slept == [0.005]
    # The first is used up; the second, which that call also matched, has one use left.
    assert [(r["id"], r["count"]) for r in client.get("/_mock/faults").json["added"]] == [(second.json["id"], 1)]
    problem(client.get("/healthz"), 502, "fault_injected")
    assert client.get("/healthz").status_code == 200
    assert slept == [0.005, 0.005, 0.005]  # the standing rule stays
    assert client.delete("/_mock/faults").status_code == 204
    assert client.get("/_mock/faults").json == {**client.get("/_mock/faults").json, "active": False, "added": []}


def test_a_route_scenario_is_a_rule_with_count_one(client: FlaskClient) -> None:
    queued = client.post("/_mock/scenarios", json={"kind": "route_error", "target": "GET /healthz", "value": 502})
    assert queued.status_code == 201
    [rule] = client.get("/_mock/faults").json["added"]
    assert (rule["id"], rule["count"], rule["routes"], rule["status"]) == (queued.json["id"], 1, ["GET /healthz"], 502)
    assert client.get("/_mock/scenarios").json["data"] == [queued.json]
    failed = problem(client.get("/healthz"), 502, "scenario_injected_failure")
    assert failed["scenario"] == queued.json["id"]
    assert "Retry-After" not in client.get("/healthz").headers
    assert client.get("/_mock/scenarios").json["data"] == []
    # Clearing the scenarios clears their rules, and only theirs.
    set_policy(client, delay_ms_max=1, routes=["/nowhere"])
    client.post("/_mock/scenarios", json={"kind": "route_delay", "target": "GET /healthz", "value": 5})
    assert client.delete("/_mock/scenarios").status_code == 204
    assert client.get("/_mock/faults").json["added"] == []
    assert client.get("/_mock/faults").json["active"] is True


# -- once means once: a counted rule under parallel calls, on SQLite and PostgreSQL ----------------------------------

PARALLEL = 16
ROUNDS = 4


def _counted_rule_under_parallel_calls(base: str) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    for round_number, count in enumerate([1, 3] * (ROUNDS // 2)):
        rule = {"error_rate": 1, "status": 503, "routes": [f"GET /platform/api/v1/round-{round_number}"]}
        added = requests.post(f"{base}/_mock/faults", json={**rule, "count": count}, timeout=10)
        assert added.status_code == 201, added.text
        barrier = threading.Barrier(PARALLEL)

        def call(_: int, path: str = rule["routes"][0].split()[1], barrier: threading.Barrier = barrier) -> int:
            with requests.Session() as http:
                http.get(f"{base}/healthz", timeout=10)  # connected before the race
                barrier.wait(timeout=30)
                return http.get(f"{base}{path}", timeout=30).status_code

        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            statuses = list(pool.map(call, range(PARALLEL)))
        # The path exists on no party: every call that the rule did not fail answers 404.
        assert sorted(statuses) == [404] * (PARALLEL - count) + [503] * count, f"round {round_number}: {statuses}"
        assert requests.get(f"{base}/_mock/faults", timeout=10).json()["added"] == []


@pytest.mark.live
def test_a_counted_rule_fires_exactly_that_often_under_parallel_calls_on_sqlite(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        _counted_rule_under_parallel_calls(served.base)


@pytest.mark.live
def test_a_counted_rule_fires_exactly_that_often_on_postgresql_with_two_workers(
    tmp_path: Path, postgres_url: str
) -> None:
    with serving(tmp_path, "--workers", "2", env={"JESIGN_MOCK_DATABASE_URL": postgres_url}) as served:
        _counted_rule_under_parallel_calls(served.base)
