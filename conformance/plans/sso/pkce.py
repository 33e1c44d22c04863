"""PKCE at the token endpoint: a code issued with an S256 challenge is redeemed only with a verifier of the right
form whose S256 is that challenge. (That the authorization endpoint requires S256, and that a wrong verifier is
refused, are ``registration.login.pkce_required`` and ``registration.login.code_verifier_checked``.) The authorization
endpoint answers every method but S256, and a challenge without method, with invalid_request."""

from __future__ import annotations

import secrets

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.oidc import AuthorizationRequest, authorization_query, new_request, s256
from conformance.plans.sso.common import RFC_7636, RFC_9700, fresh_code, granted, land, redeem_code, refusal
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


#: code_challenge_method values a server that supports S256 only must refuse: RFC 7636 §4.3 names the methods
#: case-sensitively ("S256", "plain"), and these sit on both sides of "S256" in string order.
_UNSUPPORTED_METHODS = ("PLAIN", "S128", "s256", "S512")


@check(
    "sso.pkce.method_s256_only",
    title="An authorization request with code_challenge but no code_challenge_method (plain by default), or with "
    "a method that is not exactly S256, is answered invalid_request by redirect; with S256, a code",
    cites=(
        f"{RFC_7636} §4.3: code_challenge_method defaults to plain when not present; S256 and plain are "
        "case-sensitive names",
        f"{RFC_7636} §4.4.1: a transformation the server does not support: the authorization error response with "
        "error invalid_request",
        f"{RFC_9700} §2.1.1: S256 only, the plain method is a downgrade",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def method_s256_only(ctx: CheckContext) -> None:
    """The accountant sent to the authorization endpoint with a fresh S256 challenge: once with
    ``code_challenge_method=S256`` (a code), once without the method, and once with each of ``PLAIN``, ``S128``,
    ``s256`` and ``S512``; each of the latter must come back to the redirect_uri with ``error=invalid_request`` and
    the state, without a code (a server error at the SSO is no authorization error response)."""
    request = new_request()
    proper = authorization_query(ctx.target, challenge=request.challenge, state=request.state, nonce=request.nonce)
    landed = land(ctx, proper)
    if landed is None or "code" not in landed:
        raise UnexpectedAnswer("the SSO gave no code to a proper authorization request with S256")
    wrong = []
    for method in (None, *_UNSUPPORTED_METHODS):
        shown = "no code_challenge_method" if method is None else f"code_challenge_method={method}"
        state = secrets.token_urlsafe(12)
        query = {**proper, "state": state, "nonce": secrets.token_urlsafe(12)}
        if method is None:
            del query["code_challenge_method"]
        else:
            query["code_challenge_method"] = method
        answer = land(ctx, query)
        if answer is None:
            wrong.append(f"{shown}: no redirect to the redirect_uri (see the notes)")
        elif "code" in answer:
            wrong.append(f"{shown}: a code was given")
        elif answer.get("error") != "invalid_request" or answer.get("state") != state:
            wrong.append(
                f"{shown}: error {answer.get('error')!r}, state {'kept' if answer.get('state') == state else 'lost'}"
            )
    ctx.expect(not wrong, "the SSO does not refuse every method but S256 as RFC 7636 §4.4.1 says: " + "; ".join(wrong))
