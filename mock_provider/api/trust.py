"""``/trust/v1``: the trust provider (Universign), steps 2 to 5 of the registration.

Two kinds of caller, as with Universign:

- the **operator** (the platform) authenticates with HTTP Basic (a confidential client's id and secret) to
  create registrations and look up certificate holders (``matchAccount``);
- the **applicant** carries the registration's session token, handed over in the registration's URL, as
  ``Authorization: Bearer <token>``. A token opens its own registration only: any other id is "not found".
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, request

from mock_provider.api.common import (
    basic_credentials,
    bearer_token,
    caller_authenticated,
    json_body,
    ok,
    optional,
)
from mock_provider.core.errors import InvalidInput, Unauthenticated
from mock_provider.core.misbehaviour.areas.http import TRUST_WITHOUT_TOKEN
from mock_provider.core.models import OAuthClient
from mock_provider.core.registration.texts import AGREEMENT
from mock_provider.http_common.services import services

bp = Blueprint("trust", __name__, url_prefix="/trust/v1")


def _operator() -> str:
    client_id, secret = basic_credentials()
    with services().db.transaction() as session:
        client = session.get(OAuthClient, client_id)
        known = client.client_secret if client is not None else None
    if known is None or not secrets.compare_digest(known.encode(), secret.encode()):
        raise Unauthenticated(
            "unknown operator credentials",
            code="operator_authentication_failed",
            headers={"WWW-Authenticate": 'Basic realm="trust"'},
        )
    caller_authenticated()
    return client_id


def _applicant(registration_id: str) -> str:
    token = bearer_token()
    if token is None and TRUST_WITHOUT_TOKEN in services().breakages:
        return registration_id
    services().registrations.authorise(registration_id, token)
    caller_authenticated()
    return registration_id


@bp.post("/registrations")
def create_registration() -> Response:
    operator = _operator()
    body = json_body()
    fields = {}
    for name in ("email", "level", "phone_number"):
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidInput(
                f"{name} is required",
                code="invalid_registration",
                errors=[{"field": name, "code": "required", "detail": "required"}],
            )
        fields[name] = value
    redirect_url = body.get("redirect_url")
    language = body.get("language", "fr")
    for name, value in (("redirect_url", redirect_url), ("language", language)):
        if value is not None and not isinstance(value, str):
            raise InvalidInput(
                f"{name} must be a string",
                code="invalid_registration",
                errors=[{"field": name, "code": "invalid_type", "detail": "a string"}],
            )
    created = services().registrations.create_registration(
        operator=operator,
        email=fields["email"],
        level=fields["level"],
        phone_number=fields["phone_number"],
        redirect_url=redirect_url,
        language=language,
    )
    return ok(created, 201)


@bp.get("/accounts/match")
def match_account() -> Response:
    _operator()
    email = request.args.get("email", "")
    if not email:
        raise InvalidInput("give the holder's email", code="invalid_query")
    return ok(services().registrations.match_account(email))


@bp.get("/registrations/<registration_id>")
def get_registration(registration_id: str) -> Response:
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
