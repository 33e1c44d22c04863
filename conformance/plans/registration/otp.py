"""Step 4's SMS code: six digits sent to the mobile (shown masked), valid 30 minutes, single use, a limited number
of tries then locked, a cooldown between sendings."""

from __future__ import annotations

from datetime import datetime

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

GUIDE_OTP = "Guide, étape 4 : « Une fois la case cochée vous recevrez un code par sms. Vous aurez 30 mins pour signer »"
RULE_OTP = "DESIGN.md §2, step 4: 6-digit SMS OTP, shown masked; valid 30 minutes; single use; attempts limited"


@check(
    "registration.otp.sent",
    title="Consenting sends a six-digit SMS code to the mobile, shown masked, valid 30 minutes",
    cites=(GUIDE_OTP, "Guide : « Un code vous a été envoyé par SMS au 8795 »", RULE_OTP),
    severity=Severity.MAJOR,
    needs=("otp",),
)
def sent(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "documents_submitted")
    body = ctx.expect_status(steps.consent(ctx, reg), 200, what="consenting to the agreement")
    masked = str(body.get("phone_masked", ""))
    ctx.expect(masked.endswith(reg.phone_number[-4:]), f"the masked number {masked!r} does not end as the mobile")
    ctx.expect(reg.phone_number[-8:-4] not in masked, f"the number is not masked: {masked!r}")
    code = ctx.harness.otp(reg.phone_number)
    ctx.expect(len(code) == 6 and code.isdigit(), "the SMS code is not six digits")
    validity = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(steps.view(ctx, reg)["updated_at"])
    expected = ctx.target.rules.otp_validity_seconds
    ctx.expect(abs(validity.total_seconds() - expected) <= 120, f"the code is valid {validity}, not {expected} seconds")


@check(
    "registration.otp.wrong_code",
    title="A wrong SMS code is refused, counted, and changes nothing",
    cites=(RULE_OTP,),
    severity=Severity.CRITICAL,
    needs=("otp",),
)
def wrong_code(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)
    problem = ctx.expect_refusal(steps.sign(ctx, reg, steps.wrong_code(code)), 400, "otp_invalid", "a wrong code")
    remaining = problem.get("attempts_remaining")
    expected = ctx.target.rules.otp_max_attempts - 1
    if remaining != expected:
        ctx.warn(f"the refusal gives attempts_remaining={remaining!r}, expected {expected}")
    ctx.expect(steps.view(ctx, reg)["state"] == "documents_submitted", "a wrong code moved the registration on")


@check(
    "registration.otp.expiry",
    title="An SMS code is refused once its 30 minutes have passed",
    cites=(GUIDE_OTP, RULE_OTP),
    severity=Severity.CRITICAL,
    needs=("otp", "clock"),
)
def expiry(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)
    ctx.harness.advance_clock(ctx.target.rules.otp_validity_seconds + 1)
    ctx.expect_refusal(steps.sign(ctx, reg, code), 400, "otp_expired", "a code 30 minutes and 1 second old")
    ctx.expect(steps.view(ctx, reg)["state"] == "documents_submitted", "an expired code signed the agreement")


@check(
    "registration.otp.superseded",
    title="Sending a new SMS code voids the previous one",
    cites=(RULE_OTP + "; resend cooldown", "ANSSI, authentification multifacteur : un code à usage unique"),
    severity=Severity.CRITICAL,
    needs=("otp", "clock"),
)
def superseded(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    first = ctx.harness.otp(reg.phone_number)
    ctx.harness.advance_clock(ctx.target.rules.otp_resend_cooldown_seconds + 1)
    resent = ctx.http.post("trust", reg.path("/agreement/resend"), headers=reg.auth)
    ctx.expect_status(resent, 200, what="asking for a new code after the cooldown")
    second = ctx.harness.otp(reg.phone_number)
    if second == first:
        ctx.skip("the new code happens to equal the previous one")
    ctx.expect_refusal(steps.sign(ctx, reg, first), 400, ("otp_invalid", "otp_expired"), "the superseded code")
    ctx.expect_accepted(steps.sign(ctx, reg, second), rule="the new code")


@check(
    "registration.otp.lockout",
    title="After the allowed wrong tries the code is locked: even the right code is refused",
    cites=(RULE_OTP + "; attempts limited, then locked",),
    severity=Severity.CRITICAL,
    needs=("otp",),
)
def lockout(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)
    wrong = steps.wrong_code(code)
    tries = ctx.target.rules.otp_max_attempts
    for attempt in range(1, tries + 1):
        answer = steps.sign(ctx, reg, wrong)
        ctx.expect(answer.status_code in (400, 423, 429), f"wrong try {attempt} answered {answer.status_code}")
    ctx.expect_refusal(steps.sign(ctx, reg, code), (423, 429), "otp_locked", f"the right code after {tries} wrong ones")
    ctx.expect(steps.view(ctx, reg)["state"] == "documents_submitted", "a locked code signed the agreement")


@check(
    "registration.otp.resend_cooldown",
    title="A new SMS code cannot be asked for again at once (cooldown, Retry-After)",
    cites=(RULE_OTP + "; resend cooldown", "RFC 9110 §10.2.3 Retry-After", "RFC 6585 §4 (429)"),
    severity=Severity.MAJOR,
    needs=("otp",),
)
def resend_cooldown(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    answer = ctx.http.post("trust", reg.path("/agreement/resend"), headers=reg.auth)
    ctx.expect_refusal(answer, 429, "otp_resend_too_soon", "a second code right after the first")
    ctx.expect(answer.headers.get("Retry-After"), "the 429 has no Retry-After header")
