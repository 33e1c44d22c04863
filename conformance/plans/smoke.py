"""The smoke module: tells "cannot reach or log in" apart from "does not conform".

It runs before every plan. When one of its checks fails, the other checks are SKIPPED: the run's verdict is
"unreachable" (exit status 3), not "does not conform".
"""

from __future__ import annotations

import requests

from conformance.context import CheckContext
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
)
def accountant_logs_in(ctx: CheckContext) -> None:
    """The code flow with PKCE gives an access token that the platform accepts on ``GET /me``."""
    try:
        tokens = ctx.login("accountant")
    except Exception as exc:
        ctx.fail(f"cannot log the accountant in: {exc}")
    answer = ctx.http.get("platform", "/me", headers=tokens.bearer)
    ctx.expect(answer.status_code == 200, f"GET /me with the access token answered {answer.status_code}")
