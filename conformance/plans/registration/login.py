"""Step 0, « S'authentifier via Comptexpert »: OpenID Connect code flow, PKCE (S256) enforced, identity claims."""

from __future__ import annotations

import secrets

from conformance.context import CheckContext
from conformance.oidc import authorization_query, pkce_pair
from conformance.plans.sso.common import fresh_code, land, redeem_code, refusal
from conformance.registry import check
from conformance.results import Severity

GUIDE_STEP_0 = "Guide, « S'authentifier via Comptexpert » : identifiant et mot de passe Comptexpert ou ExpertPass"
PKCE = "RFC 7636 §4.4.1 and RFC 9700 §2.1.1: PKCE required, S256 only"


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
    answer = land(ctx, query) or {}
    ctx.expect("code" not in answer, "the SSO gave a code to an authorization request without a PKCE challenge")
    plain = {**query, "code_challenge": secrets.token_urlsafe(48), "code_challenge_method": "plain"}
    answer = land(ctx, plain) or {}
    ctx.expect("code" not in answer, "the SSO gave a code to a request with code_challenge_method=plain")


@check(
    "registration.login.code_verifier_checked",
    title="The SSO refuses to redeem a code with the wrong PKCE verifier",
    cites=(PKCE, "RFC 7636 §4.6: the server verifies code_verifier before returning tokens"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def code_verifier_checked(ctx: CheckContext) -> None:
    """A fresh code redeemed with another PKCE verifier than its own: 400 ``invalid_grant``."""
    _, code = fresh_code(ctx)
    wrong_verifier, _ = pkce_pair()
    refusal(
        ctx,
        redeem_code(ctx, code, wrong_verifier),
        errors="invalid_grant",
        rule="a code redeemed with a wrong verifier (RFC 7636 §4.6)",
    )


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
    for claim, known in (("given_name", account.given_name), ("family_name", account.family_name)):
        if known:
            ctx.expect(info[claim] == known, f"the {claim} is {info[claim]!r}, not the account's {known!r}")
    firms = info["firms"]
    ctx.expect(isinstance(firms, list) and len(firms) >= 1, "the firms claim is not a non-empty list")
    for firm in firms:
        for field in ("id", "name", "siren", "role"):
            ctx.expect(firm.get(field), f"a firm of the firms claim lacks {field}: {firm}")
        ctx.expect(len(str(firm["siren"])) == 9, f"the SIREN {firm['siren']} does not have nine digits")
    if account.mobile:
        ctx.expect(info.get("phone_number") == account.mobile, "the mobile known to the SSO is not in the claims")
