"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the End-User the id_token_hint names is logged out,
and no one else.

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


def _fresh_login(ctx: CheckContext, role: str) -> Tokens:
    """A login of ``role`` of this check's own (not kept for the plan run)."""
    try:
        tokens = login(ctx.http, ctx.harness, ctx.target, ctx.target.account(role))
    except LoginError as exc:
        raise UnexpectedAnswer(f"the {role} cannot log in: {exc}") from exc
    for value in (tokens.access_token, tokens.id_token, tokens.refresh_token):
        ctx.http.add_secret(value)
    return tokens


@check(
    "sso.logout.named_user_only",
    title="An RP-initiated logout with an id_token_hint logs out the End-User it names: another person's tokens at "
    "the same client still work",
    cites=(
        f"{RP_LOGOUT} §2: the id_token_hint says which End-User the RP asks to log out",
        f"{RP_LOGOUT} §3: the OP redirects to a registered post_logout_redirect_uri with the state sent",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def named_user_only(ctx: CheckContext) -> None:
    """Fresh logins of the collaborator and of the outsider (two people, one client); the outsider's logout at the
    discovery document's ``end_session_endpoint`` with its id_token as ``id_token_hint``, the target's
    redirect_uri as ``post_logout_redirect_uri`` and a state: redirected there with the state (a confirmation page
    instead is noted). Then userinfo with the collaborator's access token, which must still answer 200 with the
    collaborator's ``sub``: logging one person out ends nobody else's access. (What becomes of the outsider's own
    tokens is the provider's choice, and only noted.)"""
    endpoint = meta(ctx).get("end_session_endpoint")
    if not isinstance(endpoint, str):
        ctx.skip("the discovery document announces no end_session_endpoint")
    kept = _fresh_login(ctx, "collaborator")
    leaving = _fresh_login(ctx, "outsider")
    ctx.expect(kept.claims.get("sub") != leaving.claims.get("sub"), "the two accounts have the same sub")
    before = userinfo(ctx, kept.access_token)
    if before.status_code != 200:
        raise UnexpectedAnswer(f"userinfo refused a fresh access token ({before.status_code})")
    state = secrets.token_urlsafe(12)
    query = {
        "id_token_hint": leaving.id_token,
        "post_logout_redirect_uri": ctx.target.redirect_uri,
        "client_id": ctx.target.oidc.client_id,
        "state": state,
    }
    answer = ctx.http.get("sso", f"{endpoint}?{urlencode(query)}")
    location = answer.headers.get("Location", "")
    if answer.status_code in (302, 303) and location.startswith(ctx.target.redirect_uri):
        landed = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        ctx.expect(landed.get("state") == state, f"the logout redirect carries state {landed.get('state')!r}")
    else:
        ctx.note(f"the logout answered {answer.status_code} without redirecting to the post_logout_redirect_uri")
    after = userinfo(ctx, kept.access_token)
    ctx.expect(
        after.status_code == 200,
        f"after the outsider's logout, the collaborator's access token is refused at userinfo ({after.status_code})",
    )
    own = userinfo(ctx, leaving.access_token)
    ctx.note(f"the outsider's own access token after the logout: userinfo answered {own.status_code}")
