"""The state machine's forbidden moves: each step tried from each state where it is illegal.

At the trust provider, every applicant's call (identity, document, consent, resend, sign, cancel, error report) is
tried from each state it is not allowed in (``created``, ``identity_submitted``, ``documents_submitted`` before and
after the consent, ``certificate_issued``, ``rejected``, ``cancelled``): each must answer 409 with a stable code and
leave the registration as it was. At the platform, a registered person can neither change the profile nor open a
second certificate request.
"""

from __future__ import annotations

from collections.abc import Callable

import requests

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.plans.registration import steps
from conformance.plans.registration.fixtures import (
    accountant_active,
    issued_registration,
    platform,
    rejected_registration,
)
from conformance.registry import check
from conformance.results import Severity

RULE_409 = "DESIGN.md §2: illegal transitions answer 409 with a stable error code and change nothing"
STATES = "docs/registration.md, The states: a trust provider's step called in the wrong state answers 409"
ARTICLE_5 = "Contrat de souscription, article 5 : « the Certificate Request cannot be cancelled »"

Action = Callable[[CheckContext, steps.Registration], requests.Response]

WRONG_STATE = "registration_wrong_state"


def _consent(ctx: CheckContext, reg: steps.Registration) -> requests.Response:
    return steps.consent(ctx, reg)


def _post(suffix: str, body: dict[str, str] | None = None) -> Action:
    def send(ctx: CheckContext, reg: steps.Registration) -> requests.Response:
        return ctx.http.post("trust", reg.path(suffix), json=body, headers=reg.auth)

    return send


#: Each applicant's call, how it is sent, and the codes its refusal in a wrong state may carry.
ACTIONS: dict[str, tuple[Action, tuple[str, ...]]] = {
    "identity": (lambda ctx, reg: steps.submit_identity(ctx, reg), (WRONG_STATE,)),
    "documents": (lambda ctx, reg: steps.upload(ctx, reg), (WRONG_STATE,)),
    "consent": (_consent, (WRONG_STATE,)),
    "resend": (_post("/agreement/resend"), (WRONG_STATE, "agreement_not_consented")),
    "sign": (_post("/agreement/sign", {"otp": "000000"}), (WRONG_STATE, "agreement_not_consented")),
    "cancel": (_post("/cancel"), ("registration_not_cancellable", WRONG_STATE)),
    "report_error": (_post("/certificate/report-error", {"detail": "Erreur."}), (WRONG_STATE,)),
}

#: The calls forbidden in each state (``consented``: documents submitted and the SMS code sent).
FORBIDDEN = {
    "created": ("documents", "consent", "resend", "sign", "report_error"),
    "identity_submitted": ("identity", "consent", "resend", "sign", "report_error"),
    "documents_submitted": ("identity", "documents", "resend", "sign", "report_error"),
    "consented": ("identity", "documents", "report_error"),
    "certificate_issued": ("identity", "documents", "consent", "resend", "sign", "cancel"),
    "rejected": tuple(ACTIONS),
    "cancelled": tuple(ACTIONS),
}


@check(
    "registration.transitions.trust_matrix",
    title="Each step of the certificate request is refused (409, nothing changes) in every state it is illegal in",
    cites=(RULE_409, STATES, ARTICLE_5),
    severity=Severity.MAJOR,
    needs=("otp", "review"),
)
def trust_matrix(ctx: CheckContext) -> None:
    """One registration walked step by step, tried at each step with the calls that are illegal there; then a
    certificate's registration, a rejected one and a cancelled one, tried with every call that is illegal after
    them (the table ``FORBIDDEN``). Each answer: 409 with a code of ``ACTIONS``, and the registration reads the
    same as before (state, times, document, agreement, certificate)."""
    reg = steps.create(ctx)
    for state in ("created", "identity_submitted", "documents_submitted", "consented"):
        if state != "created":
            steps.walk(ctx, state, reg=reg)
        _try_forbidden(ctx, reg, state)
    _try_forbidden(ctx, ctx.use(issued_registration), "certificate_issued")
    _try_forbidden(ctx, ctx.use(rejected_registration), "rejected")
    cancelled = steps.create(ctx)
    ctx.expect_status(ctx.http.post("trust", cancelled.path("/cancel"), headers=cancelled.auth), 200, what="cancel")
    _try_forbidden(ctx, cancelled, "cancelled")


def _try_forbidden(ctx: CheckContext, reg: steps.Registration, state: str) -> None:
    before = steps.view(ctx, reg)
    if before["state"] != ("documents_submitted" if state == "consented" else state):
        raise UnexpectedAnswer(f"the registration to try in {state} is {before['state']}")
    for name in FORBIDDEN[state]:
        send, codes = ACTIONS[name]
        ctx.expect_refusal(send(ctx, reg), 409, codes, f"{name} in state {state}")
        after = steps.view(ctx, reg)
        changed = sorted(key for key in {*before, *after} if before.get(key) != after.get(key))
        ctx.expect(not changed, f"the refused {name} in state {state} changed {', '.join(changed)}")


@check(
    "registration.transitions.platform_matrix",
    title="Once registered, the person can neither change the profile nor open a second certificate request",
    cites=(
        RULE_409,
        "docs/registration.md, steps 1 and 2: 409 registration_in_progress, 409 certificate_request_exists",
        "DESIGN.md §3: a new request after revocation or expiry",
    ),
    severity=Severity.MAJOR,
    needs=("login", "otp", "review"),
)
def platform_matrix(ctx: CheckContext) -> None:
    """The accountant, registered (``active``, certificate valid): step 1 again (``registration_in_progress``) and
    the hand-off again (``certificate_request_exists``) are refused with 409, and the platform's status reads the
    same after each (state, certificate request, firms opened, profile)."""
    holder = ctx.use(accountant_active)
    before = platform(ctx, holder.tokens)
    if before["state"] != "active":
        raise UnexpectedAnswer(f"the registered accountant is {before['state']}")
    mobile = ctx.target.account("accountant").mobile or before["profile"].get("mobile_number")
    calls: tuple[tuple[str, str, dict[str, object], str], ...] = (
        (
            "confirming the profile again",
            "/registration/profile",
            {"mobile_number": mobile},
            "registration_in_progress",
        ),
        ("a second certificate request", "/registration/certificate-request", {}, "certificate_request_exists"),
    )
    for what, path, body, code in calls:
        answer = ctx.http.post("platform", path, json=body, headers=holder.tokens.bearer)
        ctx.expect_refusal(answer, 409, code, f"{what}, once registered")
        after = platform(ctx, holder.tokens)
        changed = sorted(key for key in {*before, *after} if before.get(key) != after.get(key))
        ctx.expect(not changed, f"the refused {what} changed {', '.join(changed)}")


@check(
    "registration.transitions.new_request_after_revocation",
    title="Once the certificate is revoked, the platform opens a new certificate request",
    cites=(
        "DESIGN.md §3, the certificate's life: revocation by the holder, renewal and a new request after revocation "
        "or expiry",
        "Contrat de souscription, article 15 (CERTIFICATE APPLICATION)",
    ),
    severity=Severity.MAJOR,
    needs=("login", "otp", "review", "revoke"),
)
def new_request_after_revocation(ctx: CheckContext) -> None:
    """The other side of ``platform_matrix``: the registered accountant's certificate is revoked (through the
    harness), then the hand-off is accepted (201) with a registration other than the first, which the platform
    then names as the request under way. It revokes the accountant's certificate: the last check of the plan to use
    that account."""
    holder = ctx.use(accountant_active)
    first = platform(ctx, holder.tokens)["certificate_request"]
    ctx.harness.revoke_certificate(first["certificate_id"], "unspecified")
    answer = ctx.http.post("platform", "/registration/certificate-request", json={}, headers=holder.tokens.bearer)
    opened = ctx.expect_accepted(answer, 201, rule="a new certificate request once the certificate is revoked")
    ctx.http.add_secret(str(opened.get("session_token", "")))
    ctx.expect(opened["id"] != first["id"], f"the new request is the first one, {first['id']}")
    now = platform(ctx, holder.tokens)["certificate_request"]
    ctx.expect(now["id"] == opened["id"], f"the platform names {now['id']} as the request, not the new {opened['id']}")
