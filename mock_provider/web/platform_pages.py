"""The platform's screens (jesignexpert.com): login, step 1, the hand-off to the trust provider, step 6.

The platform is a relying party of the SSO, as in production: "Connexion" sends the browser to ``/sso/authorize``
(client ``jesign-platform``, code flow with PKCE S256 and ``state``); the SSO sends it back to ``<base_url>/callback``,
where the platform redeems the code at the SSO's token endpoint (an in-process call through the whole app, so that
every rule of the token endpoint applies) and keeps the person's id in its session. The SSO's own login session is
separate: logging out of the platform does not log out of Comptexpert.

Which page the person sees follows the core's registration state (``Registrations.status``): the page is chosen
by :func:`registration`, and each form posts to one handler that calls one core method.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, current_app, redirect, request, session, url_for
from werkzeug.test import Client

from mock_provider.core.errors import InvalidInput, MockError, Unavailable
from mock_provider.core.models import OAuthClient
from mock_provider.core.registration.texts import CGU, PRIVACY_POLICY
from mock_provider.core.sso_tokens import authenticate_bearer
from mock_provider.http_common.pages import Answer, Problem, error_page, page, protect
from mock_provider.http_common.services import services

bp = Blueprint("platform_pages", __name__, template_folder="templates")
protect(bp)

CLIENT_ID = "jesign-platform"
SCOPE = "openid profile email phone"
_USER, _LOGIN = "platform_user", "platform_login"
_WELCOME = "platform_welcome"  # step 6 just done: "Félicitations" once, then the private area
#: The session key of the person's SSO access token and its expiry (epoch seconds on the mock's
#: clock, which the SSO judges tokens by), kept from the login.
ACCESS_TOKEN = "platform_access_token"  # noqa: S105 (a session key, not a secret)
#: The states the private area serves: the service open, or the certificate ended (a new request is offered there).
PRIVATE_AREA_STATES = ("active", "certificate_revoked", "certificate_expired")
#: The next actions that happen at the trust provider, reached through the hand-off.
_TRUST_ACTIONS = ("submit_identity", "upload_identity_document", "sign_subscription_agreement")


def _base_url() -> str:
    return str(services().config.base_url)


def _user() -> str | None:
    user = session.get(_USER)
    return user if isinstance(user, str) else None


def _to_login() -> Answer:
    return redirect(url_for("platform_pages.login"), 303)


# -- home, login, logout -------------------------------------------------------------------------------------------


@bp.get("/platform/")
def home() -> Answer:
    """ "Se connecter : espace privé", the showcase site's home with its "Connexion" button."""
    return page("web/platform/home.html", user=_user())


@bp.get("/platform/login")
def login() -> Answer:
    """ "S'authentifier via Comptexpert": off to the SSO, with state and a PKCE challenge kept in the session."""
    base = _base_url()
    if request.host_url.rstrip("/") != base:
        # The SSO sends the browser back to the base URL: start from there, so that the session cookie follows.
        return redirect(base + url_for("platform_pages.login"), 303)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    session[_LOGIN] = {"state": state, "verifier": verifier}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": base + "/callback",
        "scope": SCOPE,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    hint = request.args.get("login_hint")
    if hint:
        query["login_hint"] = hint
    return redirect(f"{base}/sso/authorize?{urlencode(query)}", 303)


@bp.get("/callback")
def callback() -> Answer:
    """The SSO's redirect: check ``state``, redeem the code, remember the person."""
    pending = session.pop(_LOGIN, None)
    if not isinstance(pending, dict) or not secrets.compare_digest(
        str(pending.get("state", "")), request.args.get("state", "")
    ):
        return error_page(
            Problem("login_state_invalid", 400, "Cette connexion a expiré ou ne vient pas de ce navigateur."),
            title="Connexion refusée",
        )
    if "error" in request.args:
        code = request.args.get("error", "access_denied")
        return error_page(
            Problem(code, 403 if code == "access_denied" else 400, "La connexion à Comptexpert n'a pas abouti."),
            title="Connexion annulée",
        )
    user, token, expires_in = _redeem(request.args.get("code", ""), str(pending.get("verifier", "")))
    session[_USER] = user
    # The person's access token, for the calls the platform makes on their behalf (signing, in the private area).
    session[ACCESS_TOKEN] = {"token": token, "expires_at": int(services().clock.now().timestamp()) + expires_in}
    return redirect(url_for("platform_pages.registration"), 303)


def _redeem(code: str, verifier: str) -> tuple[str, str, int]:
    """The platform's back-channel call to the SSO's token endpoint; answers the person's id, the access token and
    its lifetime in seconds."""
    with services().db.transaction() as db:
        client = db.get(OAuthClient, CLIENT_ID)
        secret = client.client_secret if client is not None else None
    if secret is None:
        raise Unavailable(f"the SSO knows no client {CLIENT_ID} (see the seed file)", code="platform_client_missing")
    app: Flask = current_app.extensions["jesign_web"]
    basic = base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
    answer = Client(app).post(
        "/sso/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": _base_url() + "/callback",
            "code_verifier": verifier,
        },
        headers={"Authorization": f"Basic {basic}"},
        base_url=_base_url(),
    )
    body: Any = answer.json if answer.is_json else None
    if answer.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = body.get("error") if isinstance(body, dict) else None
        raise InvalidInput(
            f"the SSO refused the code ({error or answer.status_code})", code=str(error or "token_exchange_failed")
        )
    token = str(body["access_token"])
    expires_in = body.get("expires_in")
    lifetime = expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else 300
    return authenticate_bearer(services(), f"Bearer {token}"), token, lifetime


@bp.post("/platform/logout")
def logout() -> Answer:
    session.pop(_USER, None)
    session.pop(ACCESS_TOKEN, None)
    return redirect(url_for("platform_pages.home"), 303)


# -- the registration ------------------------------------------------------------------------------------------------


@bp.get("/platform/registration")
def registration() -> Answer:
    """The page for where the person stands, from the core's registration state."""
    user = _user()
    if user is None:
        return _to_login()
    return _registration_page(user)


def _registration_page(
    user: str, *, problem: Problem | None = None, form: dict[str, Any] | None = None, status: int = 200
) -> Answer:
    registrations = services().registrations
    current = registrations.status(user)
    state, action = current["state"], current["next_action"]
    context: dict[str, Any] = {"current": current, "problem": problem, "form": form or {}}
    if state == "active" and (session.pop(_WELCOME, None) or problem is not None):
        return page("web/platform/active.html", status, **context)  # "Félicitations", once, after step 6
    if state in PRIVATE_AREA_STATES:
        return redirect(url_for("private_area.account"), 303)
    if action == "accept_terms":
        return page("web/platform/terms.html", status, cgu=CGU, privacy_policy=PRIVACY_POLICY, **context)
    if action == "wait_for_review":
        return page("web/platform/pending.html", status, **context)
    if action in _TRUST_ACTIONS:
        return page("web/platform/resume.html", status, **context)
    # authenticated, profile_confirmed with no request under way, or rejected: step 1 (again)
    return page("web/platform/profile.html", status, **context)


@bp.post("/platform/registration/profile")
def confirm_profile() -> Answer:
    """Step 1, "Poursuivre mon enregistrement": confirm the profile, then the hand-off to the trust provider."""
    user = _user()
    if user is None:
        return _to_login()
    # The read-only fields are sent back as shown; the core refuses any change to them.
    fields = ("given_name", "family_name", "email", "mobile_number")
    submitted: dict[str, Any] = {name: request.form[name] for name in fields if name in request.form}
    try:
        services().registrations.confirm_profile(user, submitted)
    except MockError as exc:
        return _registration_page(user, problem=Problem.of(exc), form=submitted, status=exc.status)
    return _hand_off(user)


@bp.post("/platform/registration/certificate-request")
def start_certificate_request() -> Answer:
    """Resume the request under way at the trust provider (a fresh session), or start a new one."""
    user = _user()
    if user is None:
        return _to_login()
    return _hand_off(user)


def _hand_off(user: str) -> Answer:
    try:
        handoff, _ = services().registrations.start_certificate_request(
            user, redirect_url=_base_url() + url_for("platform_pages.back_from_trust")
        )
    except MockError as exc:
        return _registration_page(user, problem=Problem.of(exc), status=exc.status)
    return redirect(handoff["url"], 303)


@bp.get("/platform/registration/return")
def back_from_trust() -> Answer:
    """Where the trust provider sends the person back; the page follows the core's state, not the query string."""
    return redirect(url_for("platform_pages.registration"), 303)


@bp.post("/platform/registration/terms")
def accept_terms() -> Answer:
    """Step 6, "Valider mon enregistrement": both boxes for each firm."""
    user = _user()
    if user is None:
        return _to_login()
    # A firm is opened when its boxes are ticked; with nothing ticked, every firm is sent, so that the core names
    # each missing box.
    offered = request.form.getlist("firm")
    ticked = [f for f in offered if f"cgu-{f}" in request.form or f"privacy-{f}" in request.form]
    firm_ids = ticked or offered
    firms = [
        {
            "firm_id": firm_id,
            "cgu_accepted": request.form.get(f"cgu-{firm_id}") == "on",
            "privacy_policy_accepted": request.form.get(f"privacy-{firm_id}") == "on",
        }
        for firm_id in firm_ids
    ]
    try:
        services().registrations.accept_terms(
            user,
            firms=firms,
            cgu_version=request.form.get("cgu_version", ""),
            privacy_policy_version=request.form.get("privacy_policy_version", ""),
        )
    except MockError as exc:
        rename = {}
        for index, firm_id in enumerate(firm_ids):
            rename[f"firms[{index}].cgu_accepted"] = f"cgu-{firm_id}"
            rename[f"firms[{index}].privacy_policy_accepted"] = f"privacy-{firm_id}"
        checked = {name: "on" for name in request.form if name.startswith(("cgu-", "privacy-"))}
        return _registration_page(user, problem=Problem.of(exc, rename=rename), form=checked, status=exc.status)
    session[_WELCOME] = True
    return redirect(url_for("platform_pages.registration"), 303)
