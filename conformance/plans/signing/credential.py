"""``signing.credential``: a credential signs nothing before its certificate's notBefore nor after its notAfter; a
revoked credential authorizes and signs nothing (runs last: it revokes the holder's certificate, through the
harness)."""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta

from conformance.context import CheckContext
from conformance.oidc import login
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2, SAD_REFUSALS, verifies
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
    "signing.credential.expired",
    title="A credential authorizes and signs nothing once its certificate's notAfter has passed, even with a SAD "
    "given before; a minute before, it signs",
    cites=(RFC_5280 + " §4.1.2.5 (validity: from notBefore through notAfter)", CSC_V2 + ", signatures/signHash"),
    severity=Severity.MAJOR,
    needs=("otp", "review", "clock", "login"),
)
def credential_expired(ctx: CheckContext) -> None:
    """The provider's clock is moved to a minute before the seal certificate's notAfter; the accountant logs in
    again (the tokens of the plan's holder have expired by then, and a refusal must be about the certificate, not
    the token), and a seal SAD for 2 signatures is authorized: the first hash is signed, and the signature verifies.
    The clock is then moved on to one second past notAfter (RFC 5280 makes the validity include notAfter itself):
    signHash of the second hash with that very SAD, and a new authorization, must both be refused. The clock goes
    back to the wall clock after the check."""
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    end = seal.certificate.not_valid_after_utc
    ctx.harness.advance_clock((end - timedelta(minutes=1) - ctx.target_now()).total_seconds())
    later = dataclasses.replace(
        holder, tokens=login(ctx.http, ctx.harness, ctx.target, ctx.target.account(holder.role))
    )
    first, second = holders.new_hashes(2)
    sad = holders.sad_for(ctx, later, [first, second], credential=seal)
    before = holders.sign_hash(ctx, later, sad, [first], credential=seal)
    signed = ctx.expect_accepted(before, rule="sealing a minute before the certificate's notAfter")
    signatures = signed.get("signatures") or []
    ctx.expect(
        len(signatures) == 1 and verifies(seal, base64.b64decode(signatures[0]), base64.b64decode(first)),
        "the seal made a minute before notAfter does not verify with the seal certificate",
    )
    ctx.harness.advance_clock((end + timedelta(seconds=1) - ctx.target_now()).total_seconds())
    after = holders.sign_hash(ctx, later, sad, [second], credential=seal)
    ctx.expect_refusal(
        after,
        (409, 400, 403),
        ("credential_expired", *SAD_REFUSALS),
        "sealing one second past notAfter with a SAD given before",
    )
    again = holders.authorize(ctx, later, holders.new_hashes(1), credential=seal)
    ctx.expect_refusal(again, (409, 400, 403), ("credential_expired",), "authorizing one second past notAfter")


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
