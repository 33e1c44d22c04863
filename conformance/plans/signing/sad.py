"""``signing.sad``: the Signature Activation Data, bound to its hashes, its credential and its user, for as many
signatures as it was authorized for, once, until it expires (and not before)."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2, SAD_REFUSALS, SAD_RULES
from conformance.registry import check
from conformance.results import Severity

#: A SAD's refusal may be a 403 where the provider reads it as "not yours".
SAD_STATUSES = (400, 403)


@check(
    "signing.sad.bound_to_hashes",
    title="A SCAL2 SAD signs only the hashes it was authorized for",
    cites=(*SAD_RULES, "ETSI TS 119 431-1 SRV_AP (SCAL2: the SAD links to the data to be signed)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sad_bound_to_hashes(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    authorized, other = holders.new_hashes(1), holders.new_hashes(1)
    sad = holders.sad_for(ctx, holder, authorized)
    answer = holders.sign_hash(ctx, holder, sad, other)
    ctx.expect_refusal(answer, 400, SAD_REFUSALS, "signing other hashes than the authorized ones")


@check(
    "signing.sad.bound_to_credential",
    title="A SAD signs with the credential it was authorized for only: a personal SAD seals nothing, a seal SAD "
    "signs nothing personal",
    cites=(*SAD_RULES, "ETSI TS 119 431-1 SRV_AP (the SAD authorizes one signing key)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sad_bound_to_credential(ctx: CheckContext) -> None:
    """Crossed both ways with the same hashes: the personal SAD (SCAL2, SMS code) on the firm's seal, which would
    seal for the firm with a personal authorization; and a seal SAD (SCAL1, no code) on the personal credential,
    which would sign in the person's name without their SMS code."""
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    wanted = holders.new_hashes(1)
    personal_sad = holders.sad_for(ctx, holder, wanted)
    sealed = holders.sign_hash(ctx, holder, personal_sad, wanted, credential=seal)
    ctx.expect_refusal(sealed, SAD_STATUSES, SAD_REFUSALS, f"sealing for the firm ({seal.id}) with a personal SAD")
    other = holders.new_hashes(1)
    seal_sad = holders.sad_for(ctx, holder, other, credential=seal)
    signed = holders.sign_hash(ctx, holder, seal_sad, other)
    ctx.expect_refusal(signed, SAD_STATUSES, SAD_REFUSALS, "signing with the personal credential under a seal SAD")


@check(
    "signing.sad.bound_to_user",
    title="A SAD is its user's: another user allowed to use the same seal cannot sign with it",
    cites=(*SAD_RULES, "Guide : délégations (cacheter) accordées par l'expert-comptable"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sad_bound_to_user(ctx: CheckContext) -> None:
    """The accountant grants the ``collaborator`` the firm's seal delegation (so that both may use the seal), then
    authorizes a seal SAD; the collaborator sends that SAD with the seal credential and the same hashes. The
    delegation is withdrawn afterwards."""
    holder = ctx.use(holders.accountant)
    collaborator = ctx.target.account("collaborator")
    firm = collaborator.firms[0] if collaborator.firms else (holder.firms[0] if holder.firms else "")
    seal = holders.seal_of(holder, firm)
    granted = ctx.expect_status(
        ctx.http.post(
            "platform",
            f"/firms/{firm}/delegations",
            json={"user_id": collaborator.user_id or collaborator.login, "kind": "seal"},
            headers=holder.auth,
        ),
        200,
        201,
        what="granting the collaborator the seal delegation",
    )
    try:
        tokens = ctx.login("collaborator")
        wanted = holders.new_hashes(1)
        sad = holders.sad_for(ctx, holder, wanted, credential=seal)
        answer = holders.sign_hash(ctx, holder, sad, wanted, credential=seal, tokens=tokens)
        ctx.expect_refusal(answer, SAD_STATUSES, SAD_REFUSALS, "another user sealing with the accountant's SAD")
    finally:
        ctx.http.delete("platform", f"/firms/{firm}/delegations/{granted['id']}", headers=holder.auth)


@check(
    "signing.sad.code_required",
    title="A SCAL2 credential is authorized only with its SMS code: none or a wrong one is refused",
    cites=(
        CSC_V2 + ", credentials/authorize (OTP)",
        "ETSI TS 119 431-1 SRV_AP (SCAL2: the signer's authentication with two factors)",
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sad_code_required(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    wanted = holders.new_hashes(1)
    code = holders.send_code(ctx, holder)
    body = {
        "credentialID": holder.personal.id,
        "numSignatures": 1,
        "hashes": wanted,
        "hashAlgorithmOID": holders.SHA256,
    }
    missing = holders.csc(ctx, holder.tokens, "/credentials/authorize", body)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}" if code.isdigit() else "000000"
    refused = holders.csc(ctx, holder.tokens, "/credentials/authorize", {**body, "OTP": wrong})
    # Spend the code (the next check asks for one at once, with no resend cooldown after a used code).
    spent = holders.csc(ctx, holder.tokens, "/credentials/authorize", {**body, "OTP": code})
    if spent.status_code == 200:
        ctx.http.add_secret(str(spent.json()["SAD"]))
    ctx.expect_refusal(missing, 400, ("otp_required", "invalid_request"), "authorizing without the SMS code")
    ctx.expect_refusal(refused, 400, ("otp_invalid",), "authorizing with a wrong SMS code")


@check(
    "signing.sad.hash_count",
    title="A SCAL2 authorization is for exactly the hashes sent: a numSignatures above or below their number is "
    "refused",
    cites=(
        CSC_V2 + ", credentials/authorize (hashes: for SCAL 2, as many as numSignatures)",
        "ETSI TS 119 431-1 SRV_AP (SCAL2: the SAD links to the data to be signed)",
        "jesign docs, Remote signing: authorize takes the exact hashes to sign",
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sad_hash_count(ctx: CheckContext) -> None:
    """With one SMS code for the personal credential: numSignatures 2 for 1 hash (a signature authorized for no
    hash given) and numSignatures 1 for 2 hashes (hashes given that no signature is counted for) must both be
    refused; the code is then spent on numSignatures 2 for those 2 hashes, which is authorized (a provider whose
    refusals spent the code is noted: the count, not the code, is judged here)."""
    holder = ctx.use(holders.accountant)
    code = holders.send_code(ctx, holder)
    one, two = holders.new_hashes(1), holders.new_hashes(2)
    fewer = holders.authorize(ctx, holder, one, code=code, num_signatures=2)
    more = holders.authorize(ctx, holder, two, code=code, num_signatures=1)
    spent = holders.authorize(ctx, holder, two, code=code)
    for answer in (fewer, more, spent):
        if answer.status_code == 200:
            ctx.http.add_secret(str(answer.json().get("SAD")))
    if spent.status_code != 200:
        ctx.note(f"the code, after the two refusals, did not authorize 2 hashes for 2 signatures: {spent.status_code}")
    refusals = ("invalid_request", "invalid_hash")
    ctx.expect_refusal(fewer, 400, refusals, "authorizing numSignatures 2 for 1 hash")
    ctx.expect_refusal(more, 400, refusals, "authorizing numSignatures 1 for 2 hashes")


@check(
    "signing.sad.single_use",
    title="A SAD signs once: used, it is refused",
    cites=SAD_RULES,
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sad_single_use(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    wanted = holders.new_hashes(1)
    sad = holders.sad_for(ctx, holder, wanted)
    ctx.expect_status(holders.sign_hash(ctx, holder, sad, wanted), 200, what="the first signHash")
    again = holders.sign_hash(ctx, holder, sad, wanted)
    ctx.expect_refusal(again, (409, 400), SAD_REFUSALS, "signing again with a used SAD")


@check(
    "signing.sad.num_signatures",
    title="A SAD signs as many hashes as its numSignatures, and not one more",
    cites=(*SAD_RULES, CSC_V2 + ", credentials/authorize (numSignatures)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sad_num_signatures(ctx: CheckContext) -> None:
    """On the firm's seal (SCAL1: the SAD pins a number, not hashes): a SAD for 1 signature sent 2 hashes in one
    call is refused; a SAD for 2 signs 1 hash, then 1 more (at the limit), then refuses a third."""
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    one = holders.sad_for(ctx, holder, holders.new_hashes(1), credential=seal)
    two_at_once = holders.sign_hash(ctx, holder, one, holders.new_hashes(2), credential=seal)
    ctx.expect_refusal(two_at_once, (400, 409), SAD_REFUSALS, "signing 2 hashes with a SAD for 1 signature")
    two = holders.sad_for(ctx, holder, holders.new_hashes(2), credential=seal)
    for turn in (1, 2):
        ctx.expect_accepted(
            holders.sign_hash(ctx, holder, two, holders.new_hashes(1), credential=seal),
            rule=f"signature {turn} of a SAD for 2",
        )
    third = holders.sign_hash(ctx, holder, two, holders.new_hashes(1), credential=seal)
    ctx.expect_refusal(third, (400, 409), SAD_REFUSALS, "a third signature with a SAD for 2")


@check(
    "signing.sad.usable_until_expiry",
    title="A SAD still signs one second before its expiresIn has passed",
    cites=SAD_RULES,
    needs=("otp", "review", "clock"),
)
def sad_usable_until_expiry(ctx: CheckContext) -> None:
    """The other side of ``signing.sad.expiry``: the provider's clock moved to ``expiresIn - 1`` seconds after the
    authorization, the SAD must sign (a provider that expires SADs before what it announced makes clients fail
    at random)."""
    holder = ctx.use(holders.accountant)
    wanted = holders.new_hashes(1)
    answer = ctx.expect_status(holders.authorize(ctx, holder, wanted), 200, what="authorizing")
    ctx.http.add_secret(str(answer["SAD"]))
    lifetime = int(answer.get("expiresIn") or 3600)
    ctx.harness.advance_clock(lifetime - 1)
    late = holders.sign_hash(ctx, holder, str(answer["SAD"]), wanted)
    ctx.expect_accepted(late, rule=f"signing with a SAD {lifetime - 1} s after it was given (expiresIn {lifetime})")


@check(
    "signing.sad.expiry",
    title="A SAD is refused once its expiresIn seconds have passed",
    cites=SAD_RULES,
    severity=Severity.CRITICAL,
    needs=("otp", "review", "clock"),
)
def sad_expiry(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    wanted = holders.new_hashes(1)
    answer = ctx.expect_status(holders.authorize(ctx, holder, wanted), 200, what="authorizing")
    ctx.http.add_secret(str(answer["SAD"]))
    lifetime = int(answer.get("expiresIn") or 3600)
    ctx.harness.advance_clock(lifetime + 1)
    late = holders.sign_hash(ctx, holder, str(answer["SAD"]), wanted)
    ctx.expect_refusal(late, 400, SAD_REFUSALS, f"signing with a SAD {lifetime + 1} s after it was given")
