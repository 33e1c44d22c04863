"""Plan fixtures of the registration plan: the accountant account walked through the platform's steps, and
registrations at the trust provider in the states that cost a walk.

The accountant (``accountant`` role: two firms, not yet registered) goes through steps 0 to 5 once per plan run;
the step-6 and delegation checks share that walk. A deployment that cannot be reset must give an account that has
not registered yet, or these checks end in ERROR saying so.

:func:`issued_registration` and :func:`rejected_registration` are registrations the operator opened for the
accountant's e-mail (:func:`.steps.create`), walked once per plan run to a certificate, or to a rejection; the
checks that share them only read them or try what must be refused (a check that changes a registration, or that
times a limit from its issuance, walks its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.oidc import Tokens, login
from conformance.plans.registration import steps
from conformance.registry import fixture


@dataclass(frozen=True)
class Holder:
    """The accountant, handed over to the trust provider (and further, depending on the fixture)."""

    tokens: Tokens
    handoff: dict[str, Any]
    registration: steps.Registration
    firms: list[dict[str, Any]]


def platform(ctx: CheckContext, tokens: Tokens, path: str = "/registration") -> dict[str, Any]:
    found: dict[str, Any] = ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)
    return found


@fixture
def accountant_handed_over(ctx: CheckContext) -> Holder:
    """Steps 0 and 1, then the hand-off to the trust provider (step 2's start), through the platform."""
    tokens = ctx.login("accountant")
    status = platform(ctx, tokens)
    if status["state"] not in ("authenticated", "profile_confirmed") or status.get("certificate_request"):
        raise UnexpectedAnswer(
            f"the accountant account is already {status['state']}: give an account that has not registered yet"
        )
    mobile = ctx.target.account("accountant").mobile or status["profile"].get("mobile_number")
    confirmed = ctx.http.post(
        "platform", "/registration/profile", json={"mobile_number": mobile}, headers=tokens.bearer
    )
    ctx.expect_status(confirmed, 200, what="confirming the profile (step 1)")
    answer = ctx.http.post("platform", "/registration/certificate-request", json={}, headers=tokens.bearer)
    handoff = ctx.expect_status(answer, 201, what="starting the certificate request (step 2 hand-off)")
    phone = str(ctx.expect_status(ctx.http.get("platform", "/me", headers=tokens.bearer), 200)["mobile_number"])
    firms = platform(ctx, tokens, "/me")["firms"]
    return Holder(tokens, handoff, steps.handed_over(ctx, handoff, phone), firms)


@fixture
def accountant_issued(ctx: CheckContext) -> Holder:
    """The accountant with a certificate (steps 2 to 5 done), the terms not accepted yet."""
    holder = ctx.use(accountant_handed_over)
    steps.walk(ctx, "certificate_issued", reg=holder.registration)
    return holder


def terms_body(ctx: CheckContext, tokens: Tokens, firm_ids: list[str], **boxes: bool) -> dict[str, Any]:
    texts = platform(ctx, tokens, "/terms")
    ticks = {"cgu_accepted": True, "privacy_policy_accepted": True, **boxes}
    return {
        "firms": [{"firm_id": firm_id, **ticks} for firm_id in firm_ids],
        "cgu_version": texts["cgu"]["version"],
        "privacy_policy_version": texts["privacy_policy"]["version"],
    }


@fixture
def accountant_active(ctx: CheckContext) -> Holder:
    """The accountant registered (step 6 done) for every firm."""
    holder = ctx.use(accountant_issued)
    body = terms_body(ctx, holder.tokens, [f["id"] for f in holder.firms])
    answer = ctx.http.post("platform", "/registration/terms", json=body, headers=holder.tokens.bearer)
    ctx.expect_status(answer, 200, what="accepting the terms for every firm (step 6)")
    return holder


@fixture
def issued_registration(ctx: CheckContext) -> steps.Registration:
    """A registration walked to ``certificate_issued`` (the review approved it)."""
    return steps.walk(ctx, "certificate_issued")


@fixture
def rejected_registration(ctx: CheckContext) -> steps.Registration:
    """A registration whose agreement is signed and which the review rejected (reason ``document_unreadable``)."""
    reg = steps.walk(ctx, "consented")
    ctx.harness.expect_review(approve=False, reason="document_unreadable")
    ctx.expect_status(steps.sign(ctx, reg, ctx.harness.otp(reg.phone_number)), 200, what="signing the agreement")
    ctx.harness.decide_review(reg.id, approve=False, reason="document_unreadable")
    state = steps.view(ctx, reg)["state"]
    if state != "rejected":
        raise UnexpectedAnswer(f"after the review rejected it, the registration is {state}")
    return reg


def register(ctx: CheckContext, role: str, *, mobile: str = "", firms: list[str] | None = None) -> Tokens:
    """``role`` through steps 0 to 6 at the platform (profile, hand-off, trust steps, terms for ``firms``, else every
    firm of the person); the tokens of a login kept out of the plan's (a check that moves the clock may use them).

    ``mobile`` is typed at step 1 when neither the target nor the SSO profile gives one."""
    return registered(ctx, role, mobile=mobile, firms=firms)[0]


def registered(
    ctx: CheckContext, role: str, *, mobile: str = "", firms: list[str] | None = None, accept_terms: bool = True
) -> tuple[Tokens, steps.Registration]:
    """:func:`register`, with the registration at the trust provider (its session token). The person may have had a
    request that ended (rejected or cancelled): a new one is started. Without ``accept_terms``, the walk stops once
    the certificate is issued (step 6 not done)."""
    tokens = login(ctx.http, ctx.harness, ctx.target, ctx.target.account(role))
    status = platform(ctx, tokens)
    # A request that ended (rejected, cancelled) leaves the person free to start another.
    ended = (status.get("certificate_request") or {}).get("state") in (None, "rejected", "cancelled")
    if status["state"] not in ("authenticated", "profile_confirmed", "rejected") or not ended:
        raise UnexpectedAnswer(f"the {role} account is already {status['state']}: give one not registered yet")
    typed = ctx.target.account(role).mobile or status["profile"].get("mobile_number") or mobile
    answer = ctx.http.post("platform", "/registration/profile", json={"mobile_number": typed}, headers=tokens.bearer)
    ctx.expect_status(answer, 200, what=f"confirming the {role}'s profile")
    answer = ctx.http.post("platform", "/registration/certificate-request", json={}, headers=tokens.bearer)
    handoff = ctx.expect_status(answer, 201, what=f"the {role}'s certificate request")
    phone = str(platform(ctx, tokens, "/me")["mobile_number"])
    reg = steps.walk(ctx, "certificate_issued", reg=steps.handed_over(ctx, handoff, phone))
    if not accept_terms:
        return tokens, reg
    if firms is None:
        firms = [f["id"] for f in platform(ctx, tokens, "/me")["firms"]]
    answer = ctx.http.post(
        "platform", "/registration/terms", json=terms_body(ctx, tokens, firms), headers=tokens.bearer
    )
    ctx.expect_status(answer, 200, what=f"the {role} accepting the terms for {firms}")
    return tokens, reg
