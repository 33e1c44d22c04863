"""The app's cross-cutting behaviour: problem+json errors, request ids, the index."""

from __future__ import annotations

import pytest
import requests
from flask.testing import FlaskClient

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from tests.helpers.mock import LiveMock, memory_config


def test_index_names_the_parties_and_warns(client: FlaskClient) -> None:
    body = client.get("/").json
    assert body is not None
    assert "NOT FOR PRODUCTION" in body["warning"]
    assert body["parties"]["pki"].endswith("/pki")


def test_unknown_path_is_problem_json(client: FlaskClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body is not None
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["type"].endswith("/not-found")
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_wrong_method_is_problem_json_with_allow(client: FlaskClient) -> None:
    response = client.delete("/pki/ocsp")
    assert response.status_code == 405
    assert response.json is not None
    assert response.json["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_request_id_is_echoed_when_sane(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-Id": "<script>"}).headers["X-Request-Id"]
    assert generated.startswith("req_")


def test_unexpected_errors_reveal_nothing(clock: ManualClock) -> None:
    app = create_app(memory_config(), clock=clock)  # an app of its own: the test adds a route to it
    try:

        @app.get("/boom")
        def boom() -> str:
            raise RuntimeError("secret internals /etc/passwd")

        response = app.test_client().get("/boom")
        assert response.status_code == 500
        assert response.mimetype == "application/problem+json"
        assert response.json is not None
        assert response.json["code"] == "internal_error"
        assert "secret" not in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)
    finally:
        services_of(app).close()


@pytest.mark.live
def test_an_in_memory_mock_answers_concurrent_calls(live_mock: LiveMock) -> None:
    """One in-memory SQLite connection serves every thread of the server: its transactions take turns."""
    from concurrent.futures import ThreadPoolExecutor

    def calls(worker: int) -> list[int]:
        with requests.Session() as http:
            statuses = []
            for n in range(15):
                queued = http.post(
                    f"{live_mock.url}/_mock/scenarios",
                    json={"kind": "route_delay", "target": f"GET /nowhere/{worker}/{n}", "value": 1},
                    timeout=10,
                )
                statuses += [
                    queued.status_code,
                    http.post(f"{live_mock.url}/trust/csc/v2/info", timeout=10).status_code,
                ]
            return statuses

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = [status for result in pool.map(calls, range(6)) for status in result]
    assert sorted(set(statuses)) == [200, 201]
    assert len(requests.get(f"{live_mock.url}/_mock/scenarios", timeout=10).json()["data"]) == 6 * 15
