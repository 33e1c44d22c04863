"""Refresh tokens: rotated and single use (a replay revokes the family), bound to their client, never widening
the scope. A deployment that issues no refresh token, or does not rotate them, has these checks SKIPPED."""

from __future__ import annotations

from typing import Any

from conformance.context import CheckContext
from conformance.plans.sso.common import (
    RFC_6749,
    RFC_9700,
    granted,
    meta,
    new_tokens,
    refresh_with,
    refusal,
    second_client,
    second_client_tokens,
    userinfo,
)
from conformance.registry import check
from conformance.results import Severity

ROTATION = f"{RFC_9700} §4.14.2: refresh token rotation, each refresh token used once"


def _refresh_token(ctx: CheckContext, payload: dict[str, Any]) -> str:
    token = payload.get("refresh_token")
    if not isinstance(token, str):
        ctx.skip("the SSO issued no refresh token to this client (scope: " + ctx.target.scope + ")")
    return token


def _rotated(ctx: CheckContext) -> tuple[str, dict[str, Any]]:
    """A first refresh token, and the answer to its use, which must carry a new one."""
    first = _refresh_token(ctx, new_tokens(ctx))
    second = granted(ctx, refresh_with(ctx, first), "using a fresh refresh token")
    if second.get("refresh_token") in (None, first):
        ctx.skip("the SSO does not rotate refresh tokens (allowed when they are bound to an authenticated client)")
    return first, second


@check(
    "sso.refresh.single_use",
    title="A rotated refresh token is used once: using it again is refused",
    cites=(ROTATION, f"{RFC_6749} §6 and §5.2 invalid_grant: a refresh token that is invalid or revoked"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def single_use(ctx: CheckContext) -> None:
    """A refresh token is used (200, a new refresh token), then used again: 400 ``invalid_grant``."""
    first, _ = _rotated(ctx)
    refusal(ctx, refresh_with(ctx, first), errors="invalid_grant", rule="a refresh token used a second time")


@check(
    "sso.refresh.replay_revokes_tokens",
    title="Replaying a used refresh token revokes the refresh token that replaced it",
    cites=(
        f"{ROTATION}: the server cannot tell the attacker from the client, it revokes the active refresh token",
        f"{RFC_9700} §2.2.2",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def replay_revokes_tokens(ctx: CheckContext) -> None:
    """After the replay of a used refresh token, the one that replaced it is refused (``invalid_grant``); that the
    access token given with it is refused too (401 at userinfo) is checked as a WARNING (not required)."""
    first, second = _rotated(ctx)
    refresh_with(ctx, first)  # the replay (its refusal is sso.refresh.single_use's business)
    access = userinfo(ctx, second["access_token"])
    refusal(
        ctx,
        refresh_with(ctx, second["refresh_token"]),
        errors="invalid_grant",
        rule="the refresh token that replaced a replayed one",
    )
    if access.status_code != 401:
        ctx.warn(f"the access token issued with it still opens userinfo ({access.status_code})")


@check(
    "sso.refresh.bound_to_client",
    title="A refresh token is used only by the client it was issued to",
    cites=(f"{RFC_6749} §6: the refresh token was issued to the authenticated client", f"{RFC_6749} §10.4"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def bound_to_client(ctx: CheckContext) -> None:
    """The second client presents the target's client's refresh token, and the target's client presents the second
    client's (both ways, so that no ordering of the two client ids lets one through): ``invalid_grant`` each."""
    other = second_client(ctx)
    token = _refresh_token(ctx, new_tokens(ctx))
    refusal(
        ctx,
        refresh_with(ctx, token, client=other),
        errors="invalid_grant",
        rule=f"a refresh token of {ctx.target.oidc.client_id} used by {other.client_id}",
    )
    theirs = _refresh_token(ctx, second_client_tokens(ctx, other))
    refusal(
        ctx,
        refresh_with(ctx, theirs),
        errors="invalid_grant",
        rule=f"a refresh token of {other.client_id} used by {ctx.target.oidc.client_id}",
    )


@check(
    "sso.refresh.public_client_rotated",
    title="A public client's refresh token is rotated: each refresh gives a new one, and the used one is refused",
    cites=(
        f"{RFC_9700} §2.2.2 and §4.14.2: refresh tokens of public clients MUST be sender-constrained or rotated",
        f"{RFC_6749} §6: the server MAY issue a new refresh token, the client MUST discard the old one",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def public_client_rotated(ctx: CheckContext) -> None:
    """With the second client when it is public (SKIPPED otherwise, or when it gets no refresh token, or a
    sender-constrained one: ``token_type`` other than Bearer): its refresh token is used (200, a new refresh token,
    different), then used again: ``invalid_grant``."""
    other = second_client(ctx)
    if other.client_secret:
        ctx.skip(f"the second client {other.client_id} is confidential: rotation is not required of it")
    first = second_client_tokens(ctx, other)
    if str(first.get("token_type", "")).lower() != "bearer":
        ctx.skip(f"the tokens are sender-constrained (token_type {first.get('token_type')!r}), not rotated")
    token = _refresh_token(ctx, first)
    second = granted(ctx, refresh_with(ctx, token, client=other), f"using a fresh refresh token of {other.client_id}")
    new = second.get("refresh_token")
    ctx.expect(
        isinstance(new, str) and new != token,
        f"the refresh of the public client {other.client_id} gave no new refresh token (RFC 9700 §4.14.2)",
    )
    assert isinstance(new, str)
    refusal(
        ctx,
        refresh_with(ctx, token, client=other),
        errors="invalid_grant",
        rule=f"a rotated refresh token of the public client {other.client_id} used again",
    )


@check(
    "sso.refresh.scope_not_widened",
    title="A refresh cannot widen the scope the person granted",
    cites=(f"{RFC_6749} §6: the requested scope MUST NOT include any scope not originally granted (invalid_scope)",),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def scope_not_widened(ctx: CheckContext) -> None:
    """A refresh asking for the scope granted plus one more that the SSO supports: 400 ``invalid_scope``."""
    granted_scope = ctx.target.scope.split()
    extra = [s for s in meta(ctx).get("scopes_supported", []) if s not in granted_scope]
    if not extra:
        ctx.skip("the client is granted every scope the SSO supports: none to widen to")
    token = _refresh_token(ctx, new_tokens(ctx))
    answer = refresh_with(ctx, token, scope=" ".join([*granted_scope, extra[0]]))
    refusal(ctx, answer, errors="invalid_scope", rule=f"a refresh asking for {extra[0]!r} on top of the grant")


@check(
    "sso.refresh.expiry",
    title="A refresh token is accepted just before the lifetime the deployment announces and refused from its end",
    cites=(
        f"{RFC_6749} §6 and §5.2 invalid_grant: a refresh token that is expired",
        f"{RFC_9700} §4.14.2: refresh tokens SHOULD expire; the deployment announces how long they live",
    ),
    severity=Severity.MAJOR,
    needs=("login", "clock"),
)
def expiry(ctx: CheckContext) -> None:
    """With the lifetime R of the target's rules (``refresh_token_lifetime_seconds``; SKIPPED when the target
    announces none): a fresh refresh token used R - 2 s after it was issued is accepted (200); others used R s after
    (a token that lives R seconds has expired at R) and R + 1 s after are refused with ``invalid_grant``."""
    lifetime = ctx.target.rules.refresh_token_lifetime_seconds
    if lifetime <= 2:
        ctx.skip("the target announces no refresh token lifetime ([rules] refresh_token_lifetime_seconds)")
    token = _refresh_token(ctx, new_tokens(ctx))
    ctx.harness.advance_clock(lifetime - 2)
    granted(ctx, refresh_with(ctx, token), f"using a refresh token {lifetime - 2} s old, within its {lifetime} s")
    for age in (lifetime, lifetime + 1):
        token = _refresh_token(ctx, new_tokens(ctx))
        ctx.harness.advance_clock(age)
        refusal(ctx, refresh_with(ctx, token), errors="invalid_grant", rule=f"a refresh token {age} s old")
