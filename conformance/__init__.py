"""jesign's conformance suite: checks any deployment (the mock or a real sandbox) rule by rule, and reports.

Plans are made of modules made of checks. A check is a function registered with :func:`check`; it cites what it
enforces and ends PASSED, FAILED (with its severity), WARNING, SKIPPED (with a reason) or ERROR::

    from conformance import CheckContext, Severity, check

    @check(
        "registration.otp.expiry",                  # "<plan>.<module>.<name>": stable
        title="An SMS code is refused after 30 minutes",
        cites=("Guide, étape 4 : « Vous aurez 30 mins pour signer »",),
        severity=Severity.CRITICAL,                 # of a failure
        needs=("clock", "otp"),                     # harness capabilities, else SKIPPED with the reason
    )
    def otp_expiry(ctx: CheckContext) -> None:
        answer = ctx.http.post("trust", f"/registrations/{rid}/agreement/sign", json={"otp": code})
        ctx.expect_refusal(answer, 400, "otp_expired", "an expired code")

What a check gets (:class:`CheckContext`):

- ``ctx.target``: base URLs per party (``sso``, ``platform``, ``trust``, ``csc``, ``pki``, and ``control`` for the
  mock), the OIDC client, the operator's credentials, the test accounts by role, the rule parameters;
- ``ctx.http``: the recording client, ``ctx.http.post("trust", "/registrations", json=...)`` (paths relative to
  the party's base URL; absolute URLs kept). Every exchange goes into the report, secrets masked; register a secret
  seen in passing with ``ctx.http.add_secret(value)``;
- ``ctx.harness``: the human parts, ``otp(phone)``, ``decide_review(id, approve=...)``, ``advance_clock(s)``,
  ``revoke_certificate(id)``, ``revoke_issued(cert)``, ``emails(address)``, with their ``capabilities``;
- ``ctx.login(role)``: an account logged in at the SSO (code flow + PKCE), tokens kept for the plan run (their
  ``findings``: what a relying party would refuse in the state or the id_token, see :mod:`conformance.id_token`);
- ``ctx.use(fixture_function)``: a :func:`fixture` computed once per plan run (for instance a certificate holder);
  ``ctx.plan_state`` for anything else shared within a plan run;
- verdicts: ``ctx.expect(cond, msg)``, ``ctx.fail(msg)``, ``ctx.warn(msg)``, ``ctx.skip(reason)``,
  ``ctx.expect_refusal(response, status, code, rule)`` (the rule: a problem+json refusal, else FAILED) and
  ``ctx.expect_status(response, 200)`` (a step on the way: anything else is ERROR, no verdict).
  Any other exception ends the check in ERROR.

Plans live in ``conformance/plans/<plan>.py`` or ``conformance/plans/<plan>/`` (discovered by import; the running
order of plans is :data:`conformance.registry.PLAN_ORDER`). A plan that needs a certificate holder reuses the
registration plan's helpers: :func:`conformance.plans.registration.steps.walk` (a fresh trust-side registration
brought to ``certificate_issued``) and the fixtures of :mod:`conformance.plans.registration.fixtures`
(``ctx.use(accountant_active)``: the accountant registered through the platform, every firm open). With the mock
harness, each plan starts from a reset mock. Run them
with :func:`run_conformance` (a :class:`Report`), the ``jesign-conformance`` CLI, or the pytest plugin
(:mod:`conformance.pytest_plugin`). :class:`MockHarness` drives the mock's control plane;
:class:`InteractiveHarness` asks an operator, for a real sandbox.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.context import CheckContext, CheckFailed, CheckSkipped, UnexpectedAnswer
    from conformance.expected import ExpectedFailures
    from conformance.harness import Harness, HarnessError, InteractiveHarness, MockHarness
    from conformance.http import RecordingClient
    from conformance.inprocess import serve_wsgi
    from conformance.oidc import Tokens
    from conformance.registry import Check, check, fixture
    from conformance.results import CheckResult, Exchange, Report, Severity, Status
    from conformance.runner import run_conformance
    from conformance.target import AbsentFromTarget, Account, Target, TargetError
    from conformance.target_file import load_target

#: Where each public name lives: imported on first use, so that importing a part of the package (the pytest
#: plugin, the registry) does not pull in the rest (requests, joserfc).
_HOMES = {
    "CheckContext": "context",
    "CheckFailed": "context",
    "CheckSkipped": "context",
    "UnexpectedAnswer": "context",
    "ExpectedFailures": "expected",
    "Harness": "harness",
    "HarnessError": "harness",
    "InteractiveHarness": "harness",
    "MockHarness": "harness",
    "RecordingClient": "http",
    "serve_wsgi": "inprocess",
    "Tokens": "oidc",
    "Check": "registry",
    "check": "registry",
    "fixture": "registry",
    "CheckResult": "results",
    "Exchange": "results",
    "Report": "results",
    "Severity": "results",
    "Status": "results",
    "run_conformance": "runner",
    "AbsentFromTarget": "target",
    "Account": "target",
    "Target": "target",
    "TargetError": "target",
    "load_target": "target_file",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"conformance.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AbsentFromTarget",
    "Account",
    "Check",
    "CheckContext",
    "CheckFailed",
    "CheckResult",
    "CheckSkipped",
    "Exchange",
    "ExpectedFailures",
    "Harness",
    "HarnessError",
    "InteractiveHarness",
    "MockHarness",
    "RecordingClient",
    "Report",
    "Severity",
    "Status",
    "Target",
    "TargetError",
    "Tokens",
    "UnexpectedAnswer",
    "check",
    "fixture",
    "load_target",
    "run_conformance",
    "serve_wsgi",
]
