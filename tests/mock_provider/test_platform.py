"""The platform's side of the registration (steps 1, 2 hand-off, 6) and the delegations, over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.helpers.registration import (
    bearer,
    consent,
    latest_otp,
    problem,
    sign,
    sso_login,
    submit_identity,
    upload,
)


def status(client: FlaskClient, token: str) -> dict[str, Any]:
    response = client.get("/platform/api/v1/registration", headers=bearer(token))
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json
    return body


def handoff(client: FlaskClient, token: str, **body: Any) -> dict[str, Any]:
    response = client.post("/platform/api/v1/registration/certificate-request", json=body, headers=bearer(token))
    assert response.status_code == 201, response.json
    created: dict[str, Any] = response.json
    return created


def test_every_platform_route_needs_a_token(client: FlaskClient) -> None:
    for method, path in [
        ("get", "/platform/api/v1/me"),
        ("get", "/platform/api/v1/registration"),
        ("post", "/platform/api/v1/registration/profile"),
        ("post", "/platform/api/v1/registration/certificate-request"),
        ("post", "/platform/api/v1/registration/terms"),
        ("get", "/platform/api/v1/firms/frm_ecma/delegations"),
    ]:
        response = getattr(client, method)(path, headers={"Authorization": "Bearer not-a-token"})
        assert response.status_code == 401, path
        assert response.json["code"] == "invalid_token"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_and_first_status(client: FlaskClient) -> None:
    token = sso_login(client, "marie.dupont")
    me = client.get("/platform/api/v1/me", headers=bearer(token)).json
    assert me["id"] == "usr_marie_dupont"
    assert {f["name"] for f in me["firms"]} == {"Cabinet Ecma", "Dupont & Associés"}
    assert me["registration_state"] == "authenticated"
    first = status(client, token)
    assert first["state"] == "authenticated"
    assert first["next_action"] == "confirm_profile"
    assert first["profile"]["read_only_fields"] == ["given_name", "family_name", "email", "firms"]


def test_profile_fields_are_read_only(client: FlaskClient) -> None:
    token = sso_login(client, "marie.dupont")
    body = problem(
        client.post(
            "/platform/api/v1/registration/profile",
            json={"mobile_number": "0612345678", "family_name": "Durand", "email": "x@example.com"},
            headers=bearer(token),
        ),
        400,
        "read_only_field",
    )
    assert "CROEC" in body["detail"]
    assert {e["field"] for e in body["errors"]} == {"family_name", "email"}
    assert status(client, token)["state"] == "authenticated"


@pytest.mark.parametrize(
    ("mobile", "code"),
    [
        (None, "mobile_number_required"),
        ("", "mobile_number_required"),
        ("0112345678", "invalid_mobile_number"),
        ("+33112345678", "invalid_mobile_number"),
        ("06 12", "invalid_mobile_number"),
    ],
)
def test_mobile_is_mandatory_and_validated(client: FlaskClient, mobile: str | None, code: str) -> None:
    token = sso_login(client, "paul.leroy")  # no mobile on file at the SSO
    body = {} if mobile is None else {"mobile_number": mobile}
    problem(client.post("/platform/api/v1/registration/profile", json=body, headers=bearer(token)), 400, code)
    assert status(client, token)["state"] == "authenticated"


@pytest.mark.parametrize(
    ("given", "stored"), [("06 12 34 56 78", "+33612345678"), ("+44 7700 900123", "+447700900123")]
)
def test_mobile_is_normalised(client: FlaskClient, given: str, stored: str) -> None:
    token = sso_login(client, "paul.leroy")
    response = client.post(
        "/platform/api/v1/registration/profile", json={"mobile_number": given}, headers=bearer(token)
    )
    assert response.status_code == 200, response.json
    assert response.json["state"] == "profile_confirmed"
    assert response.json["profile"]["mobile_number"] == stored
    assert response.json["next_action"] == "start_certificate_request"


def test_handoff_needs_a_confirmed_profile_and_happens_once(client: FlaskClient) -> None:
    token = sso_login(client, "marie.dupont")
    problem(
        client.post("/platform/api/v1/registration/certificate-request", json={}, headers=bearer(token)),
        409,
        "profile_not_confirmed",
    )
    client.post("/platform/api/v1/registration/profile", json={"mobile_number": "0612345678"}, headers=bearer(token))
    created = handoff(client, token, redirect_url="https://integrator.example.com/done")
    assert created["state"] == "created"
    assert created["level"] == "qcpnqscd"
    assert "session=" in created["url"]
    assert status(client, token)["next_action"] == "submit_identity"
    # Lost the page? The same call resumes the request with a fresh session; the old token stops working.
    resumed = client.post("/platform/api/v1/registration/certificate-request", json={}, headers=bearer(token))
    assert resumed.status_code == 200
    assert resumed.json["id"] == created["id"]
    old = client.get(f"/trust/v1/registrations/{created['id']}", headers=bearer(created["session_token"]))
    problem(old, 404, "registration_not_found")
    fresh = bearer(resumed.json["session_token"])
    assert client.get(f"/trust/v1/registrations/{created['id']}", headers=fresh).status_code == 200
    problem(
        client.post(
            "/platform/api/v1/registration/profile", json={"mobile_number": "0712345678"}, headers=bearer(token)
        ),
        409,
        "registration_in_progress",
    )


def _issue_certificate(client: FlaskClient, token: str) -> dict[str, Any]:
    client.post("/platform/api/v1/registration/profile", json={"mobile_number": "0612345678"}, headers=bearer(token))
    reg = handoff(client, token)
    submit_identity(client, reg)
    upload(client, reg)
    consent(client, reg)
    assert sign(client, reg, latest_otp(client)).status_code == 200
    return reg


def test_a_new_request_once_the_certificate_is_revoked_not_before(client: FlaskClient) -> None:
    """DESIGN.md §3: a new certificate request after revocation (or expiry), none while the certificate is valid."""
    token = sso_login(client, "marie.dupont")
    first = _issue_certificate(client, token)
    again = "/platform/api/v1/registration/certificate-request"
    problem(client.post(again, json={}, headers=bearer(token)), 409, "certificate_request_exists")
    certificate_id = status(client, token)["certificate_request"]["certificate_id"]
    assert (
        client.post(f"/_mock/certificates/{certificate_id}/revoke", json={"reason": "unspecified"}).status_code == 200
    )
    second = handoff(client, token)
    assert second["id"] != first["id"]
    assert second["state"] == "created"
    assert status(client, token)["certificate_request"]["id"] == second["id"]


def test_a_new_request_once_the_certificate_has_expired(client: FlaskClient) -> None:
    token = sso_login(client, "marie.dupont")
    first = _issue_certificate(client, token)
    certificate = client.get("/platform/api/v1/registration/certificate", headers=bearer(token)).json
    left = datetime.fromisoformat(certificate["not_after"]) - datetime.fromisoformat(first_now(client))
    assert client.post("/_mock/clock/advance", json={"seconds": left.total_seconds() + 1}).status_code == 200
    assert handoff(client, sso_login(client, "marie.dupont"))["id"] != first["id"]  # three years on: a new login


def first_now(client: FlaskClient) -> str:
    now: str = client.get("/_mock/clock").json["now"]
    return now


def test_terms_per_firm_open_the_service(client: FlaskClient) -> None:
    token = sso_login(client, "marie.dupont")
    problem(
        client.post(
            "/platform/api/v1/registration/terms",
            json={
                "firms": [{"firm_id": "frm_ecma", "cgu_accepted": True, "privacy_policy_accepted": True}],
                "cgu_version": "2026-01",
                "privacy_policy_version": "2026-01",
            },
            headers=bearer(token),
        ),
        409,
        "registration_wrong_state",
    )
    _issue_certificate(client, token)
    assert status(client, token)["state"] == "certificate_issued"
    problem(
        client.post("/platform/api/v1/registration/certificate-request", json={}, headers=bearer(token)),
        409,
        "certificate_request_exists",
    )
    terms = client.get("/platform/api/v1/terms", headers=bearer(token)).json
    missing = problem(
        client.post("/platform/api/v1/registration/terms", json={"firms": "frm_ecma"}, headers=bearer(token)),
        400,
        "invalid_input",
    )
    assert {e["field"] for e in missing["errors"]} == {"cgu_version", "privacy_policy_version", "firms"}
    versions = {"cgu_version": terms["cgu"]["version"], "privacy_policy_version": terms["privacy_policy"]["version"]}
    path = "/platform/api/v1/registration/terms"
    body = problem(
        client.post(
            path, json={"firms": [{"firm_id": "frm_ecma", "cgu_accepted": True}], **versions}, headers=bearer(token)
        ),
        400,
        "terms_not_accepted",
    )
    assert body["errors"][0]["field"] == "firms[0].privacy_policy_accepted"
    problem(
        client.post(
            path,
            json={
                "firms": [{"firm_id": "frm_lefevre", "cgu_accepted": True, "privacy_policy_accepted": True}],
                **versions,
            },
            headers=bearer(token),
        ),
        404,
        "firm_not_found",
    )
    problem(
        client.post(
            path,
            json={
                "firms": [{"firm_id": "frm_ecma", "cgu_accepted": True, "privacy_policy_accepted": True}],
                "cgu_version": "2020-01",
                "privacy_policy_version": "2026-01",
            },
            headers=bearer(token),
        ),
        409,
        "terms_version_outdated",
    )
    assert status(client, token)["state"] == "certificate_issued"
    done = client.post(
        path,
        json={"firms": [{"firm_id": "frm_ecma", "cgu_accepted": True, "privacy_policy_accepted": True}], **versions},
        headers=bearer(token),
    )
    assert done.status_code == 200, done.json
    assert done.json["state"] == "active"
    assert done.json["active_firms"] == ["frm_ecma"]
    me = client.get("/platform/api/v1/me", headers=bearer(token)).json
    assert {f["id"]: f["service_open"] for f in me["firms"]} == {"frm_ecma": True, "frm_dupont_associes": False}
    # Collaborators of the opened firm who hold a delegation may use the service; those without may not.
    luc = client.get("/platform/api/v1/me", headers=bearer(sso_login(client, "luc.martin"))).json
    chloe = client.get("/platform/api/v1/me", headers=bearer(sso_login(client, "chloe.bernard"))).json
    assert luc["firms"][0]["service_open"] is True
    assert chloe["firms"][0]["service_open"] is False


def test_delegations_managed_by_the_firms_accountant(client: FlaskClient) -> None:
    marie = sso_login(client, "marie.dupont")
    luc = sso_login(client, "luc.martin")
    path = "/platform/api/v1/firms/frm_ecma/delegations"
    listed = client.get(path, headers=bearer(marie)).json["data"]
    assert [(d["user_id"], d["kind"]) for d in listed] == [("usr_luc_martin", "sign")]
    granted = client.post(path, json={"user_id": "usr_chloe_bernard", "kind": "seal"}, headers=bearer(marie))
    assert granted.status_code == 201, granted.json
    problem(
        client.post(path, json={"user_id": "usr_chloe_bernard", "kind": "seal"}, headers=bearer(marie)),
        409,
        "delegation_exists",
    )
    problem(
        client.post(path, json={"user_id": "usr_chloe_bernard", "kind": "notarise"}, headers=bearer(marie)),
        400,
        "invalid_delegation_kind",
    )
    problem(
        client.post(path, json={"user_id": "usr_paul_leroy", "kind": "sign"}, headers=bearer(marie)),
        404,
        "collaborator_not_found",
    )
    problem(
        client.post(path, json={"user_id": "usr_chloe_bernard", "kind": "sign"}, headers=bearer(luc)),
        403,
        "not_firm_accountant",
    )
    problem(client.get("/platform/api/v1/firms/frm_lefevre/delegations", headers=bearer(marie)), 404, "firm_not_found")
    chloe = client.get("/platform/api/v1/me", headers=bearer(sso_login(client, "chloe.bernard"))).json
    assert chloe["firms"][0]["delegations"] == ["seal"]
    delegation_id = granted.json["id"]
    assert client.delete(f"{path}/{delegation_id}", headers=bearer(marie)).status_code == 204
    problem(client.delete(f"{path}/{delegation_id}", headers=bearer(marie)), 404, "delegation_not_found")
    assert [d["kind"] for d in client.get(path, headers=bearer(marie)).json["data"]] == ["sign"]
