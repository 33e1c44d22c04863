"""Step 4's SMS code: six digits sent to the mobile (shown masked), valid 30 minutes, single use, a limited number
of tries then locked, a cooldown between sendings, a limited number of codes per request.

Every limit is tried on both sides, on the target's clock and with the target's own values (``ctx.target.rules``):
the code one second before its validity ends and one second after, the right code after one wrong try fewer than
the limit and after the limit, a resend one second before the cooldown ends and one second after, the last code
the cap allows and the one after it. The clock checks assume that the harness's clock stands still between its
moves, as the mock's does (frozen at the wall clock at each reset).
"""

from __future__ import annotations

import re
from datetime import datetime

import requests

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

GUIDE_OTP = "Guide, étape 4 : « Une fois la case cochée vous recevrez un code par sms. Vous aurez 30 mins pour signer »"
RULE_OTP = "DESIGN.md §2, step 4: 6-digit SMS OTP, shown masked; valid 30 minutes; single use; attempts limited"
CODES_PER_REQUEST = (
    "docs/registration.md, step 4: « at most 10 codes are sent for one request » (423 otp_code_limit_reached)"
)


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
    hidden = re.sub(r"^\+[0-9]{1,3}", "", masked)[:-4]  # a country code may stay, as a dialling prefix tells nothing
    ctx.expect(not any(c.isdigit() for c in hidden), f"the masked number {masked!r} shows more than the last four")
    shown = body.get("phone_last_digits")
    ctx.expect(shown == reg.phone_number[-4:], f"the digits shown as the mobile's last four are {shown!r}")
    code = ctx.harness.otp(reg.phone_number)
    ctx.expect(len(code) == 6 and code.isdigit(), "the SMS code is not six digits")
    validity = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(steps.view(ctx, reg)["updated_at"])
    expected = ctx.target.rules.otp_validity_seconds
    ctx.expect(abs(validity.total_seconds() - expected) <= 120, f"the code is valid {validity}, not {expected} seconds")
    announced = body.get("validity_seconds")
    ctx.expect(announced in (None, expected), f"the answer announces a validity of {announced} seconds, not {expected}")


@check(
    "registration.otp.sms_text",
    title="The SMS carries the code and announces the validity the provider applies, in minutes",
    cites=(GUIDE_OTP, RULE_OTP),
    severity=Severity.MINOR,
    needs=("otp", "outbox"),
)
def sms_text(ctx: CheckContext) -> None:
    """After the consent, an SMS sent to the mobile holds the code; if it says how long the code is valid
    (« N minutes »), N is ``otp_validity_seconds`` in minutes: a text that announces another validity than the one
    applied misleads the applicant on one side or the other of the limit."""
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)
    holding = [str(m.get("body", "")) for m in ctx.harness.sms(reg.phone_number) if code in str(m.get("body", ""))]
    ctx.expect(bool(holding), "no SMS sent to the mobile holds the code")
    text = holding[0]
    expected = ctx.target.rules.otp_validity_seconds / 60
    for said in re.findall(r"(\d+)\s*min", text):
        ctx.expect(int(said) == expected, f"the SMS announces {said} minutes, the code is valid {expected:g}")


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
    if remaining is None:
        ctx.warn("the refusal does not say how many tries are left (attempts_remaining)")
    else:
        ctx.expect(remaining == expected, f"the refusal gives attempts_remaining={remaining!r}, expected {expected}")
    ctx.expect(steps.view(ctx, reg)["state"] == "documents_submitted", "a wrong code moved the registration on")


@check(
    "registration.otp.malformed",
    title="A code that is not six digits is refused as malformed, never counted as a wrong try",
    cites=(RULE_OTP, "docs/registration.md, step 4: 400 otp_malformed, the code is not six digits"),
    severity=Severity.MAJOR,
    needs=("otp",),
)
def malformed(ctx: CheckContext) -> None:
    """More malformed codes than the wrong tries allowed, most made from the right code: its first five digits, the
    right code with a seventh digit, with a letter in place of a digit, with a space inside, six letters, an empty
    code; each refused (400 ``otp_malformed``). A JSON number and a list of digits are refused too (400, whatever
    the code: a schema may catch them first), never a 500. None is counted: one wrong code then says (if it says)
    that all the tries but one are left, and the right code signs."""
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)
    strings = {
        "five digits": code[:5],
        "seven digits": code + "7",
        "a letter for a digit": code[:2] + "A" + code[3:],
        "a space inside": code[:3] + " " + code[3:],
        "six letters": "abcdef",
        "an empty code": "",
    }
    for what, malformed_code in strings.items():
        answer = ctx.http.post("trust", reg.path("/agreement/sign"), json={"otp": malformed_code}, headers=reg.auth)
        ctx.expect_refusal(answer, 400, "otp_malformed", f"a code of {what}")
    for what, value in (("a JSON number", int(steps.wrong_code(code))), ("a list of digits", list(code))):
        answer = ctx.http.post("trust", reg.path("/agreement/sign"), json={"otp": value}, headers=reg.auth)
        ctx.expect_refusal(answer, 400, None, f"the code as {what}")
    ctx.expect(steps.view(ctx, reg)["state"] == "documents_submitted", "a malformed code moved the registration on")
    problem = ctx.expect_refusal(steps.sign(ctx, reg, steps.wrong_code(code)), 400, "otp_invalid", "a wrong code")
    remaining = problem.get("attempts_remaining")
    expected = ctx.target.rules.otp_max_attempts - 1
    ctx.expect(
        remaining in (None, expected),
        f"after {len(strings) + 2} malformed codes and one wrong one, attempts_remaining={remaining!r}, expected "
        f"{expected}: the malformed ones were counted",
    )
    ctx.expect_accepted(steps.sign(ctx, reg, code), rule="the right code after malformed ones and one wrong one")


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
    age = ctx.target.rules.otp_validity_seconds + 1
    ctx.harness.advance_clock(age)
    ctx.expect_refusal(steps.sign(ctx, reg, code), 400, "otp_expired", f"the code {_duration(age)} after it was sent")
    ctx.expect(steps.view(ctx, reg)["state"] == "documents_submitted", "an expired code signed the agreement")


@check(
    "registration.otp.valid_until_expiry",
    title="An SMS code is still accepted one second before its 30 minutes are over",
    cites=(GUIDE_OTP, RULE_OTP),
    severity=Severity.MAJOR,
    needs=("otp", "clock"),
)
def valid_until_expiry(ctx: CheckContext) -> None:
    """The other side of ``registration.otp.expiry``: a provider whose codes die before the time it announces
    (10 minutes where 30 are promised) refuses here."""
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)
    age = ctx.target.rules.otp_validity_seconds - 1
    ctx.harness.advance_clock(age)
    ctx.expect_accepted(steps.sign(ctx, reg, code), rule=f"the code {_duration(age)} after it was sent")


@check(
    "registration.otp.announced_instants",
    title="A new SMS code can be sent at the very resend_available_at announced; a code is dead at its expires_at",
    cites=(
        RULE_OTP + "; resend cooldown",
        "docs/registration.md, step 4: expires_at and resend_available_at",
        "RFC 7519 §4.1.4: an expiry time is the time on or after which the token must not be accepted",
    ),
    severity=Severity.MINOR,
    needs=("otp", "clock"),
)
def announced_instants(ctx: CheckContext) -> None:
    """On the target's clock as the harness reads it: the clock is moved to exactly the consent's
    ``resend_available_at``, where a resend is accepted; then to exactly the new code's ``expires_at``, where that
    code is refused (``otp_expired``) and the agreement stays unsigned."""
    reg = steps.walk(ctx, "documents_submitted")
    body = ctx.expect_status(steps.consent(ctx, reg), 200, what="consenting to the agreement")
    now = ctx.harness.now()
    if now is None:
        ctx.skip("the harness cannot read the target's clock")
    available = datetime.fromisoformat(body["resend_available_at"])
    ctx.harness.advance_clock((available - now).total_seconds())
    resent = ctx.expect_accepted(_resend(ctx, reg), rule=f"a resend at the resend_available_at announced, {available}")
    code = ctx.harness.otp(reg.phone_number)
    expires = datetime.fromisoformat(resent["expires_at"])
    ctx.harness.advance_clock((expires - available).total_seconds())
    answer = steps.sign(ctx, reg, code)
    ctx.expect_refusal(answer, 400, "otp_expired", f"the code at its expires_at, {expires}")
    ctx.expect(steps.view(ctx, reg)["state"] == "documents_submitted", "a code signed at its expires_at")


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
    "registration.otp.attempts_allowed",
    title="After one wrong try fewer than the limit, the right SMS code still signs",
    cites=(RULE_OTP + "; attempts limited, then locked", "docs/registration.md, step 4: locked at the fifth wrong try"),
    severity=Severity.MAJOR,
    needs=("otp",),
)
def attempts_allowed(ctx: CheckContext) -> None:
    """The other side of ``registration.otp.lockout``: each wrong try before the last allowed one is refused as
    wrong (``otp_invalid``, not locked), its ``attempts_remaining`` (docs/registration.md, step 4), if given, the
    limit less the wrong tries so far; and then the right code signs."""
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)
    tries = ctx.target.rules.otp_max_attempts
    for attempt in range(1, tries):
        answer = steps.sign(ctx, reg, steps.wrong_code(code))
        problem = ctx.expect_refusal(answer, 400, "otp_invalid", f"wrong try {attempt} of the {tries} allowed")
        remaining = problem.get("attempts_remaining")
        if remaining is None:
            ctx.warn(f"after wrong try {attempt} the refusal does not say how many tries are left")
        else:
            ctx.expect(
                remaining == tries - attempt,
                f"after wrong try {attempt} of {tries} the refusal gives attempts_remaining={remaining!r}",
            )
    ctx.expect_accepted(steps.sign(ctx, reg, code), rule=f"the right code after {tries - 1} wrong tries")


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
    """Asks for a second code right after the first: 429, and a Retry-After of at most the cooldown."""
    reg = steps.walk(ctx, "consented")
    answer = _resend(ctx, reg)
    ctx.expect_refusal(answer, 429, "otp_resend_too_soon", "a second code right after the first")
    cooldown = ctx.target.rules.otp_resend_cooldown_seconds
    _expect_retry_after(ctx, answer, 1, cooldown)


@check(
    "registration.otp.resend_cooldown_limits",
    title="A new SMS code is refused one second before the cooldown is over, and sent one second after",
    cites=(RULE_OTP + "; resend cooldown", "docs/registration.md, step 4: no sooner than 60 s", "RFC 9110 §10.2.3"),
    severity=Severity.MAJOR,
    needs=("otp", "clock"),
)
def resend_cooldown_limits(ctx: CheckContext) -> None:
    """Both sides of the cooldown, on the target's clock: at cooldown - 1 s a 429 whose Retry-After says 1 second
    (or 2, rounded up), at cooldown + 1 s a new code."""
    reg = steps.walk(ctx, "consented")
    cooldown = ctx.target.rules.otp_resend_cooldown_seconds
    ctx.harness.advance_clock(cooldown - 1)
    early = _resend(ctx, reg)
    ctx.expect_refusal(early, 429, "otp_resend_too_soon", f"a new code {_duration(cooldown - 1)} after the first")
    _expect_retry_after(ctx, early, 1, 2)
    ctx.harness.advance_clock(2)
    ctx.expect_accepted(_resend(ctx, reg), rule=f"a new code {_duration(cooldown + 1)} after the first")


@check(
    "registration.otp.code_cap",
    title="A request is sent 10 SMS codes at most: the 10th is sent and signs, the 11th is refused",
    cites=(CODES_PER_REQUEST, RULE_OTP + "; attempts limited"),
    severity=Severity.MAJOR,
    needs=("otp", "clock"),
)
def code_cap(ctx: CheckContext) -> None:
    """The consent's code, then resends past the cooldown each: the last code the cap allows is sent, the next
    one is refused (423 ``otp_code_limit_reached``), and that refusal leaves the last code working."""
    cap = ctx.target.rules.otp_max_codes
    wait = ctx.target.rules.otp_resend_cooldown_seconds + 1
    reg = steps.walk(ctx, "consented")
    for sent in range(2, cap + 1):
        ctx.harness.advance_clock(wait)
        ctx.expect_accepted(_resend(ctx, reg), rule=f"code {sent} of the {cap} allowed")
    last = ctx.harness.otp(reg.phone_number)
    ctx.harness.advance_clock(wait)
    ctx.expect_refusal(_resend(ctx, reg), (423, 429), "otp_code_limit_reached", f"code {cap + 1} for one request")
    ctx.expect_accepted(steps.sign(ctx, reg, last), rule=f"code {cap}, once code {cap + 1} was refused")


def _resend(ctx: CheckContext, reg: steps.Registration) -> requests.Response:
    return ctx.http.post("trust", reg.path("/agreement/resend"), headers=reg.auth)


def _expect_retry_after(ctx: CheckContext, answer: requests.Response, least: int, most: int) -> None:
    """The 429's Retry-After (RFC 9110 §10.2.3, delay-seconds) is between ``least`` and ``most`` seconds."""
    value = answer.headers.get("Retry-After", "")
    ctx.expect(value.isdigit(), f"the 429's Retry-After is {value!r}, not a number of seconds")
    ctx.expect(least <= int(value) <= most, f"the 429's Retry-After is {value} s, expected {least} to {most} s")


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
