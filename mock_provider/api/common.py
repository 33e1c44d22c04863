"""Helpers shared by the JSON blueprints: request bodies, Basic and Bearer credentials, the request's bookkeeping.

What the SSO and the screens need too (the core services, problem+json) is in :mod:`mock_provider.http_common`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Flask, Response, g, request
from sqlalchemy.orm import Session

from mock_provider.core.errors import InvalidInput, Unauthenticated
from mock_provider.core.misbehaviour.areas.http import SERVER_ERROR_ON_BAD_INPUT
from mock_provider.core.misbehaviour.switch import Breakage
from mock_provider.core.sso_tokens import authenticate_bearer
from mock_provider.core.storage import Prepared
from mock_provider.http_common.problems import json_response
from mock_provider.http_common.services import services

#: The control plane and its console: no route scenario, no request history, no injected fault there.
CONTROL_PREFIXES = ("/_mock", "/console")


def json_body() -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 ``invalid_json`` (never a 500).

    Parsed by the app's bounded JSON loader (:mod:`mock_provider.api.request_json`), which says why a body is
    refused. The caller still checks the type of every member it reads (see :func:`optional`).
    """
    if not isinstance(request.get_json(silent=True), dict) and SERVER_ERROR_ON_BAD_INPUT in services().breakages:
        raise TypeError("the body is not a JSON object")  # what a careless provider lets through as a 500
    if not request.is_json:
        raise InvalidInput("send a JSON object with Content-Type: application/json", code="invalid_json")
    body = request.get_json()
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", code="invalid_json")
    return body


T = TypeVar("T")

#: What each JSON type is called in a field error.
_JSON_TYPES: dict[type, str] = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    list: "an array",
    dict: "an object",
}


def optional(body: Mapping[str, Any], name: str, kind: type[T], *, code: str = "invalid_input") -> T | None:
    """``body[name]`` if it is of JSON type ``kind``, ``None`` if absent or null; anything else is a 400 ``code``
    whose field error (``invalid_type``) names the member.

    ``kind`` is ``str``, ``bool``, ``int``, ``float`` (any number), ``list`` or ``dict``. JSON's ``true`` is not a
    number here, although Python's ``bool`` is an ``int``.
    """
    value = body.get(name)
    if value is None:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    wanted = _JSON_TYPES[kind]
    raise InvalidInput(
        f"{name} must be {wanted}", code=code, errors=[{"field": name, "code": "invalid_type", "detail": wanted}]
    )


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def basic_credentials() -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise Unauthenticated(
            "operator calls authenticate with HTTP Basic (client id and secret)",
            code="operator_authentication_required",
            headers={"WWW-Authenticate": 'Basic realm="trust"'},
        )
    try:
        client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthenticated(
            "malformed Basic credentials",
            code="operator_authentication_required",
            headers={"WWW-Authenticate": 'Basic realm="trust"'},
        ) from exc
    return client_id, secret


def ok(body: Any, status: int = 200) -> Response:
    return json_response(body, status)


def write_after_response(write: Callable[[Session], None], *, then: Callable[[], None] | None = None) -> None:
    """Queue ``write`` for the one transaction that ends the request; ``then`` runs once it is committed.

    The request's bookkeeping (its history record, its idempotency answer) is written together, after every other
    ``after_request`` hook: one transaction instead of one per hook.
    """
    g.setdefault("writes_after_response", []).append((write, then))


def prepared_after_response(statement: Prepared, params: dict[str, Any]) -> None:
    """Queue one prepared write (the request's history record) for the end of the request.

    It joins the transaction of :func:`write_after_response`'s writes when the request has some; alone, it is
    run through :meth:`~mock_provider.core.storage.Database.run_prepared`, without an ORM session, which is what
    keeps a request that writes nothing else cheap.
    """
    g.setdefault("prepared_after_response", []).append((statement, params))


def install_writes_after_response(app: Flask) -> None:
    """Register the hook that commits :func:`write_after_response`'s writes.

    Call it before any hook that queues writes: Flask runs ``after_request`` hooks in the reverse order of their
    registration, so this one runs last. If the commit fails, the error answers 500 and the ``then`` callbacks do
    not run (an idempotency claim, for one, is then released by its teardown hook).
    """

    @app.after_request
    def _write_after_response(response: Response) -> Response:
        pending: list[tuple[Callable[[Session], None], Callable[[], None] | None]] = g.pop("writes_after_response", [])
        prepared: list[tuple[Prepared, dict[str, Any]]] = g.pop("prepared_after_response", [])
        db = services().db
        if pending:
            with db.transaction() as session:
                for write, _ in pending:
                    write(session)
                for statement, params in prepared:
                    session.execute(statement.statement, params)
            for _, then in pending:
                if then is not None:
                    then()
        else:
            for statement, params in prepared:
                db.run_prepared(statement, params)
        return response


def bearer_user(realm: str, *, unless: Breakage | None = None) -> str:
    """The user behind the request's SSO access token; 401 with a ``Bearer`` challenge for ``realm`` otherwise.

    Once the user is known, the request's ``Idempotency-Key`` is honoured (:func:`caller_authenticated`).
    ``unless``: the rule-breakage switch that lets a call without any token through (as ``usr_anonymous``).
    """
    if "Authorization" not in request.headers and unless is not None and unless in services().breakages:
        return "usr_anonymous"
    try:
        user = authenticate_bearer(services(), request.headers.get("Authorization"))
    except Unauthenticated as exc:
        exc.headers.setdefault("WWW-Authenticate", f'Bearer realm="{realm}"')
        raise
    caller_authenticated()
    return user


def caller_authenticated() -> None:
    """The last step of every authentication helper: now that the caller is known, honour the request's
    ``Idempotency-Key`` (claim it, or replay its first answer, or refuse it), before the view reads its body.

    Anonymous calls never get here, so nothing of theirs is kept.
    """
    from mock_provider.api.idempotency import honour_key  # that module builds on this one

    honour_key()
