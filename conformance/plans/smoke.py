"""The smoke plan: tells "cannot reach or log in" apart from "does not conform".

It runs before every plan, whatever the selection. Its two **gates** say whether the target can be used at all:
every party answers HTTP, and the accountant logs in (the SSO redirects back with a code, the token endpoint gives
an access token, the platform accepts it). When a gate fails, every other check is SKIPPED: the run's verdict is
"unreachable" (exit status 3), not "does not conform".

A login that works but whose answer a careful relying party would refuse (a state altered on the way back, an
id_token with the wrong audience, no nonce, a bad signature, expired…) is not "unreachable": the gate passes and
``smoke.login.answer_verifies`` FAILS, naming each claim at fault. It runs with every plan because every plan logs in.
"""

from __future__ import annotations

import requests

from conformance.context import CheckContext
from conformance.oidc import LoginError
from conformance.registry import check
from conformance.results import Severity

#: A path per party that any deployment answers without credentials (with an error status, which is fine).
PROBES = {
    "sso": "/.well-known/openid-configuration",
    "platform": "/me",
    "trust": "/registrations/reg_smoke",
    "csc": "/info",
    "pki": "/",
    "control": "/clock",
}


@check(
    "smoke.reach.parties",
    title="Every party of the target answers HTTP",
    cites=("DESIGN.md §1: the parties and their base URLs",),
    severity=Severity.CRITICAL,
    gate=True,
)
def parties_reachable(ctx: CheckContext) -> None:
    """Each base URL of the target answers an HTTP request (any status under 500) within the timeout."""
    down = []
    for party in ctx.target.parties:
        try:
            answer = ctx.http.get(party, PROBES.get(party, "/"))
        except requests.RequestException as exc:
            down.append(f"{party}: {type(exc).__name__}")
            continue
        if answer.status_code >= 500:
            down.append(f"{party}: HTTP {answer.status_code}")
    ctx.expect(not down, "unreachable: " + ", ".join(down))
    answer = ctx.http.get("sso", PROBES["sso"])
    ctx.expect(answer.status_code == 200, f"the SSO's discovery document answered {answer.status_code}")


@check(
    "smoke.login.accountant",
    title="The accountant test account logs in at the SSO and reaches the platform",
    cites=("Guide, « S'authentifier via Comptexpert »", "OpenID Connect Core 1.0 §3.1"),
    severity=Severity.CRITICAL,
    needs=("login",),
    gate=True,
)
def accountant_logs_in(ctx: CheckContext) -> None:
    """The code flow with PKCE gives an access token that the platform accepts on ``GET /me``. What the SSO
    answered besides is judged by ``smoke.login.answer_verifies``."""
    try:
        tokens = ctx.login("accountant")
    except Exception as exc:
        ctx.fail(f"cannot log the accountant in: {exc}")
    answer = ctx.http.get("platform", "/me", headers=tokens.bearer)
    ctx.expect(answer.status_code == 200, f"GET /me with the access token answered {answer.status_code}")


@check(
    "smoke.login.answer_verifies",
    title="The accountant's login comes back with its state, and an id_token that verifies claim by claim",
    cites=(
        "RFC 6749 §4.1.2: state is the exact value the client sent",
        "OpenID Connect Core 1.0 §3.1.3.7: ID token validation (signature, iss, aud, azp, exp, iat, nonce)",
        "OpenID Connect Core 1.0 §2 (sub) and §3.1.3.8 (at_hash)",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def login_answer_verifies(ctx: CheckContext) -> None:
    """The login of the gate above, judged as a careful relying party would: each defect is named by its claim.
    The ``sso`` plan tries each of these rules further (other values, other people, twice)."""
    try:
        tokens = ctx.login("accountant")
    except LoginError as exc:
        ctx.skip(f"the accountant cannot log in (smoke.login.accountant): {exc}")
    failed = [str(f) for f in tokens.findings if f.required]
    for finding in tokens.findings:
        if not finding.required:
            ctx.warn(str(finding))
    ctx.expect(not failed, "a relying party must refuse this login: " + "; ".join(failed))
