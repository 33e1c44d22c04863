"""PKCE at the token endpoint: a code issued with an S256 challenge is redeemed only with a verifier of the right
form whose S256 is that challenge. (That the authorization endpoint requires S256, and that a wrong verifier is
refused, are ``registration.login.pkce_required`` and ``registration.login.code_verifier_checked``.)"""

from __future__ import annotations

import secrets

from conformance.context import CheckContext
from conformance.oidc import AuthorizationRequest, new_request, s256
from conformance.plans.sso.common import RFC_7636, RFC_9700, fresh_code, granted, redeem_code, refusal
from conformance.registry import check
from conformance.results import Severity


def _request_for(verifier: str) -> AuthorizationRequest:
    base = new_request()
    return AuthorizationRequest(state=base.state, nonce=base.nonce, verifier=verifier, challenge=s256(verifier))


def _verifier(length: int) -> str:
    """``length`` characters of the unreserved set RFC 7636 section 4.1 allows."""
    return secrets.token_urlsafe(length)[:length]


@check(
    "sso.pkce.verifier_required",
    title="A PKCE code is not redeemed without its verifier, nor with the challenge in its place",
    cites=(
        f"{RFC_7636} §4.5 and §4.6: the server verifies code_verifier before returning tokens; invalid_grant if not",
        f"{RFC_9700} §2.1.1 and §4.8: PKCE downgrade",
        f"{RFC_7636} §4.2: with S256, the challenge is BASE64URL(SHA256(verifier)), never the verifier itself",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def verifier_required(ctx: CheckContext) -> None:
    """Two fresh codes with an S256 challenge: one redeemed without ``code_verifier`` (``invalid_request`` or
    ``invalid_grant``), one with the challenge as ``code_verifier`` (what a server comparing as ``plain`` would
    accept: ``invalid_grant``)."""
    _, code = fresh_code(ctx)
    refusal(
        ctx,
        redeem_code(ctx, code, None),
        errors=("invalid_request", "invalid_grant"),
        rule="a PKCE code redeemed without code_verifier",
    )
    request, code = fresh_code(ctx)
    refusal(
        ctx,
        redeem_code(ctx, code, request.challenge),
        errors="invalid_grant",
        rule="a PKCE code redeemed with its S256 challenge as code_verifier",
    )


@check(
    "sso.pkce.verifier_length",
    title="A code_verifier of 43 and 128 characters is accepted; of 42 and 129, refused, even when its S256 matches",
    cites=(
        f"{RFC_7636} §4.1: code-verifier = 43*128unreserved",
        f"{RFC_7636} §7.1: the verifier's entropy is what makes it unguessable",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def verifier_length(ctx: CheckContext) -> None:
    """Four fresh codes, each asked with the S256 challenge of its own verifier, of 42, 43, 128 and 129 characters;
    each redeemed with that verifier. Outside 43 to 128 the verifier is not a code_verifier (a short one can be
    guessed): ``invalid_request`` or ``invalid_grant``."""
    for length in (42, 43, 128, 129):
        request, code = fresh_code(ctx, _request_for(_verifier(length)))
        answer = redeem_code(ctx, code, request.verifier)
        if 43 <= length <= 128:
            ctx.expect(
                answer.status_code == 200,
                f"a {length}-character code_verifier, within 43 to 128, was refused ({answer.status_code})",
            )
            granted(ctx, answer, f"redeeming with a {length}-character verifier")
        else:
            refusal(
                ctx,
                answer,
                errors=("invalid_request", "invalid_grant"),
                rule=f"a {length}-character code_verifier",
            )
