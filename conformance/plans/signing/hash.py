"""``signing.hash``: a hash whose length does not fit its algorithm is refused."""

from __future__ import annotations

import base64

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2, SAD_REFUSALS
from conformance.registry import check


@check(
    "signing.hash.length",
    title="A hash whose length does not fit its algorithm, shorter or longer, is refused (authorize and signHash)",
    cites=(CSC_V2 + ", credentials/authorize and signatures/signHash (hashes, hashAlgorithmOID)",),
    needs=("otp", "review"),
)
def hash_length(ctx: CheckContext) -> None:
    """SHA-256 "hashes" of 31 and of 33 bytes, on both sides of the 32 a SHA-256 digest has: each refused by
    credentials/authorize (personal credential, with the SMS code), and by signatures/signHash: with the personal
    SAD, and with a seal SAD, which pins no hashes (so that only the length can refuse them there)."""
    holder = ctx.use(holders.accountant)
    wrong = {size: base64.b64encode(bytes(size)).decode() for size in (31, 33)}  # SHA-256 digests are 32 bytes
    code = holders.send_code(ctx, holder)
    for size, hash_b64 in wrong.items():
        answer = holders.authorize(ctx, holder, [hash_b64], code=code)
        ctx.expect_refusal(answer, 400, ("invalid_hash", "invalid_request"), f"authorizing a {size}-byte SHA-256 hash")
    # The refused calls may have left the code unused: spend it on a good authorization, whose SAD serves next.
    good = holders.new_hashes(1)
    spent = holders.authorize(ctx, holder, good, code=code)
    if spent.status_code == 200:
        sad = str(spent.json()["SAD"])
        ctx.http.add_secret(sad)
    else:
        sad = holders.sad_for(ctx, holder, good)
    refusals = ("invalid_hash", "invalid_request", *SAD_REFUSALS)
    for size, hash_b64 in wrong.items():
        signed = holders.sign_hash(ctx, holder, sad, [hash_b64])
        ctx.expect_refusal(signed, 400, refusals, f"signing a {size}-byte hash")
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    seal_sad = holders.sad_for(ctx, holder, holders.new_hashes(1), credential=seal)
    for size, hash_b64 in wrong.items():
        sealed = holders.sign_hash(ctx, holder, seal_sad, [hash_b64], credential=seal)
        ctx.expect_refusal(sealed, 400, refusals, f"sealing a {size}-byte hash with a seal SAD")
