"""``/trust/v1``: the trust provider (Universign), steps 2 to 5 of the registration.

Two kinds of caller, as with Universign:

- the **operator** (the platform, an integrator) authenticates with its API key, as Universign documents it: HTTP
  Basic with the key as the username and an empty password, or ``Authorization: Bearer <key>``. It creates
  registrations (``POST /registrations``, Universign's form-encoded fields), reads and lists its own (``GET
  /registrations[/{id}]``), and looks up certificate holders (``matchAccount``). As the mock's extension, a
  confidential SSO client's id and secret (HTTP Basic) authenticate that client as an operator too;
- the **applicant** carries the registration's session token, handed over in the registration's URL, as
  ``Authorization: Bearer <token>``. A token opens its own registration only: any other id is "not found".

The applicant's step-by-step calls below (``/identity``, ``/documents``, ``/agreement…``, ``/cancel``,
``/certificate/report-error``) have **no public counterpart at Universign**: there, the applicant goes through those
steps in Universign's hosted page (the ``url`` of the registration). Here they are the mock's test driver of that
hosted page (the French trust pages under ``/trust/enroll``, which call the same core functions), so that the SDK,
the tests and the conformance suite can walk the registration without a browser. A real Universign deployment has
only the operator calls and the hosted page.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request

from mock_provider.api.common import (
    basic_credentials,
    bearer_token,
    caller_authenticated,
    json_body,
    ok,
    optional,
)
from mock_provider.core import api_keys
from mock_provider.core.clock import ensure_utc
from mock_provider.core.errors import InvalidInput, Unauthenticated
from mock_provider.core.misbehaviour.areas.http import TRUST_WITHOUT_TOKEN
from mock_provider.core.models import OAuthClient
from mock_provider.core.registration.operator_calls import DEFAULT_PAGE, MAX_PAGE
from mock_provider.core.registration.texts import AGREEMENT
from mock_provider.http_common.services import services

bp = Blueprint("trust", __name__, url_prefix="/trust/v1")

#: The operator's challenges: an API key as Basic username or as Bearer, or (the mock's) a client id and secret.
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="trust", Bearer realm="trust"'}

#: ``POST /registrations``: Universign's fields (form-encoded), each a string. ``email`` is the mock's former name of
#: ``applicant``, still read (deprecated) when ``applicant`` is absent.
#: Each with its longest accepted value (an e-mail address: RFC 5321's 320 characters; a URL: 2000).
_CREATE_FIELDS = {
    "applicant": 320,
    "email": 320,
    "level": 16,
    "fullname": 240,
    "fullname_type": 32,
    "phone_number": 32,
    "phone_number_type": 32,
    "language": 16,
    "redirect_url": 2000,
    "session_type": 32,
}


def operator() -> str:
    """The calling operator's id: its API key's owner (or, the mock's extension, its SSO client id); else 401."""
    token = bearer_token()
    if token is not None:
        return _key_owner(token)
    client_id, secret = basic_credentials()
    if secret == "":
        return _key_owner(client_id)  # Universign's ``-u your_API_key:``
    with services().db.transaction() as session:
        client = session.get(OAuthClient, client_id)
        known = client.client_secret if client is not None else None
    if known is None or not secrets.compare_digest(known.encode(), secret.encode()):
        raise Unauthenticated("unknown operator credentials", code="operator_authentication_failed", headers=_CHALLENGE)
    caller_authenticated()
    return client_id


def _key_owner(key: str) -> str:
    with services().db.read() as session:
        owner = api_keys.owner_of(session, key)
    if owner is None:
        raise Unauthenticated("unknown API key", code="operator_authentication_failed", headers=_CHALLENGE)
    caller_authenticated()
    return owner


def _is_api_key(token: str) -> bool:
    """Whether a bearer token is an operator's key rather than a session token. Only a token with the keys' prefix
    is looked up (a random session token starts so once in 64⁸), so that the applicant's reads cost nothing more."""
    if not token.startswith(api_keys.KEY_PREFIX):
        return False
    with services().db.read() as session:
        return api_keys.owner_of(session, token) is not None


def _applicant(registration_id: str) -> str:
    token = bearer_token()
    if token is None and TRUST_WITHOUT_TOKEN in services().breakages:
        return registration_id
    services().registrations.authorise(registration_id, token)
    caller_authenticated()
    return registration_id


def _create_body() -> dict[str, Any]:
    """The creation's fields: form-encoded as Universign documents it, or (the mock's extension) a JSON object."""
    if request.mimetype == "application/x-www-form-urlencoded":
        form = request.form
        many = [name for name in _CREATE_FIELDS if len(form.getlist(name)) > 1]
        if many:
            raise InvalidInput(
                "each field is given once",
                code="invalid_registration",
                errors=[{"field": name, "code": "repeated", "detail": "given more than once"} for name in many],
            )
        return {name: form[name] for name in _CREATE_FIELDS if name in form}
    if request.is_json:  # application/json and the other +json types, as every JSON route reads them
        return json_body()
    raise InvalidInput(
        "send the fields form-encoded (application/x-www-form-urlencoded) or as a JSON object",
        code="invalid_registration_encoding",
    )


@bp.post("/registrations")
def create_registration() -> Response:
    """Universign's ``POST /v1/registrations``: ``applicant`` and ``level`` required; the rest optional."""
    caller = operator()
    body = _create_body()
    fields: dict[str, str | None] = {}
    for name, longest in _CREATE_FIELDS.items():
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(
                f"{name} must be a string",
                code="invalid_registration",
                errors=[{"field": name, "code": "invalid_type", "detail": "a string"}],
            )
        if value is not None and len(value) > longest:
            raise InvalidInput(
                f"{name} is {longest} characters at most",
                code="invalid_registration",
                errors=[{"field": name, "code": "too_long", "detail": f"{longest} characters at most"}],
            )
        fields[name] = value or None
    applicant_field = "applicant" if fields["applicant"] is not None or fields["email"] is None else "email"
    applicant = fields["applicant"] or fields["email"]
    missing = [name for name, value in (("applicant", applicant), ("level", fields["level"])) if value is None]
    if missing:
        raise InvalidInput(
            f"{' and '.join(missing)} required",
            code="invalid_registration",
            errors=[{"field": name, "code": "required", "detail": "required"} for name in missing],
        )
    assert applicant is not None
    assert fields["level"] is not None
    created = services().registrations.create_registration(
        operator=caller,
        applicant=applicant,
        applicant_field=applicant_field,
        level=fields["level"],
        phone_number=fields["phone_number"],
        redirect_url=fields["redirect_url"],
        language=fields["language"] or "fr",
        fullname=fields["fullname"],
        fullname_type=fields["fullname_type"] or "suggestion",
        phone_number_type=fields["phone_number_type"] or "suggestion",
        session_type=fields["session_type"] or "standalone",
    )
    return ok(created, 201)


@bp.get("/registrations")
def list_registrations() -> Response:
    """The operator's own registrations, newest first: ``limit`` and ``cursor`` (the mock's pagination), filters
    ``state``, ``applicant``, ``created_after``, ``created_before``."""
    owner = operator()
    args = request.args
    return ok(
        services().registrations.operator_registrations(
            owner,
            limit=_limit(args.get("limit")),
            cursor=args.get("cursor") or None,
            state=args.get("state") or None,
            applicant=args.get("applicant") or None,
            created_after=_instant(args, "created_after"),
            created_before=_instant(args, "created_before"),
        )
    )


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput(
            f"limit is an integer between 1 and {MAX_PAGE}",
            code="invalid_query",
            errors=[{"field": "limit", "code": "out_of_range", "detail": f"1 to {MAX_PAGE}"}],
        )
    return int(raw)


def _instant(args: Mapping[str, str], name: str) -> datetime | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        return ensure_utc(datetime.fromisoformat(raw))
    except ValueError as exc:
        raise InvalidInput(
            f"{name} is an ISO 8601 instant",
            code="invalid_query",
            errors=[{"field": name, "code": "invalid_datetime", "detail": "ISO 8601, e.g. 2026-01-31T00:00:00Z"}],
        ) from exc


@bp.get("/accounts/match")
def match_account() -> Response:
    operator()
    email = request.args.get("email", "")
    if not email:
        raise InvalidInput("give the holder's email", code="invalid_query")
    return ok(services().registrations.match_account(email))


@bp.get("/registrations/<registration_id>")
def get_registration(registration_id: str) -> Response:
    """The operator's view (its API key or client credentials: its own registrations only), or the applicant's (the
    registration's session token)."""
    token = bearer_token()
    if (token is None and request.headers.get("Authorization")) or (token is not None and _is_api_key(token)):
        return ok(services().registrations.operator_registration(operator(), registration_id))
    return ok(services().registrations.get(_applicant(registration_id)))


@bp.post("/registrations/<registration_id>/identity")
def submit_identity(registration_id: str) -> Response:
    reg = _applicant(registration_id)
    body = json_body()
    return ok(
        services().registrations.submit_identity(
            reg,
            birth_date=body.get("birth_date"),
            accept_terms=body.get("accept_terms"),
            accept_privacy_policy=body.get("accept_privacy_policy"),
        )
    )


@bp.post("/registrations/<registration_id>/documents")
def submit_documents(registration_id: str) -> Response:
    """Multipart upload: ``document_type``, ``document_number``, ``front``, ``back``, optional ``mrz``."""
    reg = _applicant(registration_id)
    if request.mimetype != "multipart/form-data":
        raise InvalidInput("send the document sides as multipart/form-data", code="invalid_upload")
    front, back = request.files.get("front"), request.files.get("back")
    return ok(
        services().registrations.submit_documents(
            reg,
            document_type=request.form.get("document_type", ""),
            document_number=request.form.get("document_number"),
            front=front.read() if front else None,
            back=back.read() if back else None,
            mrz=request.form.get("mrz") or None,
        )
    )


@bp.get("/registrations/<registration_id>/agreement")
def agreement(registration_id: str) -> Response:
    _applicant(registration_id)
    return ok(AGREEMENT.as_json())


@bp.post("/registrations/<registration_id>/agreement/consent")
def consent(registration_id: str) -> Response:
    reg = _applicant(registration_id)
    body = json_body()
    if body.get("accept") is not True:
        raise InvalidInput(
            "tick the box to accept the subscription agreement",
            code="agreement_not_accepted",
            errors=[{"field": "accept", "code": "required", "detail": "tick the box"}],
        )
    version, sha256 = optional(body, "version", str), optional(body, "sha256", str)
    return ok(services().registrations.consent_agreement(reg, version=version, sha256=sha256))


@bp.post("/registrations/<registration_id>/agreement/resend")
def resend(registration_id: str) -> Response:
    return ok(services().registrations.resend_code(_applicant(registration_id)))


@bp.post("/registrations/<registration_id>/agreement/sign")
def sign(registration_id: str) -> Response:
    reg = _applicant(registration_id)
    return ok(services().registrations.sign_agreement(reg, code=json_body().get("otp")))


@bp.post("/registrations/<registration_id>/cancel")
def cancel(registration_id: str) -> Response:
    reg = _applicant(registration_id)
    return ok(services().registrations.cancel(reg, actor="applicant"))


@bp.get("/registrations/<registration_id>/certificate")
def certificate(registration_id: str) -> Response:
    return ok(services().registrations.certificate(_applicant(registration_id)))


@bp.post("/registrations/<registration_id>/certificate/report-error")
def report_error(registration_id: str) -> Response:
    reg = _applicant(registration_id)
    return ok(services().registrations.report_error(reg, detail=json_body().get("detail")))


@bp.get("/registrations/<registration_id>/events")
def event_log(registration_id: str) -> Response:
    return ok({"data": services().registrations.event_log(_applicant(registration_id))})
