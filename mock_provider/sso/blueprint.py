"""The SSO's HTTP endpoints under ``/sso``: a thin Flask layer over :class:`~mock_provider.sso.server.SsoProvider`.

Errors of the authorization endpoint follow RFC 6749 section 4.1.2.1: once the client and its ``redirect_uri``
are known good, the error goes back to the client by redirect; before that (unknown client, unregistered or
missing ``redirect_uri``) it is a 400 page, HTML for a browser or problem+json for a caller that asks for JSON.
The token and userinfo endpoints answer in the RFC 6749 / RFC 6750 JSON shape (``error``, ``error_description``).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import LoginRequiredError
from flask import Blueprint, Flask, Response, current_app, render_template, request

from mock_provider.core.misbehaviour.areas.sso import (
    TOKEN_ERRORS_AS_PROBLEMS,
    TOKEN_RESPONSES_CACHEABLE,
    USERINFO_WITHOUT_CHALLENGE,
)
from mock_provider.core.services import MockServices
from mock_provider.http_common.oauth2_clients import EndUser
from mock_provider.http_common.problems import json_response, problem
from mock_provider.http_common.sso_session import form_token, form_token_valid, remember_login, session_user
from mock_provider.sso.keys import session_secret
from mock_provider.sso.server import SsoProvider

EXTENSION = "jesign_sso"
IDENTITY_SOURCES = {"comptexpert": "Comptexpert", "expertpass": "ExpertPass"}
_JSON_TYPES = ("application/problem+json", "application/json")

bp = Blueprint("sso", __name__, url_prefix="/sso", template_folder="templates")


def install(app: Flask, services: MockServices) -> None:
    """Serve the SSO on ``app`` (once: a second call does nothing)."""
    if EXTENSION in app.extensions:
        return
    app.extensions[EXTENSION] = SsoProvider(services)
    if not app.secret_key:
        app.secret_key = session_secret(services)
    app.register_blueprint(bp)


def _provider() -> SsoProvider:
    provider: SsoProvider = current_app.extensions[EXTENSION]
    return provider


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    return json_response(_provider().metadata())


@bp.get("/jwks")
def jwks() -> Response:
    return json_response(_provider().signing_key.public_jwks())


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    provider = _provider()
    if request.method == "POST":
        return _login_submitted(provider)
    user = _hinted_user(provider)
    fresh = user is not None
    if user is None:
        user = session_user(provider.end_user)
        hint = request.args.get("login_hint")
        hinted = provider.user_by_login(hint) if user is not None and hint else None
        if hinted is not None and user is not None and hinted.id != user.id:
            user = None  # the client asks for someone else than the person logged in: let them choose
    try:
        grant = provider.server.get_consent_grant(end_user=user)
        if user is not None and not fresh and _must_log_in_again(provider, grant, user):
            user = None
    except OAuth2Error as error:
        return _authorization_error(provider, error)
    if user is None:
        return _login_page(provider, grant)
    return _issue_code(provider, grant, user, remember=fresh)


@bp.post("/token")
def token() -> Response:
    provider = _provider()
    response: Response = provider.server.create_token_response()
    if TOKEN_ERRORS_AS_PROBLEMS in provider.services.breakages and response.status_code >= 400:
        response = _as_problem(response)
    if TOKEN_RESPONSES_CACHEABLE in provider.services.breakages:
        response.headers.pop("Cache-Control", None)
        response.headers.pop("Pragma", None)
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    provider = _provider()
    response: Response = provider.server.create_endpoint_response("userinfo")
    if USERINFO_WITHOUT_CHALLENGE in provider.services.breakages:
        response.headers.pop("WWW-Authenticate", None)
    return response


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    """RP-initiated logout. Without a valid ``id_token_hint`` the person confirms on a page first."""
    provider = _provider()
    try:
        validated = provider.server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return _error_page(error.error, error.get_error_description())
    confirmed = request.method == "POST" and form_token_valid(request.args, request.form.get("csrf_token"))
    if validated.needs_confirmation and not confirmed:
        client = validated.client
        return _html(
            render_template(
                "sso/logout.html",
                action=_this_url(),
                csrf_token=form_token(request.args),
                client_name=client.name if client is not None else None,
            )
        )
    response: Response | None = provider.server.create_endpoint_response("end_session", validated)
    return response if response is not None else _html(render_template("sso/logged_out.html"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """The login page for another service of the profession that trusts this SSO's browser session (the trust
    provider's CSC authorization page): logs the person in here, then goes back to ``next``, a path of that
    service (never another site)."""
    provider = _provider()
    back = request.args.get("next", "")
    if not back.startswith(LOGIN_RETURNS):
        return _error_page("invalid_request", "'next' must be a path of a service that trusts this SSO.")
    if request.method == "POST":
        if not form_token_valid(request.args, request.form.get("csrf_token")):
            return _error_page("invalid_request", "Ce formulaire de connexion a expiré : recommencez.")
        account = provider.user_by_login((request.form.get("login") or "").strip())
        if account is not None:
            remember_login(EndUser(account.id, provider.now()))
            return Response(status=303, headers={"Location": back})
    body = render_template(
        "sso/login.html",
        client_name="Universign (signature à distance)",
        accounts=_accounts(provider),
        hint="",
        action=_this_url(),
        csrf_token=form_token(request.args),
        error="Identifiant inconnu : choisissez un des comptes de test." if request.method == "POST" else None,
    )
    return _html(body, 400 if request.method == "POST" else 200)


#: Where :func:`login` may send the person back to.
LOGIN_RETURNS = ("/trust/csc/oauth2/authorize?",)


# -- the login page --------------------------------------------------------------------------------------------------


def _hinted_user(provider: SsoProvider) -> EndUser | None:
    """With the control plane on, ``login_hint`` names a seeded account that is logged in without a page."""
    hint = request.args.get("login_hint")
    if not provider.services.config.control_plane or not hint:
        return None
    account = provider.user_by_login(hint)
    return EndUser(account.id, provider.now()) if account is not None else None


def _must_log_in_again(provider: SsoProvider, grant: Any, user: EndUser) -> bool:
    """Whether ``prompt`` or ``max_age`` ask for a new login although a session exists."""
    prompts = set(request.args.get("prompt", "").split())
    again = bool(prompts & {"login", "select_account"})
    max_age = request.args.get("max_age")
    if max_age is not None:
        if not max_age.isascii() or not max_age.isdigit():
            raise InvalidRequestError(
                "The 'max_age' must be a number of seconds.", redirect_uri=grant.redirect_uri, state=_state()
            )
        again = again or (provider.now() - user.auth_time).total_seconds() > int(max_age)
    if again and "none" in prompts:
        raise LoginRequiredError(redirect_uri=grant.redirect_uri, state=_state())
    return again


def _login_submitted(provider: SsoProvider) -> Response:
    if not form_token_valid(request.args, request.form.get("csrf_token")):
        return _error_page(
            "invalid_request",
            "Ce formulaire de connexion a expiré ou ne vient pas de cette page : "
            "recommencez la connexion depuis l'application.",
        )
    login = (request.form.get("login") or "").strip()
    account = provider.user_by_login(login) if login and "cancel" not in request.form else None
    user = EndUser(account.id, provider.now()) if account is not None else None
    try:
        grant = provider.server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _authorization_error(provider, error)
    if "cancel" in request.form:
        return _issue_code(provider, grant, None, remember=False)  # access_denied, back to the client
    if user is None:
        return _login_page(provider, grant, error="Identifiant inconnu : choisissez un des comptes de test.")
    return _issue_code(provider, grant, user, remember=True)


def _issue_code(provider: SsoProvider, grant: Any, user: EndUser | None, *, remember: bool) -> Response:
    if user is not None and remember:
        remember_login(user)
    response: Response = provider.server.create_authorization_response(grant.request, grant_user=user, grant=grant)
    return response


def _accounts(provider: SsoProvider) -> list[dict[str, Any]]:
    return [
        {
            "login": user.login,
            "name": f"{user.given_name} {user.family_name}",
            "source": IDENTITY_SOURCES.get(user.identity_source, user.identity_source),
            "firms": firms,
        }
        for user, firms in provider.users()
    ]


def _login_page(provider: SsoProvider, grant: Any, *, error: str | None = None) -> Response:
    body = render_template(
        "sso/login.html",
        client_name=grant.client.name,
        accounts=_accounts(provider),
        hint=request.args.get("login_hint", ""),
        action=_this_url(),
        csrf_token=form_token(request.args),
        error=error,
    )
    return _html(body, 400 if error else 200)


# -- answers ---------------------------------------------------------------------------------------------------------


def _authorization_error(provider: SsoProvider, error: OAuth2Error) -> Response:
    if error.redirect_uri:
        response: Response = provider.server.handle_error_response(None, error)
        return response
    return _error_page(error.error, error.get_error_description())


def _error_page(code: str, detail: str | None) -> Response:
    """A 400 that stays at the SSO: the client or its redirect URI cannot be trusted with a redirect."""
    title = "Request refused by the SSO"
    if request.accept_mimetypes.best_match(["text/html", *_JSON_TYPES]) in _JSON_TYPES:
        return problem(400, code, title, detail)
    return _html(render_template("sso/error.html", code=code, detail=detail), 400)


def _as_problem(response: Response) -> Response:
    """A token endpoint's error rewritten as an RFC 9457 problem (the switch token_errors_as_problems)."""
    body = response.get_json(silent=True) or {}
    return problem(response.status_code, str(body.get("error")), "Token request refused", body.get("error_description"))


def _html(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _this_url() -> str:
    """The URL of the current page, relative, so that a form posts back to the same request."""
    query = request.query_string.decode("latin-1")
    return request.script_root + request.path + (f"?{query}" if query else "")


def _state() -> str | None:
    return request.args.get("state")
