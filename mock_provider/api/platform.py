"""``/platform/api/v1``: the platform (jesignexpert.com). Bearer access tokens issued by the SSO.

Steps 1, 2 (hand-off) and 6 of the registration, the person's view of themselves, and the delegations their
firms' accountants manage. Every rule lives in :mod:`mock_provider.core.registration`.
"""

from __future__ import annotations

from flask import Blueprint, Response

from mock_provider.api.common import bearer_user, json_body, ok, optional
from mock_provider.core.errors import InvalidInput
from mock_provider.core.misbehaviour.areas.http import PLATFORM_WITHOUT_TOKEN
from mock_provider.core.registration.texts import CGU, PRIVACY_POLICY
from mock_provider.http_common.services import services

bp = Blueprint("platform", __name__, url_prefix="/platform/api/v1")


def _user() -> str:
    return bearer_user("platform", unless=PLATFORM_WITHOUT_TOKEN)


@bp.get("/me")
def me() -> Response:
    return ok(services().registrations.me(_user()))


@bp.get("/registration")
def registration_status() -> Response:
    return ok(services().registrations.status(_user()))


@bp.get("/registration/certificate")
def current_certificate() -> Response:
    return ok(services().registrations.current_certificate(_user()))


@bp.post("/registration/certificate/revocation-code")
def send_revocation_code() -> Response:
    """The holder's revocation, first half: an SMS code to the certificate's mobile."""
    return ok(services().registrations.send_revocation_code(_user()))


@bp.post("/registration/certificate/revocation")
def revoke_certificate() -> Response:
    """The holder's revocation: the SMS code and a reason; answers the certificate, now revoked."""
    body = json_body()
    registrations = services().registrations
    return ok(registrations.revoke_certificate(_user(), code=body.get("otp"), reason=body.get("reason")))


@bp.post("/registration/profile")
def confirm_profile() -> Response:
    user = _user()
    return ok(services().registrations.confirm_profile(user, json_body()))


@bp.post("/registration/certificate-request")
def start_certificate_request() -> Response:
    user = _user()
    body = json_body()
    level = optional(body, "level", str, code="invalid_registration") or "qcpnqscd"
    redirect_url = optional(body, "redirect_url", str, code="invalid_registration")
    language = optional(body, "language", str, code="invalid_registration") or "fr"
    handoff, created = services().registrations.start_certificate_request(
        user, level=level, redirect_url=redirect_url, language=language
    )
    return ok(handoff, 201 if created else 200)


@bp.get("/terms")
def terms() -> Response:
    _user()
    return ok({"cgu": CGU.as_json(), "privacy_policy": PRIVACY_POLICY.as_json()})


@bp.post("/registration/terms")
def accept_terms() -> Response:
    user = _user()
    body = json_body()
    errors = [
        {"field": name, "code": "required", "detail": "the version of the text accepted"}
        for name in ("cgu_version", "privacy_policy_version")
        if not isinstance(body.get(name), str) or not body[name]
    ]
    firms = body.get("firms")
    if not isinstance(firms, list):
        errors.append({"field": "firms", "code": "required", "detail": "a non-empty list"})
    else:
        for index, entry in enumerate(firms):
            if not isinstance(entry, dict):
                errors.append({"field": f"firms[{index}]", "code": "invalid_type", "detail": "an object"})
            elif not isinstance(entry.get("firm_id"), str):
                errors.append({"field": f"firms[{index}].firm_id", "code": "invalid_type", "detail": "a string"})
    if errors:
        raise InvalidInput("firms, cgu_version and privacy_policy_version are required", errors=errors)
    return ok(
        services().registrations.accept_terms(
            user,
            firms=body["firms"],
            cgu_version=body["cgu_version"],
            privacy_policy_version=body["privacy_policy_version"],
        )
    )


@bp.get("/firms/<firm_id>/delegations")
def list_delegations(firm_id: str) -> Response:
    return ok({"data": services().registrations.list_delegations(_user(), firm_id)})


@bp.post("/firms/<firm_id>/delegations")
def grant_delegation(firm_id: str) -> Response:
    user = _user()
    body = json_body()
    collaborator = optional(body, "user_id", str) or ""
    kind = optional(body, "kind", str) or ""
    created = services().registrations.grant_delegation(user, firm_id, collaborator_id=collaborator, kind=kind)
    return ok(created, 201)


@bp.delete("/firms/<firm_id>/delegations/<delegation_id>")
def revoke_delegation(firm_id: str, delegation_id: str) -> Response:
    services().registrations.revoke_delegation(_user(), firm_id, delegation_id)
    return Response(status=204)
