"""Step 0, « S'authentifier via Comptexpert »: OpenID Connect code flow, PKCE (S256) enforced, identity claims."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from conformance.context import CheckContext
from conformance.harness import HarnessError
from conformance.oidc import authorization_query, discovery, pkce_pair, redeem
from conformance.registry import check
from conformance.results import Severity

GUIDE_STEP_0 = "Guide, « S'authentifier via Comptexpert » : identifiant et mot de passe Comptexpert ou ExpertPass"
PKCE = "RFC 7636 §4.4.1 and RFC 9700 §2.1.1: PKCE required, S256 only"


def _authorize(ctx: CheckContext, query: dict[str, str]) -> dict[str, str]:
    """Send the person to the SSO with ``query``; answer the parameters it came back with ({} if it kept them)."""
    meta = discovery(ctx.http)
    url = f"{meta['authorization_endpoint']}?{urlencode(query)}"
    try:
        landed = ctx.harness.authorize(url, ctx.target.redirect_uri, ctx.target.account("accountant").login)
    except HarnessError as exc:
        ctx.note(f"the SSO did not redirect back: {exc}")
        return {}
    return {k: v[0] for k, v in parse_qs(urlsplit(landed).query).items()}


@check(
    "registration.login.pkce_required",
    title="The SSO refuses a login without PKCE, or with the plain method",
    cites=(GUIDE_STEP_0, PKCE, "DESIGN.md §2, step 0: code + PKCE"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def pkce_required(ctx: CheckContext) -> None:
    """An authorization request without ``code_challenge`` (then with ``code_challenge_method=plain``) must not
    give a code."""
    state = secrets.token_urlsafe(8)
    query = authorization_query(ctx.target, challenge=None, state=state, nonce=secrets.token_urlsafe(8))
    answer = _authorize(ctx, query)
    ctx.expect("code" not in answer, "the SSO gave a code to an authorization request without a PKCE challenge")
    plain = {**query, "code_challenge": secrets.token_urlsafe(48), "code_challenge_method": "plain"}
    answer = _authorize(ctx, plain)
    ctx.expect("code" not in answer, "the SSO gave a code to a request with code_challenge_method=plain")


@check(
    "registration.login.code_verifier_checked",
    title="The SSO refuses to redeem a code with the wrong PKCE verifier",
    cites=(PKCE, "RFC 7636 §4.6: the server verifies code_verifier before returning tokens"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def code_verifier_checked(ctx: CheckContext) -> None:
    _, challenge = pkce_pair()
    wrong_verifier, _ = pkce_pair()
    state = secrets.token_urlsafe(8)
    answer = _authorize(
        ctx, authorization_query(ctx.target, challenge=challenge, state=state, nonce=secrets.token_urlsafe(8))
    )
    if "code" not in answer:
        ctx.skip(f"the SSO gave no code to a proper request ({answer.get('error', 'no redirect')})")
    ctx.http.add_secret(answer["code"])
    meta = discovery(ctx.http)
    redeemed = redeem(ctx.http, ctx.target, meta["token_endpoint"], answer["code"], wrong_verifier)
    ctx.expect(redeemed.status_code == 400, f"the code was redeemed with a wrong verifier ({redeemed.status_code})")
    error = redeemed.json().get("error") if redeemed.content else None
    ctx.expect(error == "invalid_grant", f"the refusal says {error!r}, RFC 7636 §4.6 asks for invalid_grant")


@check(
    "registration.login.identity_claims",
    title="The SSO's identity carries the names, e-mail, firms (SIREN, role) and mobile",
    cites=(
        "Guide, « S'authentifier via Comptexpert » : la plateforme hérite des données Comptexpert : nom, prénom, "
        "cabinets, email",
        "DESIGN.md §2, step 0: identity claims given_name, family_name, email, firms, mobile if known",
        "OpenID Connect Core 1.0 §5.1 (standard claims) and §5.3 (UserInfo)",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def identity_claims(ctx: CheckContext) -> None:
    tokens = ctx.login("accountant")
    info = ctx.expect_status(ctx.http.get("sso", "/userinfo", headers=tokens.bearer), 200, what="GET /userinfo")
    for claim in ("sub", "given_name", "family_name", "email", "firms"):
        ctx.expect(info.get(claim), f"the userinfo lacks {claim}")
    ctx.expect(tokens.claims.get("sub") == info["sub"], "the id_token and the userinfo name different subjects")
    account = ctx.target.account("accountant")
    if account.email:
        ctx.expect(info["email"] == account.email, f"the e-mail is {info['email']}, not the account's")
    firms = info["firms"]
    ctx.expect(isinstance(firms, list) and len(firms) >= 1, "the firms claim is not a non-empty list")
    for firm in firms:
        for field in ("id", "name", "siren", "role"):
            ctx.expect(firm.get(field), f"a firm of the firms claim lacks {field}: {firm}")
        ctx.expect(len(str(firm["siren"])) == 9, f"the SIREN {firm['siren']} does not have nine digits")
    if account.mobile:
        ctx.expect(info.get("phone_number") == account.mobile, "the mobile known to the SSO is not in the claims")
