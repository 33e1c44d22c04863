"""``signing.sign_hash``: what signHash signs with, and which algorithms it takes."""

from __future__ import annotations

import base64

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2, verifies
from conformance.registry import check
from conformance.results import Severity

ALGORITHM_REFUSALS = ("invalid_sign_algorithm", "invalid_hash_algorithm", "invalid_request")


@check(
    "signing.sign_hash.signature",
    title="signHash signs with the credential's key: each signature verifies with its certificate",
    cites=(CSC_V2 + ", signatures/signHash",),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sign_hash_signature(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    wanted = holders.new_hashes(2)
    sad = holders.sad_for(ctx, holder, wanted)
    answer = ctx.expect_status(holders.sign_hash(ctx, holder, sad, wanted), 200, what="signHash")
    signatures = answer.get("signatures") or []
    ctx.expect(len(signatures) == len(wanted), f"{len(signatures)} signatures for {len(wanted)} hashes")
    for digest, signature in zip(wanted, signatures, strict=True):
        ctx.expect(
            verifies(holder.personal, base64.b64decode(signature), base64.b64decode(digest)),
            "a signature does not verify with the credential's certificate",
        )


@check(
    "signing.sign_hash.sign_algo",
    title="signHash refuses a signAlgo that does not fit the credential's key type",
    cites=(CSC_V2 + ", signatures/signHash (signAlgo: one of the credential's key/algo)", "RFC 5754 §3 (ECDSA, RSA)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sign_algo(ctx: CheckContext) -> None:
    """A valid SAD for the hash, and the signature algorithm of the other key type (sha256WithRSAEncryption for an
    EC key, ecdsa-with-SHA256 for an RSA key): a signature labelled with an algorithm it was not made with verifies
    nowhere."""
    holder = ctx.use(holders.accountant)
    other = holders.RSA_SHA256 if holder.personal.elliptic else holders.ECDSA_SHA256
    wanted = holders.new_hashes(1)
    sad = holders.sad_for(ctx, holder, wanted)
    answer = holders.sign_hash(ctx, holder, sad, wanted, sign_algorithm=other)
    kind = "EC" if holder.personal.elliptic else "RSA"
    ctx.expect_refusal(answer, 400, ALGORITHM_REFUSALS, f"signing with signAlgo {other} for an {kind} key")


@check(
    "signing.sign_hash.hash_algorithm",
    title="signHash refuses a signAlgo whose digest contradicts hashAlgorithmOID",
    cites=(CSC_V2 + ", signatures/signHash (signAlgo, hashAlgorithmOID)", "RFC 5754 §3"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def hash_algorithm(ctx: CheckContext) -> None:
    """A valid SAD for a SHA-256 hash, sent with hashAlgorithmOID SHA-256 and a signAlgo that implies SHA-384
    (ecdsa-with-SHA384, sha384WithRSAEncryption): the signature would claim a digest it was not made over."""
    holder = ctx.use(holders.accountant)
    claimed = holders.ECDSA_SHA384 if holder.personal.elliptic else holders.RSA_SHA384
    wanted = holders.new_hashes(1)
    sad = holders.sad_for(ctx, holder, wanted)
    answer = holders.sign_hash(ctx, holder, sad, wanted, sign_algorithm=claimed, hash_algorithm=holders.SHA256)
    ctx.expect_refusal(answer, 400, ALGORITHM_REFUSALS, f"signing SHA-256 hashes with signAlgo {claimed} (SHA-384)")
