"""``signing.credential``: a revoked credential authorizes and signs nothing (runs last: it revokes the holder's
certificate, through the harness)."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2
from conformance.registry import check
from conformance.results import Severity


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
