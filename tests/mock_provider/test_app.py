"""The app's cross-cutting behaviour: problem+json errors, request ids, the index."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient


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


def test_unexpected_errors_reveal_nothing(app: Flask) -> None:
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
