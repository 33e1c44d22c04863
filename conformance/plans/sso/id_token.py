"""The id_token, claim by claim, as a careful relying party validates it: each check names the claims it judges
(:mod:`conformance.id_token` does the judging) and fails with every defect of those claims, value and rule."""

from __future__ import annotations

import secrets

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.id_token import CLAUSES, Finding, only
from conformance.oidc import Answer, LoginError, answered_login, authorization_query, new_request
from conformance.plans.sso.common import CORE, accountant_answer, granted, land, meta, redeem_code, userinfo
from conformance.registry import check
from conformance.results import Severity


def _judge(ctx: CheckContext, findings: list[Finding]) -> None:
    """FAILED with the MUST findings, WARNING with the SHOULD ones."""
    for finding in findings:
        if not finding.required:
            ctx.warn(str(finding))
    failed = [str(f) for f in findings if f.required]
    ctx.expect(not failed, "; ".join(failed))


def _login(ctx: CheckContext, role: str = "accountant", *, nonce: str | None = None) -> Answer:
    try:
        return answered_login(ctx.http, ctx.harness, ctx.target, ctx.target.account(role), new_request(nonce=nonce))
    except LoginError as exc:
        raise UnexpectedAnswer(f"the {role} cannot log in: {exc}") from exc


@check(
    "sso.id_token.signature",
    title="The id_token is signed with an announced algorithm, never 'none', by a key of the JWKS",
    cites=(CLAUSES["alg"], CLAUSES["kid"], CLAUSES["signature"], f"{CORE} §3.1.3.3: the token response's id_token"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def signature(ctx: CheckContext) -> None:
    """The header's ``alg`` is one of the discovery document's ``id_token_signing_alg_values_supported`` (never
    ``none``), its ``kid`` names a key of ``jwks_uri``, and the signature verifies with that key."""
    answer = ctx.use(accountant_answer)
    _judge(ctx, only(answer.judged.findings, "id_token", "alg", "kid", "signature"))


@check(
    "sso.id_token.issuer",
    title="The id_token's iss is the issuer, which is the SSO's own URL",
    cites=(CLAUSES["iss"], "OpenID Connect Discovery 1.0 §4.3: issuer identical to the URL the document is read from"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def issuer(ctx: CheckContext) -> None:
    """``iss`` equals, character for character, the discovery document's ``issuer``, which is the SSO's base URL
    (the prefix of ``/.well-known/openid-configuration``): a trailing slash is another issuer."""
    published = meta(ctx).get("issuer")
    base = ctx.target.base_url("sso")
    ctx.expect(published == base, f"the discovery document's issuer is {published!r}, not the SSO's URL {base!r}")
    _judge(ctx, only(ctx.use(accountant_answer).judged.findings, "iss"))


@check(
    "sso.id_token.audience",
    title="The id_token's aud names the client (and azp, when present, is the client)",
    cites=(CLAUSES["aud"], CLAUSES["azp"]),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def audience(ctx: CheckContext) -> None:
    """``aud`` is the client id or a list holding it; ``azp``, when present, is the client id; several audiences
    without ``azp`` is a WARNING."""
    _judge(ctx, only(ctx.use(accountant_answer).judged.findings, "aud", "azp"))


@check(
    "sso.id_token.nonce",
    title="The id_token carries the exact nonce of its own authentication request",
    cites=(
        CLAUSES["nonce"],
        f"{CORE} §15.5.2: the nonce binds the token to the client's session (replay)",
        f"{CORE} §3.1.2.1: nonce OPTIONAL in the authorization code flow",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def nonce(ctx: CheckContext) -> None:
    """The shared login's 43-character nonce, then a second login with a 128-character one: each id_token carries
    its own request's nonce, whole (not the first login's, not cut). Then an authentication request without nonce
    (OPTIONAL in the code flow): it gets a code, which is redeemed (200)."""
    findings = only(ctx.use(accountant_answer).judged.findings, "nonce")
    second = _login(ctx, nonce=secrets.token_urlsafe(96))  # 128 characters
    findings += [Finding("nonce", f"second login: {f.message}") for f in only(second.judged.findings, "nonce")]
    request = new_request()
    query = authorization_query(ctx.target, challenge=request.challenge, state=request.state, nonce="")
    del query["nonce"]
    landed = land(ctx, query)
    if landed is None or "code" not in landed:
        shown = "no redirect" if landed is None else f"the error {landed.get('error')!r}"
        findings.append(Finding("nonce", f"a request without nonce (optional in the code flow) got no code: {shown}"))
    else:
        granted(
            ctx, redeem_code(ctx, landed["code"], request.verifier), "redeeming the code of a request without nonce"
        )
    _judge(ctx, findings)


@check(
    "sso.id_token.lifetime",
    title="The id_token's iat is the time it was issued, and its exp is after that, in the future",
    cites=(CLAUSES["exp"], CLAUSES["iat"], "RFC 7519 §2 and §4.1.4: NumericDate, seconds since the epoch in UTC"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def lifetime(ctx: CheckContext) -> None:
    """``iat`` and ``exp`` are numbers; ``iat`` is within 5 minutes of the ``Date`` of the token response (the
    SSO's own clock, so that the QA machine's clock is out of the question); ``exp`` is after ``iat`` and not past;
    where the target announces the id_token's lifetime (``rules.id_token_lifetime_seconds``), ``exp - iat`` is it."""
    answer = ctx.use(accountant_answer)
    findings = only(answer.judged.findings, "exp", "iat")
    announced = ctx.target.rules.id_token_lifetime_seconds
    exp, iat = answer.judged.claims.get("exp"), answer.judged.claims.get("iat")
    if announced and isinstance(exp, int | float) and isinstance(iat, int | float) and exp - iat != announced:
        findings.append(Finding("exp", f"exp - iat is {exp - iat} s, not the {announced} s the target announces"))
    _judge(ctx, findings)


@check(
    "sso.id_token.at_hash",
    title="The id_token's at_hash, when present, is the left half of the access token's hash",
    cites=(CLAUSES["at_hash"],),
    severity=Severity.MAJOR,
    needs=("login",),
)
def at_hash(ctx: CheckContext) -> None:
    """``at_hash`` is OPTIONAL in the code flow; when present it must be base64url of the left half of the hash
    (SHA-256 for RS256) of the access token issued in the same response."""
    answer = ctx.use(accountant_answer)
    if "at_hash" not in answer.judged.claims:
        ctx.note("the id_token has no at_hash (optional in the code flow)")
    _judge(ctx, only(answer.judged.findings, "at_hash"))


@check(
    "sso.id_token.subject",
    title="The id_token's sub is the same at each login of a person, userinfo's, and another person's differs",
    cites=(
        CLAUSES["sub"],
        f"{CORE} §2: sub is never reassigned, a locally unique identifier of the End-User",
        f"{CORE} §5.3.2: the userinfo sub MUST exactly match the id_token's",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def subject(ctx: CheckContext) -> None:
    """The accountant logs in twice and the second accountant once: the accountant's two ``sub`` are equal and
    equal userinfo's ``sub``; the second accountant's differs."""
    first = ctx.use(accountant_answer)
    findings = only(first.judged.findings, "sub")
    again = _login(ctx)
    other = _login(ctx, "second_accountant")
    sub, sub_again, other_sub = (a.judged.claims.get("sub") for a in (first, again, other))
    if sub != sub_again:
        findings.append(Finding("sub", f"the accountant is {sub!r} at one login and {sub_again!r} at the next"))
    if sub == other_sub:
        findings.append(Finding("sub", f"the accountant and the second accountant are both {sub!r}"))
    info = userinfo(ctx, again.tokens.access_token)
    body = ctx.expect_status(info, 200, what="GET userinfo with the second login's access token")
    if not isinstance(body, dict) or body.get("sub") != sub_again:
        shown = body.get("sub") if isinstance(body, dict) else body
        findings.append(Finding("sub", f"userinfo says {shown!r}, the id_token of the same login {sub_again!r}"))
    _judge(ctx, findings)
