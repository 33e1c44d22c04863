"""``/trust/csc/oauth2``: the trust provider's own OAuth2 for the CSC API (``authType`` ``oauth2code``).

CSC 1.0.4 section 8.3 and CSC 2.0 sections 8.3 and 8.4: ``oauth2/authorize`` (a browser page), ``oauth2/token``,
``oauth2/revoke``, under the base URI that ``info`` gives as ``oauth2`` (``<base_url>/trust/csc``, one server for
both versions). The protocol is Authlib's (:mod:`mock_provider.api.csc_oauth2_server`); this module is the HTTP
layer and what is CSC's own:

- the person is the one logged in at the SSO in this browser (no session: a redirect to the SSO's login page,
  ``/sso/login``, which comes back here); with the control plane on, ``login_hint=<login>`` logs a seeded account
  in at once, as ``/sso/authorize`` does;
- ``scope=service`` issues a code at once (the trust provider trusts the platform's SSO: no consent page);
- ``scope=credential`` names ``credentialID``, ``numSignatures`` and the hashes: ``hash`` (1.0.4) or ``hashes``
  (2.0), comma-separated base64url values, with ``hashAlgorithmOID`` (2.0; SHA-256 when absent), as many as
  ``numSignatures``, each of its algorithm's length. The credential must be the person's (or a seal they may use:
  the rule of ``credentials/authorize``). A SCAL2 credential (the personal certificate) asks for the SMS code on
  a page, which sends it on display (the limits and lockout of ``credentials/sendOTP``); a SCAL1 seal issues the
  code at once;
- errors go back to the ``redirect_uri`` as RFC 6749 section 4.1.2.1 says (``error``, ``error_description``,
  ``state``) once the client and its ``redirect_uri`` are known good, else stay on a page (problem+json for a
  caller that asks for JSON).

The tokens at the CSC API (:func:`caller`): a ``service`` token stands for the person at every call, as the SSO's
access token does; a ``credential`` token serves ``signatures/signHash`` only, where it stands for the SAD (CSC
1.0.4 section 11.9: the SAD is not needed with a credential-scope access token for that credential).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError
from flask import Blueprint, Flask, Response, current_app, redirect, request
from sqlalchemy import select

from mock_provider.api.common import bearer_token, bearer_user, caller_authenticated
from mock_provider.api.csc_oauth2_server import CodeGrant, CscAuthorizationServer
from mock_provider.core import csc_oauth2 as store
from mock_provider.core.errors import InvalidInput, MockError, NotFound
from mock_provider.core.misbehaviour.areas.signing import (
    CREDENTIAL_TOKEN_AS_SERVICE,
    FOREIGN_CREDENTIAL,
    SAD_ACCEPTS_OTHER_HASHES,
    SAD_NOT_BOUND_TO_CREDENTIAL,
    SAD_REUSABLE,
    SAD_SIGNS_BEYOND_NUM_SIGNATURES,
    TOKEN_BEYOND_COUNT,
    TOKEN_OTHER_CREDENTIAL,
    TOKEN_OTHER_HASHES,
    TOKEN_REUSABLE,
    WITHOUT_SMS_CODE,
)
from mock_provider.core.misbehaviour.switch import Breakage
from mock_provider.core.models import User
from mock_provider.core.signing import DIGESTS, PendingAuthorization
from mock_provider.http_common import pages
from mock_provider.http_common.oauth2_clients import EndUser
from mock_provider.http_common.pages import CSRF_PROBLEM, Problem, csrf_valid, page
from mock_provider.http_common.problems import problem
from mock_provider.http_common.services import services
from mock_provider.http_common.sso_session import remember_login, session_user_id

EXTENSION = "jesign_csc_oauth2"
SHA256 = "2.16.840.1.101.3.4.2.1"
_JSON_TYPES = ("application/problem+json", "application/json")

bp = Blueprint("csc_oauth2", __name__, url_prefix="/trust/csc/oauth2", template_folder="templates")


#: The switches of a credential-scope token's rules, each honoured as the SAD's switch for the same rule.
TOKEN_SAD_RULES: dict[Breakage, Breakage] = {
    TOKEN_OTHER_HASHES: SAD_ACCEPTS_OTHER_HASHES,
    TOKEN_OTHER_CREDENTIAL: SAD_NOT_BOUND_TO_CREDENTIAL,
    TOKEN_REUSABLE: SAD_REUSABLE,
    TOKEN_BEYOND_COUNT: SAD_SIGNS_BEYOND_NUM_SIGNATURES,
}


def install(app: Flask) -> None:
    app.extensions[EXTENSION] = CscAuthorizationServer(app.extensions["jesign_mock"])
    pages.install(app)  # the authorization and SMS code pages
    app.register_blueprint(bp)


def _server() -> CscAuthorizationServer:
    server: CscAuthorizationServer = current_app.extensions[EXTENSION]
    return server


# -- the Bearer token at the CSC API ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who calls the CSC API, and, with a credential-scope token, the SAD that token stands for."""

    user_id: str
    sad: str | None = None

    def sad_switches(self) -> frozenset[Breakage]:
        """The SAD's switches to honour on this call: those of the token's rules that are on."""
        if self.sad is None:
            return frozenset()
        broken = services().breakages.snapshot()
        return frozenset(sad for mine, sad in TOKEN_SAD_RULES.items() if mine in broken)


def caller(*, sign_hash: bool = False, unless: Breakage | None = None) -> Caller:
    """The caller of a CSC call: a token of this authorization server, else the SSO's access token.

    ``sign_hash``: the call is ``signatures/signHash``, the one a credential-scope token serves."""
    token = bearer_token()
    svc = services()
    latch = store.tokens_latch(svc.db)
    revision = latch.revision()
    if token is not None and not latch.known_absent(revision):
        try:
            with svc.db.read() as session:  # a look-up only: no write lock
                if store.any_token(session):
                    row = store.access_token(session, token, svc.clock.now())
                    found = (row.user_id, row.scope) if row is not None else None
                else:
                    latch.mark_absent(revision)
                    found = None
        except store.InvalidAccessToken as exc:
            exc.headers.setdefault("WWW-Authenticate", 'Bearer realm="csc", error="invalid_token"')
            raise
        if found is not None:
            user_id, scope = found
            if scope == store.CREDENTIAL and not sign_hash and CREDENTIAL_TOKEN_AS_SERVICE not in svc.breakages:
                raise store.InsufficientScope(
                    "a credential-scope access token serves signatures/signHash only",
                    headers={"WWW-Authenticate": 'Bearer realm="csc", error="insufficient_scope", scope="service"'},
                )
            caller_authenticated()
            return Caller(user_id, store.sad_of(token) if scope == store.CREDENTIAL else None)
    return Caller(bearer_user("csc", unless=unless))


# -- oauth2/authorize ------------------------------------------------------------------------------------------------


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    server = _server()
    user = _person()
    try:
        grant: CodeGrant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _authorization_error(server, error)
    if user is None:
        # The SSO is another party: reached by its URL, as a browser would, not by its blueprint's name.
        return redirect(f"/sso/login?{urlencode({'next': _this_url()})}", 302)
    if request.args.get("login_hint") and services().config.control_plane:
        remember_login(user)
    if grant.request.payload.scope == store.SERVICE:
        return _issue(server, grant, user)
    try:
        pending = _credential_request(user)
    except OAuth2Error as error:
        error.redirect_uri, error.state = grant.redirect_uri, request.args.get("state")
        return _authorization_error(server, error)
    grant.pending = pending
    if pending.scal != 2 or WITHOUT_SMS_CODE in services().breakages:
        return _issue(server, grant, user)
    return _sms_code_page(server, grant, user, pending)


def _person() -> EndUser | None:
    """The person: the seeded account of ``login_hint`` (control plane on), else the one logged in at the SSO."""
    svc = services()
    hint = request.args.get("login_hint")
    with svc.db.transaction() as session:
        if hint and svc.config.control_plane and "\x00" not in hint:
            account = session.scalar(select(User).where(User.login == hint))
            if account is not None:
                return EndUser(account.id, svc.clock.now())
        user_id = session_user_id()
        if user_id is not None and session.get(User, user_id) is not None:
            return EndUser(user_id, svc.clock.now())
    return None


def _credential_request(user: EndUser) -> PendingAuthorization:
    """The checked authorization that ``scope=credential`` asks for; OAuth2 errors for the client otherwise."""
    args = request.args
    credential_id = args.get("credentialID")
    if not credential_id:
        raise InvalidRequestError("'credentialID' is required with scope=credential.")
    count_text = args.get("numSignatures", "")
    if not (count_text.isascii() and count_text.isdigit()):
        raise InvalidRequestError("'numSignatures' is required with scope=credential (a number).")
    count = int(count_text)
    algorithm = args.get("hashAlgorithmOID") or SHA256
    if algorithm not in DIGESTS:
        raise InvalidRequestError("'hashAlgorithmOID' is not a supported digest algorithm.")
    hashes = _hashes(args.get("hashes") or args.get("hash") or "", DIGESTS[algorithm][1])
    if hashes and len(hashes) != count:
        raise InvalidRequestError("'numSignatures' must be the number of hashes sent.")
    try:
        return services().signing.pending_authorization(
            user.id, credential_id, num_signatures=count, hashes_b64=hashes or None, hash_algorithm=algorithm
        )
    except NotFound as exc:
        if FOREIGN_CREDENTIAL in services().breakages:
            return PendingAuthorization(user.id, credential_id, 1, count, algorithm, None, None)
        raise AccessDeniedError(f"{exc.detail}: a credential of yours, or a seal you may use.") from exc
    except InvalidInput as exc:
        raise InvalidRequestError(exc.detail) from exc
    except MockError as exc:  # a seal without its delegation, a revoked or expired certificate
        raise AccessDeniedError(exc.detail) from exc


def _hashes(text: str, length: int) -> list[str]:
    """Comma-separated base64url hashes (padding optional), as standard base64 (how signHash sends them)."""
    found = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            raw = base64.urlsafe_b64decode(item + "=" * (-len(item) % 4))
        except (binascii.Error, ValueError) as exc:
            raise InvalidRequestError("A hash is not base64url.") from exc
        if len(raw) != length:
            raise InvalidRequestError(f"A hash is not {length} bytes long, as its algorithm makes it.")
        found.append(base64.b64encode(raw).decode())
    return found


def _sms_code_page(
    server: CscAuthorizationServer, grant: CodeGrant, user: EndUser, pending: PendingAuthorization
) -> Response:
    """GET: send the SMS code and ask for it; POST: check it (a wrong try counts), then issue the code."""
    signing = services().signing
    if request.method == "POST":
        if not csrf_valid():
            return _code_form(pending, CSRF_PROBLEM)
        if "cancel" in request.form:
            return _issue(server, grant, None)
        try:
            signing.confirm_code(pending, request.form.get("otp", ""))
        except MockError as exc:
            return _code_form(pending, Problem.of(exc, rename={"otp": "otp"}))
        return _issue(server, grant, user)
    try:
        signing.send_otp(user.id, pending.credential_id)
    except MockError as exc:
        if exc.code == "otp_resend_too_soon":  # the code sent a moment ago is still the one to enter
            return _code_form(pending, None, sent=False, notice=RESENT_TOO_SOON)
        return _code_form(pending, Problem.of(exc), sent=False)
    return _code_form(pending, None)


RESENT_TOO_SOON = "Un code vous a été envoyé il y a un instant : saisissez-le (il reste valable)."


def _code_form(
    pending: PendingAuthorization, trouble: Problem | None, *, sent: bool = True, notice: str | None = None
) -> Response:
    info = services().signing.credential(pending.user_id, pending.credential_id).info(services().pki, chain=False)
    return page(
        "web/trust/csc_authorize.html",
        trouble.status if trouble else 200,
        problem=trouble,
        action=_this_url(),
        sent=sent,
        notice=notice,
        where=info.get("OTP", {}).get("description", ""),
        subject=info["cert"]["subjectDN"],
        count=pending.num_signatures,
        otp_minutes=services().config.otp_validity_seconds // 60,
    )


def _issue(server: CscAuthorizationServer, grant: CodeGrant, user: EndUser | None) -> Response:
    try:
        response: Response = server.create_authorization_response(grant.request, grant_user=user, grant=grant)
    except OAuth2Error as error:
        return _authorization_error(server, error)
    return response


def _authorization_error(server: CscAuthorizationServer, error: OAuth2Error) -> Response:
    if error.redirect_uri:
        error.state = error.state or request.args.get("state")
        response: Response = server.handle_error_response(None, error)
        return response
    # The client or its redirect_uri cannot be trusted with a redirect (RFC 6749 section 4.1.2.1): a page.
    detail = error.get_error_description()
    if request.accept_mimetypes.best_match(["text/html", *_JSON_TYPES]) in _JSON_TYPES:
        return problem(400, error.error, "Authorization request refused", detail)
    return page("web/error.html", 400, problem=Problem(error.error, 400, detail), title="Demande refusée")


def _this_url() -> str:
    query = request.query_string.decode("latin-1")
    return request.script_root + request.path + (f"?{query}" if query else "")


# -- oauth2/token and oauth2/revoke ---------------------------------------------------------------------------------


@bp.post("/token")
def token() -> Response:
    response: Response = _server().create_token_response()
    return response


@bp.post("/revoke")
def revoke() -> Response:
    response: Response = _server().create_endpoint_response("revocation")
    return response
