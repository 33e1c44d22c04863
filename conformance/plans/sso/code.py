"""The authorization code: redeemed once (a replay revokes what it gave), by its own client, with its own
redirect_uri, within its lifetime on the SSO's clock."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.plans.sso.common import (
    RFC_6749,
    RFC_9700,
    fresh_code,
    granted,
    other_redirect_uri,
    redeem_code,
    refresh_with,
    refusal,
    second_client,
    userinfo,
)
from conformance.registry import check
from conformance.results import Severity

INVALID_GRANT = f"{RFC_6749} §5.2 invalid_grant: a grant that is invalid, expired, already used, for another client"


@check(
    "sso.code.single_use",
    title="An authorization code is redeemed once: the second redemption is refused",
    cites=(
        f"{RFC_6749} §4.1.2: the client MUST NOT use the code more than once; the server MUST deny it",
        INVALID_GRANT,
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def single_use(ctx: CheckContext) -> None:
    """A fresh code is redeemed (200), then redeemed again exactly as before: 400 ``invalid_grant``."""
    request, code = fresh_code(ctx)
    granted(ctx, redeem_code(ctx, code, request.verifier), "the first redemption of a fresh code")
    refusal(ctx, redeem_code(ctx, code, request.verifier), errors="invalid_grant", rule="the same code a second time")


@check(
    "sso.code.replay_revokes_tokens",
    title="Replaying an authorization code revokes the tokens it gave",
    cites=(
        f"{RFC_6749} §4.1.2: the server SHOULD revoke all tokens previously issued based on that code",
        f"{RFC_6749} §10.5 and {RFC_9700} §4.5: a replayed code means it leaked",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def replay_revokes_tokens(ctx: CheckContext) -> None:
    """The access token of a code's first redemption opens userinfo and the platform's ``GET /me`` (200); after the
    code's replay it is refused at both (401), the platform having accepted it a moment before (no cache of valid
    tokens may outlive a revocation), and its refresh token at the token endpoint (``invalid_grant``). A deployment
    that chooses not to revoke (a SHOULD) can list this check in its expected failures."""
    request, code = fresh_code(ctx)
    first = granted(ctx, redeem_code(ctx, code, request.verifier), "the first redemption of a fresh code")
    bearer = {"Authorization": f"Bearer {first['access_token']}"}
    ctx.expect_status(userinfo(ctx, first["access_token"]), 200, what="userinfo with the first redemption's token")
    ctx.expect_status(ctx.http.get("platform", "/me", headers=bearer), 200, what="the platform's /me with it")
    redeem_code(ctx, code, request.verifier)  # the replay (its refusal is sso.code.single_use's business)
    for label, still in (
        ("userinfo", userinfo(ctx, first["access_token"])),
        ("the platform's /me", ctx.http.get("platform", "/me", headers=bearer)),
    ):
        ctx.expect(
            still.status_code == 401,
            f"the access token of a replayed code still opens {label} ({still.status_code})",
        )
    if isinstance(first.get("refresh_token"), str):
        refusal(
            ctx,
            refresh_with(ctx, first["refresh_token"]),
            errors="invalid_grant",
            rule="the refresh token of a replayed code",
        )


@check(
    "sso.code.bound_to_redirect_uri",
    title="A code is redeemed only with the redirect_uri of its authorization request, repeated identically",
    cites=(
        f"{RFC_6749} §4.1.3: redirect_uri REQUIRED if it was in the authorization request, and identical",
        INVALID_GRANT,
        f"{RFC_9700} §4.5: authorization code injection",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def bound_to_redirect_uri(ctx: CheckContext) -> None:
    """Two fresh codes: one redeemed with another redirect_uri (on a loopback one, another port, which the
    authorization endpoint itself accepts), one without redirect_uri. Both refused."""
    other = other_redirect_uri(ctx.target.redirect_uri)
    request, code = fresh_code(ctx)
    refusal(
        ctx,
        redeem_code(ctx, code, request.verifier, redirect_uri=other),
        errors="invalid_grant",
        rule=f"the code redeemed with the redirect_uri {other}",
    )
    request, code = fresh_code(ctx)
    refusal(
        ctx,
        redeem_code(ctx, code, request.verifier, omit_redirect_uri=True),
        errors=("invalid_request", "invalid_grant"),
        rule="the code redeemed without its redirect_uri",
    )


@check(
    "sso.code.bound_to_client",
    title="A code is redeemed only by the client it was issued to",
    cites=(
        f"{RFC_6749} §4.1.3: ensure that the code was issued to the authenticated client",
        INVALID_GRANT,
        f"{RFC_9700} §4.5: authorization code injection",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def bound_to_client(ctx: CheckContext) -> None:
    """A fresh code of the target's client, redeemed by the second client with everything else right (the
    redirect_uri, the PKCE verifier): ``invalid_grant``."""
    other = second_client(ctx)
    request, code = fresh_code(ctx)
    refusal(
        ctx,
        redeem_code(ctx, code, request.verifier, client=other),
        errors="invalid_grant",
        rule=f"the code of {ctx.target.oidc.client_id} redeemed by {other.client_id}",
    )


@check(
    "sso.code.expiry",
    title="A code is accepted just before its lifetime ends and refused just after, on the SSO's clock",
    cites=(
        f"{RFC_6749} §4.1.2: the code MUST expire shortly after it is issued; 10 minutes at most is RECOMMENDED",
        INVALID_GRANT,
    ),
    severity=Severity.MAJOR,
    needs=("login", "clock"),
)
def expiry(ctx: CheckContext) -> None:
    """With the lifetime L of the target's rules (``code_lifetime_seconds``, 600 by default): a code redeemed L - 2 s
    after it was issued is accepted; others redeemed L s after (a code that lives L seconds has expired at L) and
    L + 1 s after are refused with ``invalid_grant``."""
    lifetime = ctx.target.rules.code_lifetime_seconds
    request, code = fresh_code(ctx)
    ctx.harness.advance_clock(lifetime - 2)
    answer = redeem_code(ctx, code, request.verifier)
    ctx.expect(
        answer.status_code == 200,
        f"a code {lifetime - 2} s old, within its {lifetime} s, was refused ({answer.status_code} {answer.text[:120]})",
    )
    granted(ctx, answer, "redeeming a code within its lifetime")
    for age in (lifetime, lifetime + 1):
        request, code = fresh_code(ctx)
        ctx.harness.advance_clock(age)
        refusal(
            ctx,
            redeem_code(ctx, code, request.verifier),
            errors="invalid_grant",
            rule=f"a code {age} s old, at the end of its {lifetime} s" if age == lifetime else f"a code {age} s old",
        )
