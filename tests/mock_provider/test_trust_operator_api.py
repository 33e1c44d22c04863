"""The trust provider's operator API in Universign's published shape: API keys, ``POST /v1/registrations``
form-encoded, the owner's reads and list, the 7-day session."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.models import ApiKey
from mock_provider.core.registration import LANGUAGES
from tests.helpers.openapi import Contract, served
from tests.helpers.registration import (
    API_KEY_BASIC,
    API_KEY_BEARER,
    OPERATOR_HEADERS,
    PLATFORM_API_KEY,
    applicant,
    bearer,
    problem,
    sso_login,
    submit_identity,
)

MARIE = "marie.dupont@cabinet-ecma.example.com"
LUC = "luc.martin@cabinet-ecma.example.com"
#: The seed's accountant with no mobile number on file.
PAUL = "paul.leroy@cabinet-lefevre.example.com"


def basic_key(key: str) -> dict[str, str]:
    """Universign's ``curl -u your_API_key:``: the key as the Basic username, an empty password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def create(client: FlaskClient, headers: dict[str, str] = API_KEY_BASIC, **fields: str) -> dict[str, Any]:
    body = {"applicant": MARIE, "level": "qcp", **fields}
    response = client.post("/trust/v1/registrations", data=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.json
    return created


def new_key(client: FlaskClient, owner: str = "integrator") -> dict[str, Any]:
    response = client.post("/_mock/api-keys", json={"owner": owner, "name": "tests"})
    assert response.status_code == 201
    issued: dict[str, Any] = response.json
    return issued


def registrations(client: FlaskClient, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    response = client.get("/trust/v1/registrations", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    page: dict[str, Any] = response.json
    return page


# -- POST /v1/registrations as Universign documents it ---------------------------------------------------------------


def test_a_form_encoded_registration_as_universign_documents_it(client: FlaskClient) -> None:
    """``curl https://api.universign.com/v1/registrations -d applicant=… -d level=qcp -d redirect_url=…
    -d session_type=standalone``, with the key as the Basic username."""
    body = {
        "applicant": MARIE,
        "level": "qcp",
        "redirect_url": "https://www.myredirecturl.com",
        "session_type": "standalone",
        "fullname": "Marie Dupont",
        "fullname_type": "prerequisite",
        "phone_number": "+33612345678",
        "phone_number_type": "flex_prerequisite",
        "language": "it",
    }
    response = client.post("/trust/v1/registrations", data=body, headers=API_KEY_BASIC)
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    created = response.json
    assert created is not None
    assert created["id"].startswith("reg_")
    assert created["state"] == "created"
    assert created["url"].endswith(f"/trust/enroll/{created['id']}?session={created['session_token']}")
    read = client.get(f"/trust/v1/registrations/{created['id']}", headers=API_KEY_BASIC).json
    assert read is not None
    assert read["applicant"] == MARIE
    assert read["redirect_url"] == "https://www.myredirecturl.com"
    expected = {"fullname": "Marie Dupont", "fullname_type": "prerequisite", "phone_number_type": "flex_prerequisite"}
    assert {name: read[name] for name in expected} == expected
    assert (read["language"], read["session_type"], read["level"]) == ("it", "standalone", "qcp")


def test_the_optional_fields_take_universign_defaults(client: FlaskClient) -> None:
    created = create(client)
    read = client.get(f"/trust/v1/registrations/{created['id']}", headers=API_KEY_BEARER).json
    assert read is not None
    assert (read["language"], read["fullname"], read["fullname_type"]) == ("fr", None, "suggestion")
    assert (read["phone_number_type"], read["session_type"], read["redirect_url"]) == ("suggestion", "standalone", None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_of_universign_s_eleven_languages(client: FlaskClient, language: str) -> None:
    created = create(client, language=language)
    view = client.get(f"/trust/v1/registrations/{created['id']}", headers=applicant(created["session_token"])).json
    assert view is not None
    assert view["language"] == language


def test_eleven_languages_and_no_other(client: FlaskClient) -> None:
    assert len(LANGUAGES) == 11
    for language in ("xx", "FR", "fr-FR", "ru"):
        response = client.post(
            "/trust/v1/registrations",
            data={"applicant": MARIE, "level": "qcp", "language": language},
            headers=API_KEY_BASIC,
        )
        refusal = problem(response, 400, "invalid_registration")
        assert refusal["errors"][0]["field"] == "language"
    assert client.get("/_mock/registrations").json == {"data": []}


def test_without_phone_number_the_codes_go_to_the_applicant_s_known_mobile(client: FlaskClient) -> None:
    created = create(client)
    view = client.get(f"/trust/v1/registrations/{created['id']}", headers=applicant(created["session_token"])).json
    assert view is not None
    assert view["applicant"]["phone_masked"].endswith("5678")  # Marie's mobile in the SSO's directory


def test_an_applicant_with_no_known_mobile_must_be_given_one(client: FlaskClient) -> None:
    refusal = problem(
        client.post("/trust/v1/registrations", data={"applicant": PAUL, "level": "lcp"}, headers=API_KEY_BASIC),
        400,
        "invalid_registration",
    )
    assert refusal["errors"] == [{"field": "phone_number", "code": "required", "detail": "no mobile on file"}]
    assert client.get("/_mock/registrations").json == {"data": []}
    assert create(client, applicant=PAUL, phone_number="+33687654321")["state"] == "created"


def test_the_former_email_field_is_still_read_from_json(client: FlaskClient) -> None:
    """The mock's deprecated alias of ``applicant``, for callers written before Universign's names."""
    body = {"email": LUC, "level": "lcp", "phone_number": "+33623456789"}
    response = client.post("/trust/v1/registrations", json=body, headers=OPERATOR_HEADERS)
    assert response.status_code == 201
    unknown = {"email": "nobody@example.com", "level": "lcp"}
    refusal = problem(
        client.post("/trust/v1/registrations", json=unknown, headers=API_KEY_BASIC), 400, "applicant_unknown"
    )
    assert refusal["errors"][0]["field"] == "email"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"level": "qcp"}, "applicant", "required"),
        ({"applicant": MARIE}, "level", "required"),
        ({"applicant": MARIE, "level": "level4"}, "level", "invalid_choice"),
        ({"applicant": MARIE, "level": "qcp", "fullname_type": "optional"}, "fullname_type", "invalid_choice"),
        ({"applicant": MARIE, "level": "qcp", "phone_number_type": "fixed"}, "phone_number_type", "invalid_choice"),
        ({"applicant": MARIE, "level": "qcp", "session_type": "transaction"}, "session_type", "invalid_choice"),
        ({"applicant": MARIE, "level": "qcp", "fullname": "x" * 241}, "fullname", "too_long"),
        ({"applicant": MARIE, "level": "qcp", "fullname": "   "}, "fullname", "invalid_length"),
        ({"applicant": MARIE, "level": "qcp", "redirect_url": "ftp://x"}, "redirect_url", "invalid_url"),
        ({"applicant": MARIE, "level": "qcp", "phone_number": "0123"}, "phone_number", "invalid_mobile_number"),
        ({"applicant": "x" * 321, "level": "qcp"}, "applicant", "too_long"),
        (
            {"applicant": MARIE, "level": "qcp", "redirect_url": "https://x.example/" + "a" * 2000},
            "redirect_url",
            "too_long",
        ),
        ({"applicant": MARIE, "level": "qcp" * 100}, "level", "too_long"),
    ],
)
def test_bad_fields_are_refused_and_change_nothing(
    client: FlaskClient, body: dict[str, str], field: str, code: str
) -> None:
    response = client.post("/trust/v1/registrations", data=body, headers=API_KEY_BASIC)
    assert response.status_code == 400
    refusal = response.json
    assert refusal is not None
    assert refusal["code"] in ("invalid_registration", "invalid_mobile_number")
    assert {"field": field, "code": code} in [{k: e[k] for k in ("field", "code")} for e in refusal["errors"]]
    assert client.get("/_mock/registrations").json == {"data": []}


def test_a_field_given_twice_is_refused(client: FlaskClient) -> None:
    body = [("applicant", MARIE), ("level", "qcp"), ("level", "lcp")]
    response = client.post(
        "/trust/v1/registrations",
        data="&".join(f"{k}={v}" for k, v in body),
        content_type="application/x-www-form-urlencoded",
        headers=API_KEY_BASIC,
    )
    assert problem(response, 400, "invalid_registration")["errors"][0] == {
        "field": "level",
        "code": "repeated",
        "detail": "given more than once",
    }


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("applicant=x&level=qcp", "text/plain"),
        ("<registration/>", "application/xml"),
        ("", None),
    ],
)
def test_other_encodings_are_refused(client: FlaskClient, data: str, content_type: str | None) -> None:
    response = client.post("/trust/v1/registrations", data=data, content_type=content_type, headers=API_KEY_BASIC)
    problem(response, 400, "invalid_registration_encoding")
    multipart = client.post(
        "/trust/v1/registrations",
        data={"applicant": MARIE, "level": "qcp", "f": (b"x", "f.txt")},
        headers=API_KEY_BASIC,
    )
    problem(multipart, 400, "invalid_registration_encoding")
    assert client.get("/_mock/registrations").json == {"data": []}


# -- API keys -------------------------------------------------------------------------------------------------------


def test_the_key_authenticates_as_basic_username_or_as_bearer(client: FlaskClient) -> None:
    for headers in (API_KEY_BASIC, API_KEY_BEARER, OPERATOR_HEADERS):
        assert create(client, headers)["state"] == "created"
    # One operator, whichever credential: the platform's key and its confidential client own the same registrations.
    assert len(registrations(client, OPERATOR_HEADERS)["data"]) == 3
    assert len(registrations(client, API_KEY_BEARER)["data"]) == 3


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer sk_test_not_a_key"},
        {"Authorization": "Basic " + base64.b64encode(b"sk_test_not_a_key:").decode()},
        {"Authorization": "Basic " + base64.b64encode(f"{PLATFORM_API_KEY}:x".encode()).decode()},
    ],
)
def test_an_unknown_key_is_401_with_a_challenge(client: FlaskClient, headers: dict[str, str]) -> None:
    for response in (
        client.post("/trust/v1/registrations", data={"applicant": MARIE, "level": "qcp"}, headers=headers),
        client.get("/trust/v1/registrations", headers=headers),
        client.get("/trust/v1/accounts/match", query_string={"email": MARIE}, headers=headers),
    ):
        problem(response, 401, "operator_authentication_failed")
        assert response.headers["WWW-Authenticate"] == 'Basic realm="trust", Bearer realm="trust"'
    missing = client.get("/trust/v1/registrations")
    problem(missing, 401, "operator_authentication_required")
    assert "WWW-Authenticate" in missing.headers
    assert client.get("/_mock/registrations").json == {"data": []}


def test_a_key_is_shown_once_stored_hashed_and_deleted_for_good(app: Flask, client: FlaskClient) -> None:
    issued = new_key(client)
    assert issued["key"].startswith("sk_test_")
    assert issued["prefix"] == issued["key"][:12]
    listed = client.get("/_mock/api-keys").json
    assert listed is not None
    assert issued["key"] not in str(listed)
    assert {k["id"]: k["owner"] for k in listed["data"]} == {
        "key_platform": "jesign-platform",
        issued["id"]: "integrator",
    }
    with services_of(app).db.read() as session:
        stored = session.scalars(select(ApiKey.key_hash)).all()
    assert issued["key"] not in stored
    assert PLATFORM_API_KEY not in stored
    assert registrations(client, basic_key(issued["key"]))["data"] == []
    assert client.delete(f"/_mock/api-keys/{issued['id']}").status_code == 204
    problem(client.get("/trust/v1/registrations", headers=bearer(issued["key"])), 401, "operator_authentication_failed")
    problem(client.delete(f"/_mock/api-keys/{issued['id']}"), 404, "api_key_not_found")


def test_a_reset_brings_back_the_seeded_key_only(client: FlaskClient) -> None:
    new_key(client)
    assert client.post("/_mock/reset").status_code == 200
    listed = client.get("/_mock/api-keys").json
    assert listed is not None
    assert [k["id"] for k in listed["data"]] == ["key_platform"]


# -- the owner's reads ------------------------------------------------------------------------------------------------


def test_only_the_owner_reads_a_registration(client: FlaskClient) -> None:
    mine = create(client)
    other = new_key(client)
    theirs = create(client, bearer(other["key"]), applicant=LUC)
    problem(
        client.get(f"/trust/v1/registrations/{mine['id']}", headers=bearer(other["key"])), 404, "registration_not_found"
    )
    problem(
        client.get(f"/trust/v1/registrations/{theirs['id']}", headers=API_KEY_BEARER), 404, "registration_not_found"
    )
    problem(client.get("/trust/v1/registrations/reg_nope", headers=API_KEY_BEARER), 404, "registration_not_found")
    assert [r["id"] for r in registrations(client, API_KEY_BEARER)["data"]] == [mine["id"]]
    assert [r["id"] for r in registrations(client, bearer(other["key"]))["data"]] == [theirs["id"]]
    # The applicant still reads their own with the session token, as before.
    view = client.get(f"/trust/v1/registrations/{theirs['id']}", headers=applicant(theirs["session_token"])).json
    assert view is not None
    assert view["next_action"] == "submit_identity"


def test_the_platform_s_hand_off_belongs_to_the_platform_s_key(client: FlaskClient) -> None:
    auth = bearer(sso_login(client, "marie.dupont"))
    client.post("/platform/api/v1/registration/profile", json={"mobile_number": "0612345678"}, headers=auth)
    handoff = client.post("/platform/api/v1/registration/certificate-request", json={}, headers=auth).json
    assert handoff is not None
    read = client.get(f"/trust/v1/registrations/{handoff['id']}", headers=API_KEY_BEARER).json
    assert read is not None
    assert read["applicant"] == MARIE


def test_the_list_is_paged_newest_first(client: FlaskClient, clock: ManualClock) -> None:
    made = []
    for _ in range(5):
        made.append(create(client)["id"])
        clock.advance(timedelta(seconds=1))
    seen: list[str] = []
    page = registrations(client, API_KEY_BASIC, limit=2)
    while True:
        assert len(page["data"]) <= 2
        seen += [r["id"] for r in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        page = registrations(client, API_KEY_BASIC, limit=2, cursor=page["next_cursor"])
    assert seen == made[::-1]
    assert registrations(client, API_KEY_BASIC)["has_more"] is False  # 20 by default


def test_the_list_filters(client: FlaskClient, clock: ManualClock) -> None:
    first = create(client)
    clock.advance(timedelta(hours=1))
    middle = clock.now()
    second = create(client, applicant=LUC)
    submit_identity(client, {**second, "session_token": second["session_token"]})
    clock.advance(timedelta(hours=1))
    third = create(client)

    def ids(**query: Any) -> list[str]:
        return [r["id"] for r in registrations(client, API_KEY_BASIC, **query)["data"]]

    assert ids(state="identity_submitted") == [second["id"]]
    assert ids(state="created") == [third["id"], first["id"]]
    assert ids(applicant=LUC) == [second["id"]]
    assert ids(created_after=middle.isoformat()) == [third["id"], second["id"]]
    assert ids(created_before=middle.isoformat()) == [first["id"]]
    assert ids(created_after=middle.isoformat(), created_before=clock.now().isoformat()) == [second["id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"state": "done"}, "state"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-01-01T00:00:00"}, "created_before"),  # no offset: ambiguous
        ({"cursor": "reg_nope"}, "cursor"),
    ],
)
def test_bad_list_queries_are_refused(client: FlaskClient, query: dict[str, str], field: str) -> None:
    refusal = problem(
        client.get("/trust/v1/registrations", query_string=query, headers=API_KEY_BASIC), 400, "invalid_query"
    )
    assert refusal["errors"][0]["field"] == field


def test_another_owner_s_registration_is_no_cursor(client: FlaskClient) -> None:
    other = new_key(client)
    theirs = create(client, bearer(other["key"]))
    query = {"cursor": theirs["id"]}
    problem(client.get("/trust/v1/registrations", query_string=query, headers=API_KEY_BASIC), 400, "invalid_query")


# -- the 7-day session ------------------------------------------------------------------------------------------------


def test_a_session_lasts_seven_days_on_the_mock_clock(app: Flask, client: FlaskClient, clock: ManualClock) -> None:
    contract = Contract(app, served(client))
    created = create(client)
    path = f"/trust/v1/registrations/{created['id']}"
    assert created["expires_at"] == (clock.now() + timedelta(days=7)).isoformat()
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert contract.check(client.get(path, headers=applicant(created["session_token"])), 200)["state"] == "created"
    assert contract.check(submit_identity(client, created), 200)["state"] == "identity_submitted"
    clock.advance(timedelta(seconds=1))
    refusal = contract.check(client.get(path, headers=applicant(created["session_token"])), 410)
    assert refusal["code"] == "registration_expired"
    assert refusal["state"] == "expired"
    assert refusal["expired_at"] == created["expires_at"]
    assert contract.check(client.get(f"{path}/events", headers=applicant(created["session_token"])), 410)
    operator_view = contract.check(client.get(path, headers=API_KEY_BEARER), 200)
    assert operator_view["state"] == "expired"
    assert [r["id"] for r in registrations(client, API_KEY_BEARER, state="expired")["data"]] == [created["id"]]
    events = client.get(f"/_mock/registrations/{created['id']}/events").json
    assert events is not None
    assert events["data"][-1]["action"] == "session_expired"


def test_an_unread_session_reads_expired_in_the_operator_s_list(client: FlaskClient, clock: ManualClock) -> None:
    created = create(client)
    clock.advance(timedelta(days=7))
    assert registrations(client, API_KEY_BEARER, state="expired")["data"][0]["id"] == created["id"]


def test_a_request_past_its_agreement_does_not_expire(client: FlaskClient, clock: ManualClock) -> None:
    from tests.helpers.registration import walk_to_signed

    signed = walk_to_signed(client)
    clock.advance(timedelta(days=30))
    view = client.get(f"/trust/v1/registrations/{signed['id']}", headers=applicant(signed["session_token"])).json
    assert view is not None
    assert view["state"] == "certificate_issued"


def test_the_platform_opens_a_new_request_once_the_session_expired(client: FlaskClient, clock: ManualClock) -> None:
    auth = bearer(sso_login(client, "marie.dupont"))
    client.post("/platform/api/v1/registration/profile", json={"mobile_number": "0612345678"}, headers=auth)
    first = client.post("/platform/api/v1/registration/certificate-request", json={}, headers=auth)
    assert first.status_code == 201
    assert first.json is not None
    clock.advance(timedelta(days=7))
    auth = bearer(sso_login(client, "marie.dupont"))  # the access token lives one hour
    status = client.get("/platform/api/v1/registration", headers=auth).json
    assert status is not None
    assert (status["state"], status["next_action"]) == ("profile_confirmed", "start_certificate_request")
    assert status["certificate_request"]["state"] == "expired"
    again = client.post("/platform/api/v1/registration/certificate-request", json={}, headers=auth)
    assert again.status_code == 201, again.get_data(as_text=True)
    assert again.json is not None
    assert again.json["id"] != first.json["id"]


def test_the_hosted_page_refuses_an_expired_session(client: FlaskClient, clock: ManualClock) -> None:
    created = create(client)
    clock.advance(timedelta(days=7))
    page = client.get(f"/trust/enroll/{created['id']}?session={created['session_token']}")
    assert page.status_code == 410
    assert page.mimetype == "text/html"
    assert "registration_expired" in page.get_data(as_text=True)
