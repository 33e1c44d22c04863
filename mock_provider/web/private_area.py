"""The platform's "Espace privé" (jesignexpert.com), once the registration is done: the account and the delegations.

- "Mon compte" (``/platform/espace-prive``): the profile, the firms (role, delegations held, service open), the
  certificate with its status and expiry, and what the holder does with it: revoke it (an SMS code, then the code
  and a reason), report an error within the 48 hours after issuance (the trust provider revokes it and issues a new
  one on the same request), and, once it has ended (revoked or expired), start a new request (the hand-off to the
  trust provider, as in step 2);
- "Délégations" (``/platform/espace-prive/delegations``): for each firm where the person is the chartered
  accountant, the delegations held by its collaborators (``sign``, ``seal``, ``prepare``), granted and withdrawn.

The signing page is :mod:`~mock_provider.web.signing_pages`. Every rule is the core's
(:mod:`mock_provider.core.registration`), with the codes of the platform API; this module only shows its answers.

The error report is the trust provider's act on a registration (``report_error``), authorised at the trust provider
by the registration's session token. Here the holder is logged in at the platform, and the registration is the one
the core finds from that person (:meth:`~mock_provider.core.registration.Registrations.current_certificate`): no id
comes from the browser, so a person can only ever report an error in their own certificate.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, session, url_for

from mock_provider.core.errors import MockError
from mock_provider.core.registration.lifecycle import HOLDER_REVOCATION_REASONS
from mock_provider.http_common.pages import Answer, Problem, page, protect
from mock_provider.http_common.services import services
from mock_provider.web.platform_pages import PRIVATE_AREA_STATES

bp = Blueprint("private_area", __name__, template_folder="templates")
protect(bp)

_USER = "platform_user"

#: The holder's revocation reasons, as the page names them (RFC 5280 CRLReason values the holder may give).
REASONS_FR = {
    "unspecified": "Non précisé",
    "key_compromise": "Compromission (code ou téléphone perdu, volé)",
    "affiliation_changed": "Changement de cabinet ou de fonctions",
    "superseded": "Certificat remplacé",
    "cessation_of_operation": "Cessation d'activité",
}
assert set(REASONS_FR) == set(HOLDER_REVOCATION_REASONS)

KINDS_FR = {"sign": "Signer", "seal": "Sceller (cachet du cabinet)", "prepare": "Préparer"}
ROLES_FR = {"expert-comptable": "Expert-comptable", "collaborateur": "Collaborateur"}
STATUS_FR = {"valid": "Valide", "revoked": "Révoqué", "expired": "Expiré"}


def signed_in() -> str | None:
    """The person logged in at the platform in this browser, if any."""
    user = session.get(_USER)
    return user if isinstance(user, str) else None


def gate() -> Answer | str:
    """The person, when the private area is theirs to see; else where to send the browser (login, registration)."""
    user = signed_in()
    if user is None:
        return redirect(url_for("platform_pages.login"), 303)
    if services().registrations.status(user)["state"] not in PRIVATE_AREA_STATES:
        return redirect(url_for("platform_pages.registration"), 303)
    return user


def common(user: str) -> dict[str, Any]:
    """What every page of the private area shows: the person and their firms (for the menu)."""
    me = services().registrations.me(user)
    return {
        "me": me,
        "accountant_firms": [f for f in me["firms"] if f["role"] == "expert-comptable"],
        "roles_fr": ROLES_FR,
        "kinds_fr": KINDS_FR,
    }


# -- the account --------------------------------------------------------------------------------------------------


@bp.get("/platform/espace-prive")
def account() -> Answer:
    """ "Mon compte": the profile, the firms, the certificate and its actions."""
    user = gate()
    if not isinstance(user, str):
        return user
    return _account_page(user)


def _account_page(
    user: str, *, problem: Problem | None = None, status: int = 200, notice: str | None = None, **extra: Any
) -> Answer:
    registrations = services().registrations
    current = registrations.status(user)
    certificate: dict[str, Any] | None = None
    try:
        certificate = dict(registrations.current_certificate(user))
    except MockError:
        certificate = None
    report_open = False
    if certificate is not None and certificate["status"] == "valid":
        report_open = certificate["acceptance"] == "awaiting_acceptance"
    return page(
        "web/platform/account.html",
        status,
        current=current,
        certificate=certificate,
        report_open=report_open,
        status_fr=STATUS_FR,
        reasons_fr=REASONS_FR,
        problem=problem,
        notice=notice,
        **extra,
        **common(user),
    )


@bp.post("/platform/espace-prive/certificat/code-revocation")
def send_revocation_code() -> Answer:
    """ "Révoquer mon certificat", first half: the SMS code, then the form for the code and the reason."""
    user = gate()
    if not isinstance(user, str):
        return user
    try:
        sent = services().registrations.send_revocation_code(user)
    except MockError as exc:
        return _account_page(user, problem=Problem.of(exc), status=exc.status)
    return _account_page(user, revocation=sent)


@bp.post("/platform/espace-prive/certificat/revocation")
def revoke_certificate() -> Answer:
    """The code and the reason: the certificate revoked at once (CRL, OCSP), an e-mail to the holder."""
    user = gate()
    if not isinstance(user, str):
        return user
    reason = request.form.get("reason", "")
    try:
        services().registrations.revoke_certificate(user, code=request.form.get("otp", ""), reason=reason)
    except MockError as exc:
        # The code stays valid after a wrong try: the form again, with what went wrong next to its field.
        return _account_page(
            user,
            problem=Problem.of(exc),
            status=exc.status,
            revocation={"phone_masked": None},
            form={"reason": reason},
        )
    return _account_page(user, notice="Votre certificat a été révoqué. Il ne peut plus servir à signer.")


@bp.post("/platform/espace-prive/certificat/erreur")
def report_error() -> Answer:
    """ "Signaler une erreur" within 48 hours: the trust provider revokes the certificate and issues a new one."""
    user = gate()
    if not isinstance(user, str):
        return user
    registrations = services().registrations
    detail = request.form.get("detail", "")
    try:
        # The holder's own registration, found from the person logged in (never an id from the form).
        registration_id = registrations.current_certificate(user)["registration_id"]
        registrations.report_error(registration_id, detail=detail)
    except MockError as exc:
        return _account_page(user, problem=Problem.of(exc), status=exc.status, form={"detail": detail})
    return _account_page(user, notice="Votre signalement est pris en compte : un nouveau certificat vous a été émis.")


@bp.post("/platform/espace-prive/certificat/nouvelle-demande")
def new_certificate_request() -> Answer:
    """ "Demander un nouveau certificat" once it has ended: a new request, then the hand-off to the trust provider
    (the identity checked again); a refusal (a collaborator whose sign delegation was withdrawn...) stays here."""
    user = gate()
    if not isinstance(user, str):
        return user
    back = str(services().config.base_url) + url_for("platform_pages.back_from_trust")
    try:
        handoff, _ = services().registrations.start_certificate_request(user, redirect_url=back)
    except MockError as exc:
        return _account_page(user, problem=Problem.of(exc), status=exc.status)
    return redirect(handoff["url"], 303)


# -- the delegations ----------------------------------------------------------------------------------------------


@bp.get("/platform/espace-prive/delegations")
def delegations() -> Answer:
    """ "Délégations": each firm the person is the chartered accountant of, its delegations and the grant form."""
    user = gate()
    if not isinstance(user, str):
        return user
    return _delegations_page(user)


def _delegations_page(
    user: str, *, problem: Problem | None = None, status: int = 200, notice: str | None = None, firm: str = ""
) -> Answer:
    registrations = services().registrations
    context = common(user)
    firms = []
    for claim in context["accountant_firms"]:
        people = registrations.list_collaborators(user, claim["id"])
        names = {p["id"]: f"{p['given_name']} {p['family_name']}" for p in people}
        held = registrations.list_delegations(user, claim["id"])
        firms.append({"firm": claim, "collaborators": people, "names": names, "delegations": held})
    if firm not in {entry["firm"]["id"] for entry in firms}:
        firm = ""  # not one of the person's firms: the message goes on top of the page
    return page(
        "web/platform/delegations.html",
        status,
        firms=firms,
        problem=problem,
        problem_firm=firm,
        notice=notice,
        **context,
    )


@bp.post("/platform/espace-prive/delegations/<firm_id>")
def grant_delegation(firm_id: str) -> Answer:
    """Grant a delegation to one of the firm's collaborators."""
    user = gate()
    if not isinstance(user, str):
        return user
    try:
        services().registrations.grant_delegation(
            user,
            firm_id,
            collaborator_id=request.form.get("collaborator", ""),
            kind=request.form.get("kind", ""),
        )
    except MockError as exc:
        problem = Problem.of(exc, rename={"kind": "kind"})
        return _delegations_page(user, problem=problem, status=exc.status, firm=firm_id)
    return _delegations_page(user, notice="La délégation est accordée.", firm=firm_id)


@bp.post("/platform/espace-prive/delegations/<firm_id>/<delegation_id>/retrait")
def withdraw_delegation(firm_id: str, delegation_id: str) -> Answer:
    """Withdraw a delegation: its use stops at once (the core's rule)."""
    user = gate()
    if not isinstance(user, str):
        return user
    try:
        services().registrations.revoke_delegation(user, firm_id, delegation_id)
    except MockError as exc:
        return _delegations_page(user, problem=Problem.of(exc), status=exc.status, firm=firm_id)
    return _delegations_page(user, notice="La délégation est retirée.", firm=firm_id)
