"""Identity prevalidation, ``POST /trust/v1/id-validations`` in Universign's request shape: multipart, ``document``
once or twice, ``document_type``, ``email``, ``full_name``, ``birthdate``; owner-only reads; bad input refused
with nothing kept."""

from __future__ import annotations

import base64
import io
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_provider.core.documents import icao_name, mrz_check_digit
from mock_provider.core.id_validations import IdValidation
from mock_provider.core.models import OAuthClient
from mock_provider.core.services import MockServices
from tests.helpers.documents import colour_png, text_pdf
from tests.helpers.registration import OPERATOR_HEADERS, colour_image, grey_image, problem, td1

URL = "/trust/v1/id-validations"
MARIE = {"email": "marie.dupont@cabinet-ecma.example.com", "full_name": "Marie DUPONT", "birthdate": "1980-04-12"}


def td3(number: str, *, surname: str = "Dupont", given: str = "Marie", birth: date = date(1980, 4, 12)) -> str:
    """An ICAO 9303 TD3 MRZ (a French passport), check digits computed."""
    number = number.ljust(9, "<")[:9]
    b, e = birth.strftime("%y%m%d"), date(2032, 5, 1).strftime("%y%m%d")
    line1 = f"P<FRA{icao_name(surname)}<<{icao_name(given)}".ljust(44, "<")[:44]
    personal = "<" * 14
    body = f"{number}{mrz_check_digit(number)}FRA{b}{mrz_check_digit(b)}F{e}{mrz_check_digit(e)}{personal}<"
    composite = mrz_check_digit(body[0:10] + body[13:20] + body[21:43])
    return "\n".join((line1, body + composite))


def send(client: FlaskClient, files: list[bytes], headers: dict[str, str] | None = None, **fields: str) -> Any:
    data: dict[str, Any] = {**MARIE, **fields}
    data = {k: v for k, v in data.items() if v is not None}
    data["document"] = [(io.BytesIO(f), f"side{i}.png") for i, f in enumerate(files)]
    return client.post(URL, data=data, content_type="multipart/form-data", headers=headers or OPERATOR_HEADERS)


def kept(services: MockServices) -> int:
    with services.db.read() as session:
        return session.query(IdValidation).count()


def test_an_identity_card_in_two_files_is_valid_and_read_back_by_its_owner(client: FlaskClient) -> None:
    answer = send(client, [colour_image(), colour_png(mrz=td1("X4RTBPFW4"))], document_type="id_card:fra")
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert body["id"].startswith("idv_")
    assert (body["state"], body["reason"]) == ("valid", None)
    assert (body["document_type"], body["document_number"], body["document_expiry"]) == (
        "id_card:fra",
        "X4RTBPFW4",
        "2031-06-30",
    )
    assert (body["email"], body["full_name"], body["birthdate"]) == (MARIE["email"], "Marie DUPONT", "1980-04-12")
    read = client.get(f"{URL}/{body['id']}", headers=OPERATOR_HEADERS)
    assert read.status_code == 200
    assert read.json == body


def test_a_passport_takes_its_photo_page_alone(client: FlaskClient) -> None:
    one = send(client, [colour_png(mrz=td3("19AB12345"))], document_type="passport:fra")
    assert one.status_code == 201, one.json
    assert (one.json["state"], one.json["document_number"]) == ("valid", "19AB12345")
    two = send(client, [colour_png(mrz=td3("19AB12345")), colour_image()], document_type="passport:fra")
    assert [e["field"] for e in problem(two, 400, "invalid_id_validation")["errors"]] == ["document"]


def test_one_pdf_holding_both_sides_of_a_card_is_judged_as_both(client: FlaskClient) -> None:
    pdf = text_pdf(["REPUBLIQUE FRANCAISE"], td1("X4RTBPFW4").splitlines())
    answer = send(client, [pdf], document_type="id_card:fra")
    assert answer.status_code == 201, answer.json
    assert answer.json["state"] == "valid"


@pytest.mark.parametrize("full_name", ["Marie DUPONT", "DUPONT Marie", "marie dupont", "  Marie   Dupont "])
def test_the_names_match_in_either_order_and_any_case(client: FlaskClient, full_name: str) -> None:
    answer = send(
        client, [colour_image(), colour_png(mrz=td1("X4RTBPFW4"))], document_type="id_card:fra", full_name=full_name
    )
    assert answer.json["state"] == "valid", answer.json


@pytest.mark.parametrize(
    ("fields", "files", "code"),
    [
        ({"full_name": "Jean MARTIN"}, None, "mrz_name_mismatch"),
        ({"birthdate": "1981-04-12"}, None, "mrz_birth_date_mismatch"),
        ({}, [colour_image(), grey_image("PNG")], "document_not_in_colour"),
        ({}, [colour_image(), colour_png()], "mrz_unreadable"),
    ],
)
def test_a_document_that_fails_is_kept_invalid_with_the_reason(
    client: FlaskClient, services: MockServices, fields: dict[str, str], files: list[bytes] | None, code: str
) -> None:
    sides = files if files is not None else [colour_image(), colour_png(mrz=td1("X4RTBPFW4"))]
    answer = send(client, sides, document_type="id_card:fra", **fields)
    assert answer.status_code == 201, answer.json
    assert answer.json["state"] == "invalid"
    assert answer.json["reason"]["code"] == code
    assert answer.json["document_number"] is None
    assert kept(services) == 1


def test_an_expired_document_is_invalid(client: FlaskClient) -> None:
    mrz = td1("X4RTBPFW4", expiry=date(2020, 1, 31))
    answer = send(client, [colour_image(), colour_png(mrz=mrz)], document_type="id_card:fra")
    assert (answer.json["state"], answer.json["reason"]["code"]) == ("invalid", "mrz_expired")


@pytest.mark.parametrize(
    ("fields", "files", "field"),
    [
        ({"document_type": "id_card:usa"}, 2, "document_type"),
        ({"document_type": ""}, 2, "document_type"),
        ({"email": "not-an-address"}, 2, "email"),
        ({"full_name": " "}, 2, "full_name"),
        ({"full_name": "x" * 201}, 2, "full_name"),
        ({"birthdate": "12/04/1980"}, 2, "birthdate"),
        ({"birthdate": "2999-01-01"}, 2, "birthdate"),
        ({"birthdate": "1980-02-30"}, 2, "birthdate"),
        ({}, 0, "document"),
        ({}, 3, "document"),
    ],
)
def test_a_request_that_cannot_be_judged_is_refused_and_nothing_kept(
    client: FlaskClient, services: MockServices, fields: dict[str, str], files: int, field: str
) -> None:
    sides = [colour_image(), colour_png(mrz=td1("X4RTBPFW4")), colour_image()][:files]
    answer = send(client, sides, **{"document_type": "id_card:fra", **fields})
    assert [e["field"] for e in problem(answer, 400, "invalid_id_validation")["errors"]] == [field]
    assert kept(services) == 0


def test_a_side_over_4_mb_is_refused(client: FlaskClient, services: MockServices) -> None:
    big = colour_image() + b"\0" * (4 * 1024 * 1024)
    answer = send(client, [big, colour_png(mrz=td1("X4RTBPFW4"))], document_type="id_card:fra")
    assert problem(answer, 400, "invalid_id_validation")["errors"][0]["code"] == "too_large"
    assert kept(services) == 0


def test_a_json_body_is_refused(client: FlaskClient) -> None:
    problem(
        client.post(URL, json={**MARIE, "document_type": "id_card:fra"}, headers=OPERATOR_HEADERS),
        400,
        "invalid_upload",
    )


def test_only_the_operator_that_sent_it_reads_it(client: FlaskClient, services: MockServices) -> None:
    created = send(client, [colour_image(), colour_png(mrz=td1("X4RTBPFW4"))], document_type="id_card:fra").json
    with services.db.transaction() as session:  # a second operator, as an integrator's own confidential client
        session.add(OAuthClient(client_id="other-operator", client_secret="other-secret", redirect_uris="", name="x"))
    other = {"Authorization": "Basic " + base64.b64encode(b"other-operator:other-secret").decode()}
    problem(client.get(f"{URL}/{created['id']}", headers=other), 404, "id_validation_not_found")
    mine = send(client, [colour_png(mrz=td3("19AB12345"))], headers=other, document_type="passport:fra").json
    assert client.get(f"{URL}/{mine['id']}", headers=other).json["state"] == "valid"
    problem(client.get(f"{URL}/{mine['id']}", headers=OPERATOR_HEADERS), 404, "id_validation_not_found")
    problem(client.get(f"{URL}/idv_unknown", headers=OPERATOR_HEADERS), 404, "id_validation_not_found")


def test_an_unauthenticated_or_wrong_operator_is_refused_before_anything_is_judged(
    client: FlaskClient, services: MockServices
) -> None:
    problem(client.post(URL, data={}, content_type="multipart/form-data"), 401, "operator_authentication_required")
    wrong = {"Authorization": "Basic " + base64.b64encode(b"jesign-platform:wrong").decode()}
    refused = send(
        client, [colour_image(), colour_png(mrz=td1("X4RTBPFW4"))], headers=wrong, document_type="id_card:fra"
    )
    problem(refused, 401, "operator_authentication_failed")
    problem(client.get(f"{URL}/idv_unknown", headers=wrong), 401, "operator_authentication_failed")
    assert kept(services) == 0
