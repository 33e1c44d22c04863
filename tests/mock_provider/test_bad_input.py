"""Bad input to every JSON route: a 400 problem with a stable code, never a 500, and nothing changed.

One mock, walked once to a state where every route has something to change (an active accountant with a personal
certificate, a newcomer, a registration in progress), is shared by the module: each refusal must leave it as it was,
which each test checks against a snapshot of every table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mock_provider import create_app
from mock_provider.api.request_json import MAX_DEPTH, JsonRefused, parse, too_deep
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.errors import InvalidInput
from mock_provider.core.models import IdempotencyRecord, RequestRecord
from mock_provider.core.storage import Base
from tests.conftest import memory_config
from tests.mock_provider.registration_helpers import (
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

    def snapshot(self) -> dict[str, list[str]]:
        """Every row of every table but the request history (which records the refusals), and the clock."""
        with services_of(self.app).db.transaction() as session:
            rows = {
                table.name: sorted(repr(tuple(row)) for row in session.execute(table.select()))
                for table in Base.metadata.sorted_tables
                if table.name != RequestRecord.__tablename__
            }
        return {**rows, "clock": [self.clock.now().isoformat()]}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
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
    try:
        yield World(app, client, clock, headers, {"reg": reg["id"], "credential": credential, "firm": "frm_ecma"})
    finally:
        services_of(app).close()


#: Every route that reads a JSON body: method, path (``{reg}``, ``{credential}``, ``{firm}`` filled in), who calls it.
JSON_ROUTES = [
    ("POST", "/platform/api/v1/registration/profile", "newcomer"),
    ("POST", "/platform/api/v1/registration/certificate-request", "newcomer"),
    ("POST", "/platform/api/v1/registration/terms", "marie"),
    ("POST", "/platform/api/v1/firms/{firm}/delegations", "marie"),
    ("POST", "/trust/v1/registrations", "operator"),
    ("POST", "/trust/v1/registrations/{reg}/identity", "applicant"),
    ("POST", "/trust/v1/registrations/{reg}/agreement/consent", "applicant"),
    ("POST", "/trust/v1/registrations/{reg}/agreement/sign", "applicant"),
    ("POST", "/trust/v1/registrations/{reg}/certificate/report-error", "applicant"),
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
    ("PUT", "/_mock/breakages", "nobody"),
]

#: The other routes that change something, and what they read instead of JSON.
ROUTES_WITHOUT_JSON = {
    ("DELETE", "/platform/api/v1/firms/<firm_id>/delegations/<delegation_id>"): "nothing",
    ("POST", "/trust/v1/registrations/<registration_id>/documents"): "a multipart form",
    ("POST", "/trust/v1/registrations/<registration_id>/agreement/resend"): "nothing",
    ("POST", "/trust/v1/registrations/<registration_id>/cancel"): "nothing",
    ("POST", "/trust/csc/v1/info"): "nothing",
    ("POST", "/trust/csc/v2/info"): "nothing",
    ("POST", "/_mock/reviews/<registration_id>/approve"): "nothing",
    ("DELETE", "/_mock/scenarios"): "nothing",
    ("POST", "/_mock/reset"): "nothing",
    ("DELETE", "/_mock/faults"): "nothing",
    ("DELETE", "/_mock/breakages"): "nothing",
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
    "path", ["/sso/token", "/sso/userinfo", "/sso/logout", "/sso/authorize"], ids=lambda p: p.rsplit("/", 1)[1]
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
def test_the_measured_depth_is_the_real_depth(value: Any, wrap: int) -> None:
    text = "[" * wrap + json.dumps(value) + "]" * wrap
    real = depth_of(value) + wrap
    assert too_deep(text) == (real > MAX_DEPTH)
    if real <= MAX_DEPTH:
        assert parse(text) == json.loads(text)
