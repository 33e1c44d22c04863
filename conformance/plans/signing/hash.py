"""``signing.hash``: a hash whose length does not fit its algorithm is refused."""

from __future__ import annotations

import base64

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2, SAD_REFUSALS
from conformance.registry import check


@check(
    "signing.hash.length",
    title="A hash whose length does not fit its algorithm is refused (authorize and signHash)",
    cites=(CSC_V2 + ", credentials/authorize and signatures/signHash (hashes, hashAlgorithmOID)",),
    needs=("otp", "review"),
)
def hash_length(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    short = base64.b64encode(bytes(31)).decode()  # SHA-256 digests are 32 bytes
    code = holders.send_code(ctx, holder)
    answer = holders.authorize(ctx, holder, [short], code=code)
    ctx.expect_refusal(answer, 400, ("invalid_hash", "invalid_request"), "authorizing a 31-byte SHA-256 hash")
    # The refused call may have left the code unused: spend it on a good authorization, whose SAD serves next.
    good = holders.new_hashes(1)
    spent = holders.authorize(ctx, holder, good, code=code)
    if spent.status_code == 200:
        sad = str(spent.json()["SAD"])
        ctx.http.add_secret(sad)
    else:
        sad = holders.sad_for(ctx, holder, good)
    signed = holders.sign_hash(ctx, holder, sad, [short])
    ctx.expect_refusal(signed, 400, ("invalid_hash", "invalid_request", *SAD_REFUSALS), "signing a 31-byte hash")
