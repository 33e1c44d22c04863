"""``GET /openapi.json``: a valid OpenAPI 3.1 document, true to the routes and to the answers of a real walk."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from tests.helpers.csc import ECDSA_SHA256, SHA256
from tests.helpers.documents import colour_png
from tests.helpers.mock import PUBLIC_BASE_URL, AppPool, memory_config
from tests.helpers.openapi import HTTP_METHODS, PREFIXES, Contract, documented, routes, served
from tests.helpers.pdf import one_page_pdf
from tests.helpers.registration import (
    API_KEY_BASIC,
    API_KEY_BEARER,
    OPERATOR_HEADERS,
    PLATFORM_CLIENT,
    REDIRECT_URI,
    applicant,
    bearer,
    colour_image,
    consent,
    create_registration,
    latest_otp,
    sign,
    sso_login,
    submit_identity,
    td1,
    upload,
)

# -- the document ------------------------------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    spec = served(client)
    validate(spec, cls=OpenAPIV31SpecValidator)
    assert spec["openapi"].startswith("3.1.")
    assert spec["servers"] == [{"url": PUBLIC_BASE_URL, "description": "This mock provider (TEST ONLY)."}]
    assert {"ssoBearer", "registrationSession", "operatorBasic"} <= set(spec["components"]["securitySchemes"])
    assert {t["name"] for t in spec["tags"]} == {"platform", "trust", "csc", "control"}


def test_every_route_is_documented_and_every_documented_operation_is_a_route(app: Flask, client: FlaskClient) -> None:
    spec = served(client)
    actual, described = routes(app), documented(spec)
    assert not actual - described, f"routes missing from openapi.yaml: {sorted(actual - described)}"
    assert not described - actual, f"documented operations that are not routes: {sorted(described - actual)}"


def test_every_operation_is_tagged_secured_and_answers_problems(client: FlaskClient) -> None:
    spec = served(client)
    ids = []
    for path, item in spec["paths"].items():
        party = next(p for p in PREFIXES if path.startswith(p))
        tag = {"/platform/api/v1": "platform", "/trust/v1": "trust", "/trust/csc": "csc", "/_mock": "control"}[party]
        for method in set(item) & set(HTTP_METHODS):
            operation = item[method]
            ids.append(operation["operationId"])
            assert operation["tags"] == [tag], path
            assert operation["summary"], path
            assert "security" in operation, f"{method} {path}: say who may call it"
            if tag == "control":
                assert operation["security"] == []
            for status, answer in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    ref = answer.get("$ref")
                    content = spec["components"]["responses"][ref.rsplit("/", 1)[1]] if ref else answer
                    assert list(content["content"]) == ["application/problem+json"], f"{method} {path} {status}"
    assert len(ids) == len(set(ids))


@pytest.mark.slow
def test_without_the_control_plane_there_is_no_mock_path(clock: ManualClock) -> None:
    app = create_app(memory_config(control_plane=False), clock=clock)
    try:
        spec = served(app.test_client())
        validate(spec, cls=OpenAPIV31SpecValidator)
        assert not [path for path in spec["paths"] if path.startswith("/_mock")]
        assert "control" not in {t["name"] for t in spec["tags"]}
        assert routes(app) == documented(spec)
    finally:
        services_of(app).close()


def test_the_format_checker_checks_instants() -> None:
    """The walk below relies on date-time formats being checked (rfc3339-validator)."""
    checker = Draft202012Validator.FORMAT_CHECKER
    assert checker.conforms("2026-01-02T03:04:05+00:00", "date-time")
    assert not checker.conforms("2026-01-02 03:04", "date-time")


# -- a real walk, every answer checked against the document ---------------------------------------------------------


@pytest.fixture
def manual_app(app_pool: AppPool, clock: ManualClock) -> Flask:
    """Reviews decided through the control plane, so that the review queue and both decisions can be walked."""
    return app_pool.app(review_mode="manual")


@pytest.mark.slow
def test_a_real_walk_matches_the_document(manual_app: Flask) -> None:
    client = manual_app.test_client()
    contract = Contract(manual_app, served(client))
    check = contract.check
    operator = OPERATOR_HEADERS

    # -- trust: webhook endpoints (a receiver that nobody listens at: each attempt is an error) -------------------
    hook = {"url": "http://127.0.0.1:9/hooks", "events": ["registration.created"], "name": "walk"}
    check(client.post("/trust/v1/webhooks", json={**hook, "url": "ftp://127.0.0.1/"}, headers=operator), 400)
    check(client.get("/trust/v1/webhooks"), 401)
    subscription = check(client.post("/trust/v1/webhooks", json=hook, headers=operator), 201)
    check(client.get("/trust/v1/webhooks", headers=operator), 200)
    check(client.get("/trust/v1/webhooks/jwks.json"), 200)

    # -- platform: the person, step 1, step 2 hand-off ------------------------------------------------------------
    auth = bearer(sso_login(client, "marie.dupont"))
    check(client.get("/platform/api/v1/me", headers={"Authorization": "Bearer not-a-token"}), 401)
    me = check(client.get("/platform/api/v1/me", headers=auth), 200)
    assert me["registration_state"] == "authenticated"
    check(client.get("/platform/api/v1/registration", headers=auth), 200)
    terms = check(client.get("/platform/api/v1/terms", headers=auth), 200)
    check(client.post("/platform/api/v1/registration/certificate-request", json={}, headers=auth), 409)
    read_only = {"mobile_number": "0612345678", "family_name": "Durand"}
    refused = check(client.post("/platform/api/v1/registration/profile", json=read_only, headers=auth), 400)
    assert refused["errors"][0]["field"] == "family_name"
    check(client.post("/platform/api/v1/registration/profile", data="[]", headers=auth), 400)
    profile = {"mobile_number": "06 12 34 56 78"}
    check(client.post("/platform/api/v1/registration/profile", json=profile, headers=auth), 200)
    start = {"level": "qcpnqscd", "redirect_url": "https://app.example.com/back"}
    handoff = check(client.post("/platform/api/v1/registration/certificate-request", json=start, headers=auth), 201)
    # Asked again while under way, the hand-off resumes the same registration with a fresh session.
    resumed = check(client.post("/platform/api/v1/registration/certificate-request", json={}, headers=auth), 200)
    assert resumed["id"] == handoff["id"]
    assert resumed["session_token"] != handoff["session_token"]
    mine = {**resumed, "phone_number": "+33612345678"}
    check(client.post("/platform/api/v1/registration/profile", json=profile, headers=auth), 409)

    # -- trust: operator ------------------------------------------------------------------------------------------
    check(client.post("/trust/v1/registrations", data={"applicant": "x@example.com"}), 401)
    check(client.post("/trust/v1/registrations", data={"level": "qcp"}, headers=bearer("sk_test_unknown")), 401)
    invalid = check(client.post("/trust/v1/registrations", data={"level": "qcp"}, headers=API_KEY_BASIC), 400)
    assert invalid["errors"][0]["field"] == "applicant"
    body = {"applicant": "paul.leroy@cabinet-lefevre.example.com", "level": "lcp", "phone_number": "+33687654321"}
    other = {**check(client.post("/trust/v1/registrations", data=body, headers=API_KEY_BEARER), 201), **body}
    # The operator reads its own registrations (Universign's GET /v1/registrations[/{id}]); another key sees none.
    own = check(client.get(f"/trust/v1/registrations/{other['id']}", headers=API_KEY_BEARER), 200)
    assert own["applicant"] == body["applicant"]
    assert own["expires_at"] == other["expires_at"]
    page = check(client.get("/trust/v1/registrations", query_string={"limit": 1}, headers=API_KEY_BASIC), 200)
    assert page["has_more"]
    check(client.get("/trust/v1/registrations", query_string={"limit": 0}, headers=API_KEY_BASIC), 400)
    check(client.get("/trust/v1/registrations"), 401)
    issued = check(client.post("/_mock/api-keys", json={"owner": "integrator", "name": "CI"}), 201)
    check(client.post("/_mock/api-keys", json={}), 400)
    assert {k["id"] for k in check(client.get("/_mock/api-keys"), 200)["data"]} == {"key_platform", issued["id"]}
    check(client.get(f"/trust/v1/registrations/{other['id']}", headers=bearer(issued["key"])), 404)
    check(client.delete(f"/_mock/api-keys/{issued['id']}"), 204)
    check(client.delete(f"/_mock/api-keys/{issued['id']}"), 404)
    check(client.get("/trust/v1/registrations", headers=bearer(issued["key"])), 401)
    check(client.get("/trust/v1/accounts/match", headers=operator), 400)
    check(client.get("/trust/v1/accounts/match", query_string={"email": body["applicant"]}, headers=operator), 404)
    idv = "/trust/v1/id-validations"
    sides = {
        "document": [(io.BytesIO(colour_image()), "f.jpg"), (io.BytesIO(colour_png(mrz=td1("X4RTBPFW4"))), "b.png")]
    }
    form = {"document_type": "id_card:fra", "email": "a@example.com", "full_name": "Marie Dupont"}
    check(client.post(idv, data={**form, **sides}, content_type="multipart/form-data", headers=operator), 400)
    sides = {
        "document": [(io.BytesIO(colour_image()), "f.jpg"), (io.BytesIO(colour_png(mrz=td1("X4RTBPFW4"))), "b.png")]
    }
    valid = {**form, **sides, "birthdate": "1980-04-12"}
    validation = check(client.post(idv, data=valid, content_type="multipart/form-data", headers=operator), 201)
    assert validation["state"] == "valid"
    check(client.get(f"{idv}/{validation['id']}", headers=operator), 200)
    check(client.get(f"{idv}/idv_nope", headers=operator), 404)
    check(client.get(f"{idv}/idv_nope"), 401)
    pdf = {"file": (io.BytesIO(b"%PDF-1.7 nothing"), "x.pdf"), "seal_id": "seal_frm_ecma"}
    check(client.post("/trust/v1/seals", data=pdf, content_type="multipart/form-data", headers=operator), 403)
    check(client.post("/trust/v1/seals", data={}, content_type="multipart/form-data", headers=operator), 400)

    # -- trust: transactions (Universign's /v1/files and /v1/transactions) --------------------------------------
    def contract_pdf() -> dict[str, Any]:
        return {"file": (io.BytesIO(one_page_pdf()), "contrat.pdf")}

    files = "/trust/v1/files"
    check(client.post(files, data={"file": (io.BytesIO(b"GIF89a"), "x.pdf")}, headers=operator), 400)
    check(client.post(files, data=contract_pdf(), content_type="multipart/form-data"), 401)
    upload_id = check(client.post(files, data=contract_pdf(), headers=operator), 200)["id"]
    txs = "/trust/v1/transactions"
    check(client.post(txs, data={"language": "xx"}, headers=operator), 400)
    check(client.post(txs, data={}), 401)
    tx = check(client.post(txs, data={"name": "Lettre de mission"}, headers=operator), 200)
    tx_path = f"{txs}/{tx['id']}"
    check(client.get(txs, headers=operator), 200)
    check(client.get(txs, query_string={"state": "lost"}, headers=operator), 400)
    check(client.get(txs), 401)
    check(client.get(tx_path, headers=operator), 200)
    check(client.get(f"{txs}/tx_nope", headers=operator), 404)
    check(client.get(tx_path), 401)
    check(client.post(f"{tx_path}/start", headers=operator), 409)
    check(client.post(f"{tx_path}/documents", data={}, headers=operator), 400)
    check(client.post(f"{tx_path}/documents", data={"document": upload_id}), 401)
    check(client.post(f"{tx_path}/documents", data={"document": "file_nope"}, headers=operator), 404)
    doc = check(client.post(f"{tx_path}/documents", data={"document": upload_id}, headers=operator), 200)
    fields_path = f"{tx_path}/documents/{doc['id']}/fields"
    box = {"type": "signature", "page": "1", "x": "72", "y": "600"}
    check(client.post(fields_path, data={**box, "page": "9"}, headers=operator), 400)
    check(client.post(fields_path, data=box), 401)
    check(client.post(f"{tx_path}/documents/doc_nope/fields", data=box, headers=operator), 404)
    field = check(client.post(fields_path, data=box, headers=operator), 200)
    signer = {"signer": "client@example.com", "field": field["id"]}
    check(client.post(f"{tx_path}/signatures", data={**signer, "signer": "x"}, headers=operator), 400)
    check(client.post(f"{tx_path}/signatures", data=signer), 401)
    check(client.post(f"{tx_path}/signatures", data={**signer, "field": "fld_nope"}, headers=operator), 404)
    check(client.post(f"{tx_path}/signatures", data=signer, headers=operator), 200)
    check(client.post(f"{tx_path}/signatures", data=signer, headers=operator), 409)
    check(client.post(f"{tx_path}/start", json={}, headers=operator), 400)
    check(client.post(f"{tx_path}/start"), 401)
    check(client.post(f"{txs}/tx_nope/start", headers=operator), 404)
    assert check(client.post(f"{tx_path}/start", headers=operator), 200)["state"] == "started"
    check(client.post(f"{tx_path}/documents", data={"document": upload_id}, headers=operator), 409)
    check(client.post(fields_path, data=box, headers=operator), 409)
    check(client.post(f"{tx_path}/cancel", json={}, headers=operator), 400)
    check(client.post(f"{tx_path}/cancel"), 401)
    check(client.post(f"{txs}/tx_nope/cancel", headers=operator), 404)
    assert check(client.post(f"{tx_path}/cancel", headers=operator), 200)["state"] == "cancelled"
    check(client.post(f"{tx_path}/cancel", headers=operator), 409)

    # -- trust: applicant, steps 2 to 4 ---------------------------------------------------------------------------
    dropped = create_registration(client, "luc.martin@cabinet-ecma.example.com")
    dropped_path = f"/trust/v1/registrations/{dropped['id']}"
    assert check(client.post(f"{dropped_path}/cancel", headers=applicant(dropped["session_token"])), 200)["state"] == (
        "cancelled"
    )
    check(client.post(f"{dropped_path}/cancel", headers=applicant(dropped["session_token"])), 409)

    reg_path = f"/trust/v1/registrations/{mine['id']}"
    as_mine = applicant(mine["session_token"])
    check(client.get(reg_path, headers=applicant(other["session_token"])), 404)
    check(client.get(reg_path, headers=as_mine), 200)
    incomplete = check(submit_identity(client, mine, birth_date="", accept_terms=False), 400)
    assert {e["field"] for e in incomplete["errors"]} == {"birth_date", "accept_terms"}
    check(upload(client, mine), 409)
    assert check(client.post(f"{reg_path}/agreement/resend", headers=as_mine), 409)["state"] == "created"
    check(submit_identity(client, mine), 200)
    check(upload(client, mine, with_back=False), 400)
    check(upload(client, mine), 200)
    check(client.get(f"{reg_path}/agreement", headers=as_mine), 200)
    check(client.get(f"{reg_path}/certificate", headers=as_mine), 404)
    check(client.post(f"{reg_path}/agreement/sign", json={"otp": "123456"}, headers=as_mine), 409)
    check(client.post(f"{reg_path}/agreement/consent", json={"accept": False}, headers=as_mine), 400)
    stale = {"accept": True, "version": "2000-01", "sha256": "0" * 64}
    check(client.post(f"{reg_path}/agreement/consent", json=stale, headers=as_mine), 409)
    check(consent(client, mine), 200)
    too_soon = check(client.post(f"{reg_path}/agreement/resend", headers=as_mine), 429)
    assert too_soon["retry_after"] > 0
    code = latest_otp(client, mine["phone_number"])
    wrong = "000000" if code != "000000" else "111111"
    assert check(sign(client, mine, wrong), 400)["attempts_remaining"] == 4
    check(sign(client, mine, "12ab"), 400)
    assert check(sign(client, mine, code), 200)["state"] == "pending_validation"
    check(client.post(f"{reg_path}/cancel", headers=as_mine), 409)

    # another applicant: the code locks after five wrong tries
    check(submit_identity(client, other), 200)
    check(upload(client, other), 200)
    check(consent(client, other), 200)
    other_code = latest_otp(client, other["phone_number"])
    other_wrong = "000000" if other_code != "000000" else "111111"
    for _ in range(4):
        check(sign(client, other, other_wrong), 400)
    check(sign(client, other, other_wrong), 423)
    check(client.get(f"/trust/v1/registrations/{other['id']}/events", headers=applicant(other["session_token"])), 200)

    # -- control plane: review queue and decisions; step 5 ----------------------------------------------------------
    queue = check(client.get("/_mock/reviews"), 200)
    assert [r["id"] for r in queue["data"]] == [mine["id"]]
    check(client.post("/_mock/reviews/reg_nope/approve"), 404)
    check(client.post(f"/_mock/reviews/{other['id']}/approve"), 409)
    check(client.post(f"/_mock/reviews/{mine['id']}/reject", json={"reason": "?"}), 400)
    check(client.post(f"/_mock/reviews/{mine['id']}/approve"), 200)
    issued = check(client.get(reg_path, headers=as_mine), 200)
    assert issued["state"] == "certificate_issued"
    assert "return_url" in issued
    check(client.get(f"{reg_path}/certificate", headers=as_mine), 200)
    check(client.post(f"{reg_path}/certificate/report-error", json={}, headers=as_mine), 400)
    check(client.post(f"{reg_path}/certificate/report-error", json={"detail": "typo"}, headers=as_mine), 200)
    check(client.get(f"{reg_path}/events", headers=as_mine), 200)
    check(client.get("/trust/v1/accounts/match", query_string={"email": me["email"]}, headers=operator), 200)

    third = create_registration(client, "sophie.lambert@cabinet-lefevre.example.com", phone_number="+33611112222")
    assert submit_identity(client, third).status_code == 200
    assert upload(client, third).status_code == 200
    assert consent(client, third).status_code == 200
    assert sign(client, third, latest_otp(client, third["phone_number"])).status_code == 200
    check(client.post(f"/_mock/reviews/{third['id']}/reject", json={"reason": "document_expired"}), 200)
    check(client.post(f"/_mock/reviews/{third['id']}/reject", json={"reason": "document_expired"}), 409)

    # -- platform: step 6 and delegations -------------------------------------------------------------------------
    versions = {"cgu_version": terms["cgu"]["version"], "privacy_policy_version": terms["privacy_policy"]["version"]}
    accept = "/platform/api/v1/registration/terms"
    ticked = {"firm_id": "frm_ecma", "cgu_accepted": True, "privacy_policy_accepted": True}
    check(client.post(accept, json={**versions, "cgu_version": "1999", "firms": [ticked]}, headers=auth), 409)
    check(client.post(accept, json={**versions, "firms": "all"}, headers=auth), 400)
    unticked = {**versions, "firms": [{"firm_id": "frm_ecma", "cgu_accepted": True}]}
    assert check(client.post(accept, json=unticked, headers=auth), 400)["errors"]
    foreign = {**versions, "firms": [{**ticked, "firm_id": "frm_lefevre"}]}
    check(client.post(accept, json=foreign, headers=auth), 404)
    assert check(client.post(accept, json={**versions, "firms": [ticked]}, headers=auth), 200)["state"] == "active"
    check(client.get("/platform/api/v1/registration", headers=auth), 200)
    check(client.get("/platform/api/v1/me", headers=auth), 200)
    check(client.get("/platform/api/v1/registration/certificate", headers=auth), 200)
    letter = {"file": (io.BytesIO(one_page_pdf()), "lettre.pdf"), "seal_id": "seal_frm_ecma"}
    check(client.post("/trust/v1/seals", data=letter, content_type="multipart/form-data", headers=operator), 200)
    check(
        client.get("/platform/api/v1/registration/certificate", headers=bearer(sso_login(client, "chloe.bernard"))), 404
    )

    delegations = "/platform/api/v1/firms/frm_ecma/delegations"
    check(client.get(delegations, headers=auth), 200)
    check(client.get("/platform/api/v1/firms/frm_lefevre/delegations", headers=auth), 404)
    check(client.get(delegations, headers=bearer(sso_login(client, "luc.martin"))), 403)
    check(client.post(delegations, json={"user_id": "usr_chloe_bernard", "kind": "sing"}, headers=auth), 400)
    check(client.post(delegations, json={"user_id": "usr_nobody", "kind": "seal"}, headers=auth), 404)
    grant = {"user_id": "usr_chloe_bernard", "kind": "seal"}
    granted = check(client.post(delegations, json=grant, headers=auth), 201)
    check(client.post(delegations, json=grant, headers=auth), 409)
    check(client.delete(f"{delegations}/{granted['id']}", headers=auth), 204)
    check(client.delete(f"{delegations}/{granted['id']}", headers=auth), 404)

    # -- remote signing (CSC), both versions ----------------------------------------------------------------------
    digest_b64 = base64.b64encode(hashlib.sha256(b"walk").digest()).decode()
    other_b64 = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    chloe = bearer(sso_login(client, "chloe.bernard"))
    for version, hashes, algorithm in (("v2", "hashes", "hashAlgorithmOID"), ("v1", "hash", "hashAlgo")):
        csc = f"/trust/csc/{version}"
        check(client.get(f"{csc}/info"), 200)
        check(client.post(f"{csc}/info"), 200)
        check(client.post(f"{csc}/credentials/list", json={}), 401)
        listed = check(client.post(f"{csc}/credentials/list", json={"credentialInfo": True}, headers=auth), 200)
        personal = next(i for i in listed["credentialIDs"] if i.startswith("crt_"))
        info = {"credentialID": personal, "certificates": "chain"}
        assert check(client.post(f"{csc}/credentials/info", json=info, headers=auth), 200)["SCAL"] == "2"
        check(client.post(f"{csc}/credentials/info", json={"credentialID": "crt_nope"}, headers=auth), 404)
        check(client.post(f"{csc}/credentials/info", json={"credentialID": "seal_frm_ecma"}, headers=chloe), 403)
        check(client.post(f"{csc}/credentials/sendOTP", json={"credentialID": personal}, headers=auth), 204)
        check(client.post(f"{csc}/credentials/sendOTP", json={"credentialID": personal}, headers=auth), 429)
        check(client.post(f"{csc}/credentials/sendOTP", json={"credentialID": "seal_frm_ecma"}, headers=auth), 409)
        asked = {"credentialID": personal, "numSignatures": 1, hashes: [digest_b64], algorithm: SHA256, "OTP": "000000"}
        check(client.post(f"{csc}/credentials/authorize", json=asked, headers=auth), 400)
        asked["OTP"] = latest_otp(client, mine["phone_number"])
        sad = check(client.post(f"{csc}/credentials/authorize", json=asked, headers=auth), 200)["SAD"]
        signing = {
            "credentialID": personal,
            "SAD": sad,
            hashes: [other_b64],
            algorithm: SHA256,
            "signAlgo": ECDSA_SHA256,
        }
        check(client.post(f"{csc}/signatures/signHash", json=signing, headers=auth), 400)
        signing[hashes] = [digest_b64]
        assert len(check(client.post(f"{csc}/signatures/signHash", json=signing, headers=auth), 200)["signatures"]) == 1
        check(client.post(f"{csc}/signatures/signHash", json=signing, headers=auth), 409)
        stamp = {"hash": digest_b64, algorithm: SHA256, "nonce": "2a"}
        check(client.post(f"{csc}/signatures/timestamp", json=stamp, headers=auth), 200)
        check(client.post(f"{csc}/signatures/timestamp", json={**stamp, "hash": "!"}, headers=auth), 400)

    # -- the trust provider's own OAuth2 (oauth2code): a service token, a credential page --------------------------
    oauth2 = "/trust/csc/oauth2"
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    asked_service = {
        "response_type": "code",
        "client_id": "jesign-platform",
        "redirect_uri": REDIRECT_URI,
        "scope": "service",
        "state": "walk",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": "marie.dupont",
    }
    check(client.get(f"{oauth2}/authorize", query_string=asked_service), 302)
    landed = client.get(f"{oauth2}/authorize", query_string=asked_service).headers["Location"]
    basic = {"Authorization": f"Basic {PLATFORM_CLIENT}"}
    redeemed = {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    redeemed["code"] = parse_qs(urlsplit(landed).query)["code"][0]
    service = check(client.post(f"{oauth2}/token", data=redeemed, headers=basic), 200)
    check(client.post("/trust/csc/v2/credentials/list", json={}, headers=bearer(service["access_token"])), 200)
    check(client.post(f"{oauth2}/revoke", data={"token": service["refresh_token"]}, headers=basic), 200)
    services_of(manual_app).clock.advance(timedelta(minutes=5))  # past the SMS code's resend cooldown
    asked_credential = {
        **asked_service,
        "scope": "credential",
        "credentialID": personal,
        "numSignatures": 1,
        "hashes": base64.urlsafe_b64encode(hashlib.sha256(b"walk").digest()).rstrip(b"=").decode(),
    }
    page = client.get(f"{oauth2}/authorize", query_string=asked_credential)
    check(page, 200)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert csrf is not None
    cancelled = {"csrf_token": csrf.group(1), "cancel": "1"}
    check(client.post(f"{oauth2}/authorize", query_string=asked_credential, data=cancelled), 302)

    # -- control plane: outbox, clock, scenarios, history, certificates, reset ------------------------------------
    check(client.get("/_mock/outbox"), 200)
    check(client.get("/_mock/outbox", query_string={"channel": "email", "limit": 2}), 200)
    check(client.get("/_mock/outbox", query_string={"limit": 0}), 400)
    check(client.get("/_mock/outbox/otp", query_string={"phone_number": mine["phone_number"]}), 200)
    check(client.get("/_mock/outbox/otp", query_string={"phone_number": "+33600000000"}), 404)
    check(client.get("/_mock/clock"), 200)
    check(client.post("/_mock/clock", json={"now": "2030-01-01T00:00:00"}), 400)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    check(client.post("/_mock/clock", json={"now": now, "frozen": True}), 200)
    check(client.post("/_mock/clock/advance", json={"seconds": "60"}), 400)
    check(client.post("/_mock/clock/advance", json={"seconds": 60}), 200)
    check(client.delete("/_mock/clock"), 200)
    check(client.get("/_mock/registrations"), 200)
    check(client.get(f"/_mock/registrations/{mine['id']}/events"), 200)
    check(client.get("/_mock/registrations/reg_nope/events"), 404)
    check(client.post("/_mock/scenarios", json={"kind": "route_error"}), 400)
    check(client.post("/_mock/scenarios", json={"kind": "route_error", "target": "GET /platform/api/v1/me"}), 201)
    check(client.get("/_mock/scenarios"), 200)
    injected = check(client.get("/platform/api/v1/me", headers=auth), 503, default=True)
    assert injected["code"] == "scenario_injected_failure"
    check(client.post("/_mock/scenarios", json={"kind": "sms_undelivered"}), 201)
    check(client.delete("/_mock/scenarios"), 204)
    check(client.get("/_mock/requests", query_string={"limit": 5}), 200)
    check(client.get("/_mock/requests", query_string={"limit": "x"}), 400)
    # The holder revokes the personal certificate (the CSC calls above are done with it).
    revocation = "/platform/api/v1/registration/certificate/revocation"
    check(client.post(f"{revocation}-code", headers=auth), 200)
    check(client.post(revocation, json={"otp": "12345", "reason": "superseded"}, headers=auth), 400)
    code = latest_otp(client, mine["phone_number"])
    assert check(client.post(revocation, json={"otp": code, "reason": "superseded"}, headers=auth), 200)["status"] == (
        "revoked"
    )
    check(client.post(f"{revocation}-code", headers=auth), 409)
    emails = check(client.get("/_mock/outbox", query_string={"channel": "email"}), 200)["data"]
    carrying = next(m for m in emails if m["attachments"])
    check(client.get(f"/_mock/outbox/{carrying['id']}/attachments/{carrying['attachments'][0]['id']}"), 200)
    check(client.get(f"/_mock/outbox/{carrying['id']}/attachments/att_nope"), 404)
    issued_certificates = check(client.get("/_mock/certificates"), 200)["data"]
    certificate_id = next(c["id"] for c in issued_certificates if c["revoked_at"] is None)
    revoke = f"/_mock/certificates/{certificate_id}/revoke"
    check(client.post("/_mock/certificates/crt_nope/revoke"), 404)
    check(client.post(revoke, json={"reason": "bad"}), 400)
    check(client.post(revoke, json={"reason": "key_compromise"}), 200)
    check(client.post(revoke), 409)
    check(client.get("/_mock/faults"), 200)
    check(client.put("/_mock/faults", json={"error_rate": 2}), 400)
    check(client.put("/_mock/faults", json={"delay_ms_max": 1, "routes": ["/healthz"], "seed": 1}), 200)
    check(client.post("/_mock/faults", json={"error_rate": 1, "routes": ["GET /nowhere"], "count": 1}), 201)
    check(client.post("/_mock/faults", json={"count": 0}), 400)
    check(client.get("/_mock/faults"), 200)
    check(client.delete("/_mock/faults"), 204)
    check(client.get("/_mock/breakages"), 200)
    check(client.put("/_mock/breakages", json={"active": ["no_such_rule"]}), 400)
    check(client.put("/_mock/breakages", json={"active": []}), 200)
    check(client.delete("/_mock/breakages"), 204)
    deliveries = check(client.get("/_mock/webhooks/deliveries"), 200)["data"]
    assert deliveries  # the registration's creation, for the webhook registered first
    check(client.post("/_mock/webhooks/deliveries/settle"), 200)
    check(client.get("/_mock/webhooks/deliveries", query_string={"state": "lost"}), 400)
    check(client.get(f"/_mock/webhooks/deliveries/{deliveries[0]['id']}"), 200)
    check(client.get("/_mock/webhooks/deliveries/dlv_nope"), 404)
    check(client.post(f"/_mock/webhooks/deliveries/{deliveries[0]['id']}/redeliver"), 200)
    check(client.post("/_mock/webhooks/deliveries/dlv_nope/redeliver"), 404)
    check(client.get("/_mock/webhooks"), 200)
    check(client.delete("/_mock/webhooks/whk_nope"), 404)
    check(client.delete(f"/trust/v1/webhooks/{subscription['id']}", headers=operator), 204)
    check(client.delete(f"/trust/v1/webhooks/{subscription['id']}", headers=operator), 404)
    other = check(client.post("/trust/v1/webhooks", json=hook, headers=operator), 201)
    check(client.delete(f"/_mock/webhooks/{other['id']}"), 204)
    check(client.post("/_mock/reset"), 200)

    # Every documented operation answered at least once, every answer documented and matching its schema.
    operations = {(method, path) for method, path, _ in contract.seen}
    assert operations == documented(contract.spec), sorted(documented(contract.spec) - operations)
