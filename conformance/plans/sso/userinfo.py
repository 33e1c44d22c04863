"""userinfo, the SSO's protected resource: it answers a valid Bearer access token only, with RFC 6750's challenge
otherwise, and stops answering a token once its announced lifetime is over (as the platform does)."""

from __future__ import annotations

import re

import requests

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.oidc import LoginError, answered_login
from conformance.plans.sso.common import CORE, RFC_6749, RFC_6750, accountant_answer, json_body, meta, userinfo
from conformance.registry import check
from conformance.results import Severity

FORGED = "conformance-forged-token-" + "0" * 24
_ERROR = re.compile(r'error="([^"]*)"')


def _challenge(answer: requests.Response) -> tuple[str | None, str | None]:
    """The scheme of the ``WWW-Authenticate`` challenge (lower case) and its ``error`` attribute."""
    header = answer.headers.get("WWW-Authenticate")
    if header is None:
        return None, None
    found = _ERROR.search(header)
    return header.strip().split(" ", 1)[0].lower(), found.group(1) if found else None


@check(
    "sso.userinfo.bearer_required",
    title="userinfo answers a valid Bearer token (GET and POST), and a 401 Bearer challenge to anything else",
    cites=(
        f"{RFC_6750} §3: a request without a valid token gets 401 and WWW-Authenticate: Bearer",
        f"{RFC_6750} §3.1: invalid_token for a bad token; no error code when no credentials were sent",
        f"{CORE} §5.3.1 (GET and POST) and §5.3.2 (a JSON object whose sub is the id_token's)",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def bearer_required(ctx: CheckContext) -> None:
    """No ``Authorization`` header: 401 with a Bearer challenge (an error code in it is a WARNING: RFC 6750 asks
    for none). A forged token: 401 with a Bearer challenge whose error is ``invalid_token`` (another error, or
    none, is a WARNING). The login's token, by GET and by POST: 200, JSON, the id_token's ``sub``."""
    wrong = []
    bare = userinfo(ctx, None)
    scheme, error = _challenge(bare)
    if bare.status_code != 401 or scheme != "bearer":
        wrong.append(f"no token: {bare.status_code} with the challenge {bare.headers.get('WWW-Authenticate')!r}")
    elif error is not None:
        ctx.warn(f"no token: the challenge carries error={error!r} (RFC 6750 §3.1: SHOULD NOT, no credentials sent)")
    forged = userinfo(ctx, FORGED)
    scheme, error = _challenge(forged)
    if forged.status_code != 401 or scheme != "bearer":
        wrong.append(
            f"a forged token: {forged.status_code} with the challenge {forged.headers.get('WWW-Authenticate')!r}"
        )
    elif error != "invalid_token":
        ctx.warn(f"a forged token: the challenge's error is {error!r}, not invalid_token (RFC 6750 §3.1)")
    answer = ctx.use(accountant_answer)
    sub = answer.judged.claims.get("sub")
    for method in ("GET", "POST"):
        found = userinfo(ctx, answer.tokens.access_token, method=method)
        body = json_body(found)
        media_type = found.headers.get("Content-Type", "").split(";")[0].strip()
        if found.status_code != 200:
            wrong.append(f"{method} with the login's token: {found.status_code}")
        elif media_type != "application/json" or not isinstance(body, dict):
            wrong.append(f"{method} with the login's token: {media_type or 'no Content-Type'}, not a JSON object")
        elif body.get("sub") != sub:
            wrong.append(f"{method} with the login's token: sub {body.get('sub')!r}, the id_token's is {sub!r}")
    ctx.expect(not wrong, "; ".join(wrong))


@check(
    "sso.userinfo.token_expiry",
    title="An access token opens userinfo and the platform until its expires_in has passed, and not after",
    cites=(
        f"{RFC_6749} §5.1: expires_in, the lifetime in seconds of the access token",
        f"{RFC_6750} §3.1: invalid_token, the access token expired",
        "RFC 7519 §4.1.4: the current time MUST be before the expiration time",
    ),
    severity=Severity.MAJOR,
    needs=("login", "clock"),
)
def token_expiry(ctx: CheckContext) -> None:
    """A fresh login announces ``expires_in`` E: E - 2 s later the token opens userinfo and the platform's
    ``GET /me`` (200); E s later (the token "will expire in E seconds", and an expiry instant is itself past, as
    RFC 7519 §4.1.4 says of ``exp``) and E + 1 s later both answer 401, though the platform accepted it a moment
    before (a cache of valid tokens must not outlive their expiry)."""
    try:
        answer = answered_login(ctx.http, ctx.harness, ctx.target, ctx.target.account("accountant"))
    except LoginError as exc:
        raise UnexpectedAnswer(f"the accountant cannot log in: {exc}") from exc
    expires_in = answer.payload.get("expires_in")
    if not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 2:
        ctx.skip(f"the token response announces no usable expires_in ({expires_in!r}): sso.token.success_response")
    token = answer.tokens
    ctx.harness.advance_clock(expires_in - 2)
    for label, found in (
        ("userinfo", userinfo(ctx, token.access_token)),
        ("the platform's /me", ctx.http.get("platform", "/me", headers=token.bearer)),
    ):
        ctx.expect(found.status_code == 200, f"{label} refused the token {expires_in - 2} s in ({found.status_code})")
    for step, age in ((2, expires_in), (1, expires_in + 1)):
        ctx.harness.advance_clock(step)
        for label, found in (
            ("userinfo", userinfo(ctx, token.access_token)),
            ("the platform's /me", ctx.http.get("platform", "/me", headers=token.bearer)),
        ):
            ctx.expect(
                found.status_code == 401,
                f"{label} still took the token {age} s after it was issued for {expires_in} s ({found.status_code})",
            )


#: Schemes under which a valid access token must not open anything (on both sides of "Bearer" in alphabetical
#: order, as a careless comparison of the scheme would let one side through).
OTHER_SCHEMES = ("Basic", "Token", "DPoP", "Bearerx")


@check(
    "sso.userinfo.bearer_scheme_only",
    title="A valid access token opens userinfo and the platform under the Bearer scheme only",
    cites=(
        f'{RFC_6750} §2.1: credentials = "Bearer" 1*SP b64token (no space in the token)',
        "RFC 7235 §2.1: the scheme decides how the credentials are read (its name is case-insensitive)",
        f"{RFC_6750} §3.1: an unsupported method gets the challenge; invalid_token for a malformed token",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def bearer_scheme_only(ctx: CheckContext) -> None:
    """The login's valid access token, at userinfo and at the platform's ``GET /me``: under the schemes ``Basic``,
    ``Token``, ``DPoP`` and ``Bearerx``, and as ``Bearer <token> <token>`` (two tokens): 401 each. Under
    ``bearer`` (lower case): 200 at both."""
    token = ctx.use(accountant_answer).tokens.access_token
    headers = [(f"{scheme} <token>", f"{scheme} {token}", 401) for scheme in OTHER_SCHEMES]
    headers += [("Bearer <token> <token>", f"Bearer {token} {token}", 401), ("bearer <token>", f"bearer {token}", 200)]
    wrong = []
    for label, header, status in headers:
        for where, party, path in (
            ("userinfo", "sso", str(meta(ctx).get("userinfo_endpoint", "/userinfo"))),
            ("the platform's /me", "platform", "/me"),
        ):
            found = ctx.http.get(party, path, headers={"Authorization": header})
            if found.status_code != status:
                wrong.append(f"{where} with 'Authorization: {label}': {found.status_code}, expected {status}")
    ctx.expect(not wrong, "; ".join(wrong))
