"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the End-User the id_token_hint names is logged out,
and no one else; a hint the OP did not issue is not honoured, nor a post_logout_redirect_uri it does not know.

Run last in the plan: the logins it logs out are its own (never the plan's kept ones), so that the checks after it
are not judged on tokens a logout ended."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.oidc import LoginError, Tokens, login
from conformance.plans.sso.common import meta, userinfo
from conformance.registry import check
from conformance.results import Severity

RP_LOGOUT = "OpenID Connect RP-Initiated Logout 1.0"
#: A post_logout_redirect_uri registered for no client.
UNREGISTERED = "https://conformance.invalid/after-logout"


def _fresh_login(ctx: CheckContext, role: str) -> Tokens:
    """A login of ``role`` of this check's own (not kept for the plan run)."""
    try:
        tokens = login(ctx.http, ctx.harness, ctx.target, ctx.target.account(role))
    except LoginError as exc:
        raise UnexpectedAnswer(f"the {role} cannot log in: {exc}") from exc
    for value in (tokens.access_token, tokens.id_token, tokens.refresh_token):
        ctx.http.add_secret(value)
    return tokens


def _forged(id_token: str) -> str:
    """``id_token`` with its signature's first character changed: the same claims, not the issuer's signature."""
    head, payload, signature = id_token.split(".")
    first = "A" if signature[:1] != "A" else "B"
    return f"{head}.{payload}.{first}{signature[1:]}"


def _logout(ctx: CheckContext, endpoint: str, id_token: str, redirect_uri: str) -> tuple[str, int, str]:
    """One logout request with a fresh state: (that state, the HTTP status, the Location)."""
    state = secrets.token_urlsafe(12)
    query = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": redirect_uri,
        "client_id": ctx.target.oidc.client_id,
        "state": state,
    }
    answer = ctx.http.get("sso", f"{endpoint}?{urlencode(query)}")
    return state, answer.status_code, answer.headers.get("Location", "")


@check(
    "sso.logout.named_user_only",
    title="An RP-initiated logout logs out the End-User its id_token_hint names, and no one else; a hint the OP did "
    "not sign and an unregistered post_logout_redirect_uri are not followed",
    cites=(
        f"{RP_LOGOUT} §2: the id_token_hint says which End-User the RP asks to log out",
        f"{RP_LOGOUT} §2: the OP MUST validate that it was the issuer of the ID Token in id_token_hint",
        f"{RP_LOGOUT} §3: the OP redirects to a registered post_logout_redirect_uri with the state sent; it MUST NOT "
        "redirect to one that matches no registered URI",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def named_user_only(ctx: CheckContext) -> None:
    """Fresh logins of the collaborator and of the outsider (two people, one client), then three logouts at the
    discovery document's ``end_session_endpoint``, each with a state:

    - the collaborator's id_token with its signature altered as ``id_token_hint`` (not the OP's own ID token): no
      redirect to the post_logout_redirect_uri, and the collaborator still logged in;
    - the outsider's id_token with ``https://conformance.invalid/after-logout`` (registered for no client) as
      ``post_logout_redirect_uri``: no redirect there (an open redirector otherwise);
    - the outsider's id_token with the target's redirect_uri: redirected there with the state (a confirmation page
      instead is noted).

    Then userinfo with the collaborator's access token, which must still answer 200: logging one person out ends
    nobody else's access. (What becomes of the outsider's own tokens is the provider's choice, and only noted.)"""
    endpoint = meta(ctx).get("end_session_endpoint")
    if not isinstance(endpoint, str):
        ctx.skip("the discovery document announces no end_session_endpoint")
    kept = _fresh_login(ctx, "collaborator")
    leaving = _fresh_login(ctx, "outsider")
    ctx.expect(kept.claims.get("sub") != leaving.claims.get("sub"), "the two accounts have the same sub")
    before = userinfo(ctx, kept.access_token)
    if before.status_code != 200:
        raise UnexpectedAnswer(f"userinfo refused a fresh access token ({before.status_code})")
    registered = ctx.target.redirect_uri
    wrong = []
    _, status, location = _logout(ctx, endpoint, _forged(kept.id_token), registered)
    if location.startswith(registered):
        wrong.append(f"a forged id_token_hint was honoured ({status}, redirected to the post_logout_redirect_uri)")
    _, status, location = _logout(ctx, endpoint, leaving.id_token, UNREGISTERED)
    if location.startswith(UNREGISTERED):
        wrong.append(f"redirected to the unregistered post_logout_redirect_uri {UNREGISTERED} ({status})")
    state, status, location = _logout(ctx, endpoint, leaving.id_token, registered)
    if status in (302, 303) and location.startswith(registered):
        landed = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if landed.get("state") != state:
            wrong.append(f"the logout redirect carries state {landed.get('state')!r}, not the one sent")
    else:
        ctx.note(f"the logout answered {status} without redirecting to the post_logout_redirect_uri")
    after = userinfo(ctx, kept.access_token)
    if after.status_code != 200:
        wrong.append(
            f"after these logouts, the collaborator's access token is refused at userinfo ({after.status_code})"
        )
    own = userinfo(ctx, leaving.access_token)
    ctx.note(f"the outsider's own access token after the logout: userinfo answered {own.status_code}")
    ctx.expect(not wrong, "; ".join(wrong))
