"""``signing.codes``: the SMS codes of a personal (SCAL2) credential are capped per hour.

The check registers the ``second_accountant`` through the platform for a credential of its own: the codes it sends
would otherwise count, for an hour, against the plan's holder, whose other checks send codes too.
"""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.oidc import Tokens, login
from conformance.plans import holders
from conformance.plans.registration import fixtures, steps
from conformance.plans.signing.common import CSC_V2
from conformance.registry import check
from conformance.results import Severity

CAP = "docs/remote-signing.md: « a 31st sendOTP for one credential within an hour » is refused (423), Retry-After"


@check(
    "signing.codes.hourly_cap",
    title="At most 30 signing codes per credential in an hour; the next one from the Retry-After given, not before",
    cites=(CAP, CSC_V2 + ", credentials/sendOTP", "RFC 9110 §10.2.3 (Retry-After)"),
    severity=Severity.MAJOR,
    needs=("login", "otp", "review", "clock"),
)
def hourly_cap(ctx: CheckContext) -> None:
    """The ``second_accountant``, registered for this check, asks a code for its personal credential, then, an hour
    and a cooldown later, ``rules.signing_codes_per_hour`` codes, the clock moved past the resend cooldown between
    them: each sent (the first code has left the hour). The next one, past
    the cooldown too, is refused (``423 otp_code_limit_reached``) with a ``Retry-After`` of the time until the
    first code is an hour old; one second before it another is still refused, at it one is sent (the first code
    has left the hour)."""
    rules = ctx.target.rules
    tokens, credential = _registered(ctx, "second_accountant")
    body = {"credentialID": credential}
    step = rules.otp_resend_cooldown_seconds + 1
    # A code an hour and more before the others: out of their hour, it neither counts nor dates the Retry-After.
    ctx.expect_accepted(holders.csc(ctx, tokens, "/credentials/sendOTP", body), 200, 204, rule="a first signing code")
    ctx.harness.advance_clock(3600 + step)
    tokens = _login(ctx, "second_accountant")
    for number in range(1, rules.signing_codes_per_hour + 1):
        if number > 1:
            ctx.harness.advance_clock(step)
        sent = holders.csc(ctx, tokens, "/credentials/sendOTP", body)
        ctx.expect_accepted(sent, 200, 204, rule=f"signing code {number} of {rules.signing_codes_per_hour} in an hour")
    ctx.harness.advance_clock(step)
    elapsed = rules.signing_codes_per_hour * step
    over = holders.csc(ctx, tokens, "/credentials/sendOTP", body)
    ctx.expect_refusal(over, 423, "otp_code_limit_reached", f"signing code {rules.signing_codes_per_hour + 1}")
    retry = over.headers.get("Retry-After", "")
    ctx.expect(retry.isdigit(), f"the refusal gives no Retry-After in seconds: {retry!r}")
    wait = int(retry)
    ctx.expect(
        wait == 3600 - elapsed,
        f"Retry-After is {wait} s: the first code, sent {elapsed} s ago, is an hour old in {3600 - elapsed} s",
    )
    ctx.harness.advance_clock(wait - 1)
    tokens = _login(ctx, "second_accountant")  # an hour has passed on the target's clock since the first login
    early = holders.csc(ctx, tokens, "/credentials/sendOTP", body)
    ctx.expect_refusal(early, 423, "otp_code_limit_reached", "a signing code one second before the Retry-After")
    ctx.harness.advance_clock(1)
    again = holders.csc(ctx, tokens, "/credentials/sendOTP", body)
    ctx.expect_accepted(again, 200, 204, rule="a signing code at the Retry-After, the first code out of the hour")


@check(
    "signing.codes.reissued_credential",
    title="After an error report reissues the certificate, the new credential's SMS code is its own and signs",
    cites=(
        CSC_V2 + ", credentials/sendOTP and credentials/authorize",
        "DESIGN.md §2, step 5: an error report within 48 h revokes and reissues the certificate",
    ),
    severity=Severity.MAJOR,
    needs=("login", "otp", "review"),
)
def reissued_credential(ctx: CheckContext) -> None:
    """The ``no_mobile`` accountant, registered through the platform for this check (a mobile typed at step 1),
    asks a code for its personal credential and leaves it unused; reports an error in its certificate (within the
    48 hours), which reissues it; then asks a code for the new personal credential at once (no cooldown: no code of
    that credential was sent) and authorizes one hash with it. Both accepted: a code is sent and checked for its own
    credential, not taken for another one's."""
    tokens, reg = fixtures.registered(ctx, "no_mobile", mobile="+33656789012")
    old = [c.id for c in holders.credentials(ctx, tokens) if c.scal == "2"]
    if not old:
        steps.raise_unexpected("the active no_mobile account has no SCAL2 (personal) credential")
    sent = holders.csc(ctx, tokens, "/credentials/sendOTP", {"credentialID": old[0]})
    ctx.expect_status(sent, 200, 204, what="a code for the first credential")
    reported = ctx.http.post(
        "trust",
        reg.path("/certificate/report-error"),
        json={"detail": "Le nom est mal orthographié."},
        headers=reg.auth,
    )
    ctx.expect_status(reported, 200, what="reporting an error in the certificate")
    new = [c.id for c in holders.credentials(ctx, tokens) if c.scal == "2" and c.id not in old]
    if not new:
        steps.raise_unexpected("the reissued certificate gives no new SCAL2 (personal) credential")
    sent = holders.csc(ctx, tokens, "/credentials/sendOTP", {"credentialID": new[0]})
    ctx.expect_accepted(sent, 200, 204, rule="a code for the reissued credential, its first")
    body = {
        "credentialID": new[0],
        "numSignatures": 1,
        "hashes": holders.new_hashes(1),
        "hashAlgorithmOID": holders.SHA256,
        "OTP": ctx.harness.otp(reg.phone_number),
    }
    answer = ctx.expect_accepted(holders.csc(ctx, tokens, "/credentials/authorize", body), rule="its code authorizing")
    ctx.http.add_secret(str((answer or {}).get("SAD")))


def _login(ctx: CheckContext, role: str) -> Tokens:
    """A login not kept for the plan (on a moved clock, its tokens would be from the future once it is reset)."""
    return login(ctx.http, ctx.harness, ctx.target, ctx.target.account(role))


def _registered(ctx: CheckContext, role: str) -> tuple[Tokens, str]:
    """``role`` registered through the platform: its tokens and its personal (SCAL2) credential's id."""
    tokens = fixtures.register(ctx, role)
    personal = [c for c in holders.credentials(ctx, tokens) if c.scal == "2"]
    if not personal:
        steps.raise_unexpected(f"the active {role} has no SCAL2 (personal) credential")
    return tokens, personal[0].id
