"""Bad input to every JSON route: a 400 problem with a stable code, never a 500, and nothing changed.

One mock, walked once to a state where every route has something to change (an active accountant with a personal
certificate, a newcomer, a registration in progress), is shared by the module: each refusal must leave it as it was,
which each test checks against a snapshot of every table.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.x509 import ocsp as cx_ocsp
from flask import Flask, request
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.test import TestResponse

from mock_provider import create_app
from mock_provider.api.request_json import MAX_DEPTH, JsonRefused, parse, too_deep
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.errors import InvalidInput
from mock_provider.core.models import IdempotencyRecord, RequestRecord
from mock_provider.core.pki.tsa import TimeStampResp
from mock_provider.core.storage import Base
from tests.helpers.mock import memory_config
from tests.helpers.pki import issue_person, ocsp_request, tsa_request
from tests.helpers.registration import (
    OPERATOR_HEADERS,
    applicant,
    bearer,
    create_registration,
    problem,
    register_to_active,
    sso_login,
    submit_identity,
)

API_PREFIXES = ("/platform/api/v1", "/trust/v1", "/trust/csc", "/_mock")


@dataclass
class World:
    app: Flask
    client: FlaskClient
    clock: ManualClock
    #: Credentials by role: the operator, an applicant, an active accountant, a newcomer, nobody (control plane).
    headers: dict[str, dict[str, str]]
    #: Identifiers written into the paths: a registration, a personal credential, the accountant's firm.
    ids: dict[str, str]

    def path(self, template: str) -> str:
        return template.format(**self.ids)

    def fill(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with its ``{placeholder}`` strings replaced by this world's identifiers."""
        return {
            name: value.format(**self.ids) if isinstance(value, str) and value.startswith("{") else value
            for name, value in body.items()
        }

    def snapshot(self) -> dict[str, list[str]]:
        """Every row of every table but the request history (which records the refusals), and the clock."""
        with services_of(self.app).db.transaction() as session:
            rows = {
                table.name: sorted(repr(tuple(row)) for row in session.execute(table.select()))
                for table in Base.metadata.sorted_tables
                if table.name != RequestRecord.__tablename__
            }
        return {**rows, "clock": [self.clock.now().isoformat()]}


def make_world() -> World:
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0), frozen=True)
    app = create_app(memory_config(), clock=clock)
    client = app.test_client()
    marie = bearer(register_to_active(client))
    credential = next(
        i
        for i in client.post("/trust/csc/v2/credentials/list", json={}, headers=marie).json["credentialIDs"]
        if i.startswith("crt_")
    )
    reg = create_registration(client, "paul.leroy@cabinet-lefevre.example.com", phone_number="+33687654321")
    assert submit_identity(client, reg).status_code == 200
    headers = {
        "operator": OPERATOR_HEADERS,
        "applicant": applicant(reg["session_token"]),
        "marie": marie,
        "newcomer": bearer(sso_login(client, "chloe.bernard")),
        "nobody": {},
    }
    agreement = client.get(f"/trust/v1/registrations/{reg['id']}/agreement", headers=headers["applicant"]).json
    terms = client.get("/platform/api/v1/terms", headers=marie).json
    ids = {
        "reg": reg["id"],
        "credential": credential,
        "firm": "frm_ecma",
        "agreement": agreement["version"],
        "agreement_sha256": agreement["sha256"],
        "cgu": terms["cgu"]["version"],
        "privacy": terms["privacy_policy"]["version"],
    }
    return World(app, client, clock, headers, ids)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    made = make_world()
    try:
        yield made
    finally:
        services_of(made.app).close()


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[World]:
    """Another world for random bodies, which may be accepted and change it."""
    made = make_world()
    try:
        yield made
    finally:
        services_of(made.app).close()


#: Every route that reads a JSON body: method, path (``{reg}``, ``{credential}``, ``{firm}`` filled in), who calls it.
JSON_ROUTES = [
    ("POST", "/platform/api/v1/registration/profile", "newcomer"),
    ("POST", "/platform/api/v1/registration/certificate-request", "newcomer"),
    ("POST", "/platform/api/v1/registration/terms", "marie"),
    ("POST", "/platform/api/v1/registration/certificate/revocation", "marie"),
    ("POST", "/platform/api/v1/firms/{firm}/delegations", "marie"),
    ("POST", "/trust/v1/registrations", "operator"),
    ("POST", "/trust/v1/registrations/{reg}/identity", "applicant"),
    ("POST", "/trust/v1/registrations/{reg}/agreement/consent", "applicant"),
    ("POST", "/trust/v1/registrations/{reg}/agreement/sign", "applicant"),
    ("POST", "/trust/v1/registrations/{reg}/certificate/report-error", "applicant"),
    ("POST", "/trust/v1/webhooks", "operator"),
    *(
        ("POST", f"/trust/csc/{version}/{operation}", "marie")
        for version in ("v1", "v2")
        for operation in (
            "credentials/list",
            "credentials/info",
            "credentials/sendOTP",
            "credentials/authorize",
            "signatures/signHash",
            "signatures/timestamp",
        )
    ),
    ("POST", "/_mock/clock", "nobody"),
    ("POST", "/_mock/clock/advance", "nobody"),
    ("POST", "/_mock/reviews/{reg}/reject", "nobody"),
    ("POST", "/_mock/scenarios", "nobody"),
    ("POST", "/_mock/certificates/{credential}/revoke", "nobody"),
    ("PUT", "/_mock/faults", "nobody"),
    ("POST", "/_mock/faults", "nobody"),
    ("PUT", "/_mock/breakages", "nobody"),
    ("POST", "/_mock/api-keys", "nobody"),
]

#: The other routes that change something, and what they read instead of JSON.
ROUTES_WITHOUT_JSON = {
    ("POST", "/platform/api/v1/registration/certificate/revocation-code"): "nothing",
    ("DELETE", "/platform/api/v1/firms/<firm_id>/delegations/<delegation_id>"): "nothing",
    ("POST", "/trust/v1/registrations/<registration_id>/documents"): "a multipart form",
    ("POST", "/trust/v1/id-validations"): "a multipart form",
    ("POST", "/trust/v1/seals"): "a multipart form",
    ("POST", "/trust/v1/files"): "a multipart form",
    ("POST", "/trust/v1/transactions"): "a form (Universign's form encoding)",
    ("POST", "/trust/v1/transactions/<transaction_id>/documents"): "a form (Universign's form encoding)",
    ("POST", "/trust/v1/transactions/<transaction_id>/documents/<document_id>/fields"): "a form",
    ("POST", "/trust/v1/transactions/<transaction_id>/signatures"): "a form (Universign's form encoding)",
    ("POST", "/trust/v1/transactions/<transaction_id>/start"): "nothing",
    ("POST", "/trust/v1/transactions/<transaction_id>/cancel"): "nothing",
    ("POST", "/trust/v1/registrations/<registration_id>/agreement/resend"): "nothing",
    ("POST", "/trust/v1/registrations/<registration_id>/cancel"): "nothing",
    ("DELETE", "/trust/v1/webhooks/<webhook_id>"): "nothing",
    ("POST", "/trust/csc/v1/info"): "nothing",
    ("POST", "/trust/csc/v2/info"): "nothing",
    ("POST", "/trust/csc/oauth2/authorize"): "a form (the SMS code page)",
    ("POST", "/trust/csc/oauth2/token"): "a form (RFC 6749)",
    ("POST", "/trust/csc/oauth2/revoke"): "a form (RFC 7009)",
    ("POST", "/_mock/reviews/<registration_id>/approve"): "nothing",
    ("DELETE", "/_mock/clock"): "nothing",
    ("DELETE", "/_mock/scenarios"): "nothing",
    ("POST", "/_mock/reset"): "nothing",
    ("DELETE", "/_mock/faults"): "nothing",
    ("DELETE", "/_mock/breakages"): "nothing",
    ("DELETE", "/_mock/webhooks/<webhook_id>"): "nothing",
    ("POST", "/_mock/webhooks/deliveries/settle"): "nothing",
    ("POST", "/_mock/webhooks/deliveries/<delivery_id>/redeliver"): "nothing",
    ("DELETE", "/_mock/api-keys/<key_id>"): "nothing",
}


def _template(path: str) -> str:
    names = {"{reg}": "<registration_id>", "{credential}": "<certificate_id>", "{firm}": "<firm_id>"}
    for placeholder, variable in names.items():
        path = path.replace(placeholder, variable)
    return path


def test_every_route_that_changes_something_is_walked(world: World) -> None:
    """A new route must join one of the lists above, so that its bad input is tested too."""
    served = {
        (method, rule.rule)
        for rule in world.app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIXES)
        for method in rule.methods or ()
        if method in ("POST", "PUT", "PATCH", "DELETE")
    }
    walked = {(method, _template(path)) for method, path, _ in JSON_ROUTES} | set(ROUTES_WITHOUT_JSON)
    assert served == walked


def refused(world: World, method: str, path: str, who: str, data: bytes | str, code: str) -> dict[str, Any]:
    """Send ``data`` as JSON; assert a 400 problem with ``code`` that changed nothing; answer the problem."""
    before = world.snapshot()
    answer = world.client.open(
        world.path(path), method=method, data=data, content_type="application/json", headers=world.headers[who]
    )
    body = problem(answer, 400, code)
    assert world.snapshot() == before, f"{method} {path} changed something"
    return body


# -- bodies that are not JSON the mock accepts ----------------------------------------------------------------------

NOT_ACCEPTED = {
    "deep-arrays": (b"[" * 100_000, "too_deep"),
    "deep-objects": (b'{"a":' * 100_000, "too_deep"),
    "one-level-too-deep": (b'{"x": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}", "too_deep"),
    "nan": (b'{"x": NaN}', "not_a_number"),
    "infinity": (b'{"x": -Infinity}', "not_a_number"),
    "float-overflow": (b'{"x": 1e400}', "not_a_number"),
    "lone-surrogate": (b'{"x": "\\ud800"}', "lone_surrogate"),
    "lone-surrogate-key": (b'{"\\udc00": 1}', "lone_surrogate"),
    "not-utf-8": (b'{"x": "\xff"}', "invalid_encoding"),
    "huge-integer": (b'{"x": ' + b"9" * 5000 + b"}", "malformed"),
    "truncated": (b'{"x": ', "malformed"),
}


@pytest.mark.parametrize(("method", "path", "who"), JSON_ROUTES, ids=[f"{m} {p}" for m, p, _ in JSON_ROUTES])
@pytest.mark.parametrize("case", NOT_ACCEPTED, ids=list(NOT_ACCEPTED))
def test_a_body_that_is_not_accepted_json_is_invalid_json(
    world: World, method: str, path: str, who: str, case: str
) -> None:
    data, reason = NOT_ACCEPTED[case]
    body = refused(world, method, path, who, data, "invalid_json")
    assert body["errors"][0]["field"] == "body"
    assert body["errors"][0]["code"] == reason


def test_a_refused_body_under_an_idempotency_key_is_kept_as_a_refusal(world: World) -> None:
    """The documented rule (Stripe's, as the mock applies it): a 4xx refusal is kept, and its retry replayed."""
    headers = {**world.headers["operator"], "Idempotency-Key": "nested-and-refused"}
    deep = b"[" * 100_000
    first = world.client.post("/trust/v1/registrations", data=deep, content_type="application/json", headers=headers)
    problem(first, 400, "invalid_json")
    again = world.client.post("/trust/v1/registrations", data=deep, content_type="application/json", headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    with services_of(world.app).db.transaction() as session:
        kept = session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == "nested-and-refused")).one()
        assert (kept.status, kept.in_progress) == (400, False)


@pytest.mark.parametrize(
    "path",
    [
        "/sso/token",
        "/sso/userinfo",
        "/sso/logout",
        "/sso/authorize",
        "/sso/login",
        "/trust/csc/oauth2/token",
        "/trust/csc/oauth2/revoke",
        "/trust/csc/oauth2/authorize",
    ],
    ids=lambda p: p.rsplit("/", 2)[1] + "_" + p.rsplit("/", 1)[1],
)
def test_the_sso_never_fails_on_nested_json(world: World, path: str) -> None:
    """The SSO reads forms (and userinfo no body at all); should a library read JSON, it goes through the same
    bounded loader."""
    before = world.snapshot()
    answer = world.client.post(
        path, data=b"[" * 100_000, content_type="application/json", headers=world.headers["marie"]
    )
    assert answer.status_code < 500, answer.get_data(as_text=True)
    assert world.snapshot() == before


def test_any_read_of_a_request_json_is_bounded(world: World) -> None:
    """Not only json_body: whatever reads ``request.get_json()`` in the app (a library such as Authlib) too."""
    with world.app.test_request_context("/", method="POST", data=b"[" * 100_000, content_type="application/json"):
        assert request.get_json(silent=True) is None
        with pytest.raises(InvalidInput) as refusal:
            request.get_json()
    assert refusal.value.code == "invalid_json"
    assert refusal.value.errors[0]["code"] == "too_deep"


# -- members of the wrong JSON type ---------------------------------------------------------------------------------

SHA256 = "2.16.840.1.101.3.4.2.1"
A_DIGEST = base64.b64encode(hashlib.sha256(b"a page").digest()).decode()


def _csc(version: str) -> list[tuple[str, str, str, dict[str, Any], dict[str, tuple[str, str]]]]:
    hashes, algorithm = ("hashes", "hashAlgorithmOID") if version == "v2" else ("hash", "hashAlgo")
    base = f"/trust/csc/{version}"
    request = "invalid_request"
    return [
        (
            "POST",
            f"{base}/credentials/list",
            "marie",
            {"credentialInfo": True},
            {"credentialInfo": ("boolean", request)},
        ),
        (
            "POST",
            f"{base}/credentials/info",
            "marie",
            {"credentialID": "{credential}", "certificates": "chain"},
            {"credentialID": ("string", request), "certificates": ("string", request)},
        ),
        (
            "POST",
            f"{base}/credentials/sendOTP",
            "marie",
            {"credentialID": "{credential}"},
            {"credentialID": ("string", request)},
        ),
        (
            "POST",
            f"{base}/credentials/authorize",
            "marie",
            {
                "credentialID": "{credential}",
                "numSignatures": 1,
                hashes: [A_DIGEST],
                algorithm: SHA256,
                "OTP": "123456",
            },
            {
                "credentialID": ("string", request),
                "numSignatures": ("integer", request),
                hashes: ("array", request),
                algorithm: ("string", request),
                "OTP": ("string", request),
            },
        ),
        (
            "POST",
            f"{base}/signatures/signHash",
            "marie",
            {
                "credentialID": "{credential}",
                "SAD": "spent",
                hashes: [A_DIGEST],
                algorithm: SHA256,
                "signAlgo": "1.2.840.10045.4.3.2",
            },
            {
                "credentialID": ("string", request),
                "SAD": ("string", request),
                hashes: ("array", request),
                algorithm: ("string", request),
                "signAlgo": ("string", request),
            },
        ),
        (
            "POST",
            f"{base}/signatures/timestamp",
            "marie",
            {"hash": A_DIGEST, algorithm: SHA256, "nonce": "0a1b"},
            {"hash": ("string", request), algorithm: ("string", request), "nonce": ("string", request)},
        ),
    ]


#: Every route that reads a JSON body, a body it would accept (or refuse for the state it finds, not the body),
#: and each member it reads: its JSON type, and the code of the problem when it has another type.
TYPED_ROUTES: list[tuple[str, str, str, dict[str, Any], dict[str, tuple[str, str]]]] = [
    (
        "POST",
        "/platform/api/v1/registration/certificate/revocation",
        "marie",
        {"otp": "000000", "reason": "superseded"},
        {"otp": ("string", "otp_malformed"), "reason": ("string", "invalid_revocation_reason")},
    ),
    (
        "POST",
        "/platform/api/v1/registration/profile",
        "newcomer",
        {"mobile_number": "0612345678"},
        {
            "mobile_number": ("string", "mobile_number_required"),
            "given_name": ("string", "read_only_field"),
            "family_name": ("string", "read_only_field"),
            "email": ("string", "read_only_field"),
            "firms": ("array", "read_only_field"),
        },
    ),
    (
        "POST",
        "/platform/api/v1/registration/certificate-request",
        "newcomer",
        {"level": "qcp", "redirect_url": "https://app.example.com/back", "language": "fr"},
        {name: ("string", "invalid_registration") for name in ("level", "redirect_url", "language")},
    ),
    (
        "POST",
        "/platform/api/v1/registration/terms",
        "marie",
        {
            "firms": [{"firm_id": "frm_ecma", "cgu_accepted": True, "privacy_policy_accepted": True}],
            "cgu_version": "{cgu}",
            "privacy_policy_version": "{privacy}",
        },
        {
            "firms": ("array", "invalid_input"),
            "cgu_version": ("string", "invalid_input"),
            "privacy_policy_version": ("string", "invalid_input"),
        },
    ),
    (
        "POST",
        "/platform/api/v1/firms/{firm}/delegations",
        "marie",
        {"user_id": "usr_chloe_bernard", "kind": "seal"},
        {"user_id": ("string", "invalid_input"), "kind": ("string", "invalid_input")},
    ),
    (
        "POST",
        "/trust/v1/registrations",
        "operator",
        {
            "applicant": "chloe.bernard@cabinet-ecma.example.com",
            "level": "qcp",
            "phone_number": "+33611223344",
            "language": "fr",
        },
        {
            name: ("string", "invalid_registration")
            for name in (
                "applicant",
                "email",
                "level",
                "fullname",
                "fullname_type",
                "phone_number",
                "phone_number_type",
                "redirect_url",
                "language",
                "session_type",
            )
        },
    ),
    (
        "POST",
        "/trust/v1/registrations/{reg}/identity",
        "applicant",
        {"birth_date": "1975-02-03", "accept_terms": True, "accept_privacy_policy": True},
        {
            "birth_date": ("string", "identity_incomplete"),
            "accept_terms": ("boolean", "identity_incomplete"),
            "accept_privacy_policy": ("boolean", "identity_incomplete"),
        },
    ),
    (
        "POST",
        "/trust/v1/registrations/{reg}/agreement/consent",
        "applicant",
        {"accept": True, "version": "{agreement}", "sha256": "{agreement_sha256}"},
        {
            "accept": ("boolean", "agreement_not_accepted"),
            "version": ("string", "invalid_input"),
            "sha256": ("string", "invalid_input"),
        },
    ),
    (
        "POST",
        "/trust/v1/registrations/{reg}/agreement/sign",
        "applicant",
        {"otp": "123456"},
        {"otp": ("string", "otp_malformed")},
    ),
    (
        "POST",
        "/trust/v1/registrations/{reg}/certificate/report-error",
        "applicant",
        {"detail": "my name is misspelt"},
        {"detail": ("string", "error_report_incomplete")},
    ),
    *_csc("v1"),
    *_csc("v2"),
    (
        "POST",
        "/_mock/clock",
        "nobody",
        {"now": "2031-01-01T00:00:00Z", "frozen": True},
        {"now": ("string", "invalid_clock"), "frozen": ("boolean", "invalid_clock")},
    ),
    ("POST", "/_mock/clock/advance", "nobody", {"seconds": 60}, {"seconds": ("number", "invalid_clock")}),
    (
        "POST",
        "/_mock/reviews/{reg}/reject",
        "nobody",
        {"reason": "document_unreadable"},
        {"reason": ("string", "invalid_rejection_reason")},
    ),
    (
        "POST",
        "/_mock/scenarios",
        "nobody",
        {"kind": "route_delay", "target": "GET /platform/api/v1/me", "value": 100},
        {
            "kind": ("string", "invalid_scenario"),
            "target": ("string", "invalid_scenario"),
            "value": ("integer", "invalid_scenario"),
        },
    ),
    (
        "POST",
        "/_mock/certificates/{credential}/revoke",
        "nobody",
        {"reason": "superseded"},
        {"reason": ("string", "invalid_revocation_reason")},
    ),
    (
        "PUT",
        "/_mock/faults",
        "nobody",
        {
            "error_rate": 0.5,
            "status": 503,
            "delay_ms_max": 10,
            "after_processing_rate": 0.5,
            "routes": ["/trust/v1/*"],
            "seed": 7,
            "count": 3,
        },
        {
            "error_rate": ("number", "invalid_fault_policy"),
            "status": ("integer", "invalid_fault_policy"),
            "delay_ms_min": ("integer", "invalid_fault_policy"),
            "delay_ms_max": ("integer", "invalid_fault_policy"),
            "after_processing_rate": ("number", "invalid_fault_policy"),
            "routes": ("array", "invalid_fault_policy"),
            "seed": ("integer", "invalid_fault_policy"),
            "count": ("integer", "invalid_fault_policy"),
        },
    ),
    (
        "POST",
        "/_mock/faults",
        "nobody",
        {
            "error_rate": 0.5,
            "status": 503,
            "delay_ms_max": 10,
            "after_processing_rate": 0.5,
            "routes": ["/trust/v1/*"],
            "seed": 7,
            "count": 3,
        },
        {
            "error_rate": ("number", "invalid_fault_policy"),
            "status": ("integer", "invalid_fault_policy"),
            "delay_ms_min": ("integer", "invalid_fault_policy"),
            "delay_ms_max": ("integer", "invalid_fault_policy"),
            "after_processing_rate": ("number", "invalid_fault_policy"),
            "routes": ("array", "invalid_fault_policy"),
            "seed": ("integer", "invalid_fault_policy"),
            "count": ("integer", "invalid_fault_policy"),
        },
    ),
    ("PUT", "/_mock/breakages", "nobody", {"active": ["crl_stale"]}, {"active": ("array", "invalid_breakages")}),
    (
        "POST",
        "/trust/v1/webhooks",
        "operator",
        {"url": "https://hooks.example.com/jesign", "events": ["registration.created"], "name": "hooks"},
        {
            name: (kind, "invalid_webhook")
            for name, kind in (("url", "string"), ("events", "array"), ("name", "string"))
        },
    ),
    (
        "POST",
        "/_mock/api-keys",
        "nobody",
        {"owner": "integrator", "name": "CI"},
        {"owner": ("string", "invalid_api_key_request"), "name": ("string", "invalid_api_key_request")},
    ),
]

#: A value of each JSON type but null (null is "absent", which some members may be).
OF_TYPE: dict[str, Any] = {
    "string": "7",
    "boolean": True,
    "integer": 7,
    "number": 0.5,
    "array": ["7"],
    "object": {"7": 7},
}
FITS = {"number": ("integer", "number")}


def wrong_type_cases() -> Iterator[Any]:
    for method, path, who, body, members in TYPED_ROUTES:
        for member, (kind, code) in members.items():
            for other, value in OF_TYPE.items():
                if other == kind or other in FITS.get(kind, ()):
                    continue
                yield pytest.param(method, path, who, body, member, value, code, id=f"{method} {path} {member}={other}")


def test_every_json_route_has_its_members_typed() -> None:
    assert {(m, p) for m, p, *_ in TYPED_ROUTES} == {(m, p) for m, p, _ in JSON_ROUTES}


@pytest.mark.parametrize(("method", "path", "who", "body", "member", "value", "code"), list(wrong_type_cases()))
def test_a_member_of_another_type_is_refused(
    world: World, method: str, path: str, who: str, body: dict[str, Any], member: str, value: Any, code: str
) -> None:
    sent = {**world.fill(body), member: value}
    refusal = refused(world, method, path, who, json.dumps(sent), code)
    assert member in {error["field"] for error in refusal.get("errors", [])}, refusal


@pytest.mark.parametrize(
    ("method", "path", "who", "body", "field", "code"),
    [
        ("POST", "/platform/api/v1/registration/terms", "marie", {"firms": ["frm_ecma"]}, "firms[0]", "invalid_input"),
        (
            "POST",
            "/platform/api/v1/registration/terms",
            "marie",
            {"firms": [{"firm_id": ["frm_ecma"], "cgu_accepted": True, "privacy_policy_accepted": True}]},
            "firms[0].firm_id",
            "invalid_input",
        ),
        ("POST", "/trust/csc/v2/credentials/authorize", "marie", {"hashes": [A_DIGEST, 7]}, None, "invalid_hash"),
        ("POST", "/trust/csc/v2/signatures/signHash", "marie", {"hashes": [{}]}, None, "invalid_hash"),
        ("PUT", "/_mock/faults", "nobody", {"routes": ["/trust/v1/*", 7]}, "routes", "invalid_fault_policy"),
        ("PUT", "/_mock/breakages", "nobody", {"active": [None]}, None, "invalid_breakages"),
    ],
    ids=["terms-firm", "terms-firm-id", "authorize-hash", "signhash-hash", "fault-route", "breakage"],
)
def test_an_item_of_another_type_is_refused(
    world: World, method: str, path: str, who: str, body: dict[str, Any], field: str | None, code: str
) -> None:
    base = next(b for m, p, _, b, _ in TYPED_ROUTES if (m, p) == (method, path))
    refusal = refused(world, method, path, who, json.dumps({**world.fill(base), **body}), code)
    if field is not None:
        assert field in {error["field"] for error in refusal.get("errors", [])}, refusal


def test_a_scenario_that_takes_no_value_refuses_one(world: World) -> None:
    """Its value is stored though nothing reads it: refused, rather than overflowing the column (was a 500)."""
    for kind in ("sms_undelivered", "review_reject"):
        refused(
            world, "POST", "/_mock/scenarios", "nobody", json.dumps({"kind": kind, "value": 10**30}), "invalid_scenario"
        )


#: Routes whose accepted bodies make later calls fail on purpose (faults, rule breakages, injected errors).
_FAILING_ON_PURPOSE = {"/_mock/faults", "/_mock/breakages", "/_mock/scenarios"}
FUZZED = [route for route in TYPED_ROUTES if route[1] not in _FAILING_ON_PURPOSE]


@st.composite
def random_bodies(draw: st.DrawFn) -> tuple[str, str, str, Any]:
    """A route, and a body made of its members (and others) with values of any JSON type, or any JSON value."""
    method, path, who, _, members = draw(st.sampled_from(FUZZED))
    names = st.sampled_from(sorted(members)) | st.text(max_size=8)
    body = draw(st.dictionaries(names, JSON_VALUES, max_size=6) | JSON_VALUES)
    return method, path, who, body


@settings(max_examples=150, deadline=None)
@given(case=random_bodies())
@pytest.mark.slow
def test_random_bodies_never_fail_the_server(fuzzed: World, case: tuple[str, str, str, Any]) -> None:
    method, path, who, body = case
    answer = fuzzed.client.open(fuzzed.path(path), method=method, json=body, headers=fuzzed.headers[who])
    assert answer.status_code < 500, (method, path, body, answer.get_data(as_text=True))
    if answer.status_code >= 400:
        assert answer.mimetype == "application/problem+json"
        assert answer.json is not None
        assert answer.json["code"]


# -- instants past what X.509 can write: the fake time header and the mock clock -------------------------------------

FAKE_TIME = "X-Jesign-Mock-Time"


def pki_call(world: World, endpoint: str, instant: str) -> TestResponse:
    """Ask OCSP (by POST or GET), a CRL or the TSA for an answer at ``instant``."""
    services = services_of(world.app)
    headers = {FAKE_TIME: instant}
    if endpoint.startswith("ocsp"):
        record = services.pki.get_certificate(world.ids["credential"])
        der = ocsp_request(record.certificate, services.pki.hierarchy()["person"].certificate)
        if endpoint == "ocsp-get":
            return world.client.get(f"/pki/ocsp/{quote(base64.b64encode(der).decode(), safe='')}", headers=headers)
        return world.client.post("/pki/ocsp", data=der, content_type="application/ocsp-request", headers=headers)
    if endpoint == "crl":
        return world.client.get("/pki/crl/person.crl", headers=headers)
    return world.client.post(
        "/pki/tsa", data=tsa_request(), content_type="application/timestamp-query", headers=headers
    )


def latest(world: World, endpoint: str) -> datetime:
    """The last second at which that endpoint can answer."""
    services = services_of(world.app)
    found = {"crl": services.crl.instants, "tsa": services.tsa.instants}.get(endpoint, services.ocsp.instants)
    return found.latest.replace(microsecond=0)


ENDPOINTS = ["ocsp-post", "ocsp-get", "crl", "tsa"]
#: Instants no answer can be dated at, and the field error's code.
UNDATABLE = {
    "year-9999": ("9999-12-31T23:59:59Z", "out_of_range"),
    "year-0001": ("0001-01-01T00:00:00Z", "out_of_range"),
    "before-1950": ("1949-12-31T23:59:59Z", "out_of_range"),
    "zone-before-year-1": ("0001-01-01T00:00:00+01:00", "invalid"),
    "zone-past-9999": ("9999-12-31T23:00:00-05:00", "invalid"),
}


@pytest.mark.parametrize(
    ("endpoint", "case"),
    # A time stamp adds nothing to its instant: the TSA does answer at 9999-12-31T23:59:59Z (tested below).
    [(e, c) for e in ENDPOINTS for c in UNDATABLE if (e, c) != ("tsa", "year-9999")],
)
def test_a_fake_time_no_answer_can_be_dated_at_is_refused(world: World, endpoint: str, case: str) -> None:
    instant, reason = UNDATABLE[case]
    before = world.snapshot()
    body = problem(pki_call(world, endpoint, instant), 400, "invalid_fake_time")
    assert body["errors"] == [{"field": FAKE_TIME, "code": reason, "detail": body["errors"][0]["detail"]}]
    assert world.snapshot() == before


@pytest.mark.parametrize("endpoint", ["ocsp-post", "ocsp-get", "crl"])
def test_an_answer_whose_next_update_would_pass_9999_is_refused(world: World, endpoint: str) -> None:
    """OCSP's and the CRL's nextUpdate come ``validity`` after the instant: one second too late is refused."""
    too_late = (latest(world, endpoint) + timedelta(seconds=1)).isoformat()
    before = world.snapshot()
    body = problem(pki_call(world, endpoint, too_late), 400, "invalid_fake_time")
    assert body["errors"][0]["code"] == "out_of_range"
    assert body["errors"][0]["detail"] == f"from 1950-01-01T00:00:00Z to {latest(world, endpoint):%Y-%m-%dT%H:%M:%SZ}"
    assert world.snapshot() == before


def test_the_first_and_last_datable_instants_are_answered(world: World) -> None:
    services = services_of(world.app)
    earliest = datetime(1950, 1, 1, tzinfo=UTC)
    for at in (earliest, latest(world, "crl")):
        answer = pki_call(world, "crl", at.isoformat())
        assert answer.status_code == 200, answer.get_data(as_text=True)
        crl = x509.load_der_x509_crl(answer.data)
        assert crl.last_update_utc == at
        assert crl.next_update_utc == at + timedelta(seconds=services.config.crl_validity_seconds)
    for endpoint in ("ocsp-post", "ocsp-get"):
        for at in (earliest, latest(world, endpoint)):
            answer = pki_call(world, endpoint, at.isoformat())
            assert answer.status_code == 200
            response = cx_ocsp.load_der_ocsp_response(answer.data)
            assert response.produced_at_utc == at
            assert response.next_update_utc == at + timedelta(seconds=services.config.ocsp_validity_seconds)


@pytest.mark.parametrize(
    ("at", "encoding"),
    [
        (datetime(1950, 1, 1, tzinfo=UTC), "utc_time"),
        (datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC), "utc_time"),
        (datetime(2050, 1, 1, tzinfo=UTC), "generalized_time"),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "generalized_time"),
    ],
    ids=["1950", "2049", "2050", "9999"],
)
def test_a_time_stamp_is_dated_in_the_encoding_rfc_5652_asks(world: World, at: datetime, encoding: str) -> None:
    """signingTime is UTCTime from 1950 to 2049 and GeneralizedTime otherwise (RFC 5652 section 11.3); it was
    always UTCTime, and a fake time from 2050 on was a 500."""
    answer = pki_call(world, "tsa", at.isoformat())
    assert answer.status_code == 200
    token = TimeStampResp.load(answer.data)["time_stamp_token"]["content"]
    assert token["encap_content_info"]["content"].parsed["gen_time"].native == at
    signer = token["signer_infos"][0]
    signing_time = next(a["values"][0] for a in signer["signed_attrs"] if a["type"].native == "signing_time")
    assert (signing_time.name, signing_time.native) == (encoding, at)


def test_the_mock_clock_stays_where_the_mock_can_date_things(world: World) -> None:
    """A clock where certificates, CRLs and OCSP answers can no longer be written is refused, not a later 500."""
    allowed = services_of(world.app).pki.clock_instants
    original = world.clock.now()
    too_late = (allowed.latest + timedelta(seconds=1)).isoformat()
    for now in ("9999-12-31T23:59:59Z", too_late, "1949-12-31T00:00:00Z", "0001-01-01T00:00:00Z"):
        body = refused(
            world, "POST", "/_mock/clock", "nobody", json.dumps({"now": now, "frozen": True}), "invalid_clock"
        )
        assert body["errors"] == [{"field": "now", "code": "out_of_range", "detail": str(allowed)}]
    try:
        world.clock.set(allowed.latest.replace(microsecond=0), frozen=True)
        for seconds in (1, 999_999_999):
            body = refused(
                world, "POST", "/_mock/clock/advance", "nobody", json.dumps({"seconds": seconds}), "invalid_clock"
            )
            assert body["errors"][0]["code"] == "out_of_range"
        world.clock.set(allowed.earliest, frozen=True)
        refused(world, "POST", "/_mock/clock/advance", "nobody", json.dumps({"seconds": -1}), "invalid_clock")
    finally:
        world.clock.set(original, frozen=True)


@pytest.mark.parametrize("end", ["earliest", "latest"])
def test_at_either_end_of_the_clock_the_mock_dates_everything(clock: ManualClock, end: str) -> None:
    """The clock's range is right: at its first and its last second, a new hierarchy, a certificate, a CRL, an OCSP
    answer and a time stamp are all made."""
    app = create_app(memory_config(), clock=clock)
    services = services_of(app)
    try:
        allowed = services.pki.clock_instants
        client = app.test_client()
        answer = client.post("/_mock/clock", json={"now": getattr(allowed, end).isoformat(), "frozen": True})
        assert answer.status_code == 200, answer.json
        hierarchy = services.pki.regenerate()
        record = issue_person(services)
        assert record.not_after <= allowed.latest + timedelta(days=365 * 25)
        assert hierarchy["root"].certificate.not_valid_before_utc.year >= 1950
        assert client.get("/pki/crl/person.crl").status_code == 200
        der = ocsp_request(record.certificate, hierarchy["person"].certificate)
        ocsp_answer = client.post("/pki/ocsp", data=der, content_type="application/ocsp-request")
        assert cx_ocsp.load_der_ocsp_response(ocsp_answer.data).certificate_status == cx_ocsp.OCSPCertStatus.GOOD
        stamp = client.post("/pki/tsa", data=tsa_request(), content_type="application/timestamp-query")
        assert TimeStampResp.load(stamp.data)["status"]["status"].native == "granted"
    finally:
        services.close()


# -- the loader itself ----------------------------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_the_depth_limit_is_inclusive() -> None:
    assert parse(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    assert parse(nested(MAX_DEPTH).encode()) == json.loads(nested(MAX_DEPTH))
    with pytest.raises(JsonRefused) as refusal:
        parse(nested(MAX_DEPTH + 1))
    assert refusal.value.reason == "too_deep"


def test_brackets_in_strings_do_not_count() -> None:
    text = json.dumps({"a": "[" * 1000, "b": '\\"[{' * 500, "c": [["]]]]"]]})
    assert not too_deep(text)
    assert parse(text)["b"] == '\\"[{' * 500
    # An escaped quote does not end a string: what follows it is still inside.
    assert parse('["\\"' + "[" * 100 + '"]') == ['"' + "[" * 100]


def test_other_encodings_and_a_byte_order_mark_are_read_as_json_does() -> None:
    value = {"name": "Dupont", "nested": [[1]]}
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32"):
        assert parse(json.dumps(value).encode(encoding)) == value


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=40,
)


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES, wrap=st.integers(0, MAX_DEPTH + 2))
@pytest.mark.slow
def test_the_measured_depth_is_the_real_depth(value: Any, wrap: int) -> None:
    text = "[" * wrap + json.dumps(value) + "]" * wrap
    real = depth_of(value) + wrap
    assert too_deep(text) == (real > MAX_DEPTH)
    if real <= MAX_DEPTH:
        assert parse(text) == json.loads(text)
