"""``signing.credential``: a credential signs nothing before its certificate's notBefore; a revoked credential
authorizes and signs nothing (runs last: it revokes the holder's certificate, through the harness)."""

from __future__ import annotations

from datetime import timedelta

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2, SAD_REFUSALS
from conformance.registry import check
from conformance.results import Severity

RFC_5280 = "RFC 5280"


@check(
    "signing.credential.not_yet_valid",
    title="A credential signs nothing before its certificate's notBefore, even with a SAD",
    cites=(RFC_5280 + " §4.1.2.5 (validity: notBefore)", CSC_V2 + ", signatures/signHash"),
    severity=Severity.MAJOR,
    needs=("otp", "review", "clock"),
)
def credential_not_yet_valid(ctx: CheckContext) -> None:
    """A seal SAD (SCAL1: no SMS code) is authorized, then the provider's clock is moved back to a minute before
    the seal certificate's notBefore, and signHash is asked with that SAD: refused (a signature made with a
    certificate that was not yet valid is worth nothing). The clock goes back to the wall clock after the check."""
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    wanted = holders.new_hashes(1)
    sad = holders.sad_for(ctx, holder, wanted, credential=seal)
    early = seal.certificate.not_valid_before_utc - timedelta(minutes=1)
    ctx.harness.advance_clock((early - ctx.target_now()).total_seconds())
    answer = holders.sign_hash(ctx, holder, sad, wanted, credential=seal)
    ctx.expect_refusal(
        answer, (409, 400, 403), ("credential_expired", *SAD_REFUSALS), "signing before the certificate's notBefore"
    )


@check(
    "signing.credential.revoked",
    title="A revoked credential authorizes and signs nothing, even with a SAD given before the revocation",
    cites=(CSC_V2 + ", credentials/info (cert/status, key/status)", "RFC 5280 §3.3 (revocation)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review", "revoke"),
)
def credential_revoked(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    wanted = holders.new_hashes(1)
    sad = holders.sad_for(ctx, holder, wanted)
    ctx.harness.revoke_certificate(holder.certificate_id, "key_compromise")
    answer = holders.sign_hash(ctx, holder, sad, wanted)
    ctx.expect_refusal(answer, (409, 400, 403), ("credential_revoked", "invalid_sad"), "signing after revocation")
    code = holders.csc(ctx, holder.tokens, "/credentials/sendOTP", {"credentialID": holder.personal.id})
    ctx.expect_refusal(code, (409, 400, 403), ("credential_revoked",), "asking for a signing code after revocation")
