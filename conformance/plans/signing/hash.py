"""``signing.hash``: a hash whose length does not fit its algorithm is refused; the other digests the credential
names (SHA-384, SHA-512) are authorized and signed as such."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2, SAD_REFUSALS, verifies
from conformance.registry import check
from conformance.results import Severity


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


#: The digests beyond SHA-256: (OID, the signature algorithm over it for an EC key, for an RSA key, the digest).
OTHER_DIGESTS = (
    (holders.SHA384, holders.ECDSA_SHA384, holders.RSA_SHA384, hashes.SHA384()),
    (holders.SHA512, holders.ECDSA_SHA512, holders.RSA_SHA512, hashes.SHA512()),
)


@check(
    "signing.hash.other_digests",
    title="A SCAL2 authorization takes the hashes of each digest the credential's algorithms name (SHA-384, "
    "SHA-512) at that digest's length, and they are signed over it; a SHA-256-long hash under its OID is refused",
    cites=(
        CSC_V2 + ", credentials/info (key/algo) and credentials/authorize (hashes, hashAlgorithmOID)",
        CSC_V2 + ", signatures/signHash (signAlgo, hashAlgorithmOID)",
        "RFC 5754 §3 (ecdsa-with-SHA384/512, sha384/512WithRSAEncryption)",
    ),
    severity=Severity.MAJOR,
    needs=("otp", "review"),
)
def other_digests(ctx: CheckContext) -> None:
    """For each of SHA-384 and SHA-512 over which the personal credential's key/algo names a signature algorithm
    (ecdsa-with-SHA384 for an EC key, sha384WithRSAEncryption for an RSA key…), with an SMS code: authorize, under
    that hashAlgorithmOID, a hash of SHA-256's 32 bytes (refused: no such digest is 32 bytes long); then 2 hashes of
    the digest's own length (authorized, the code spent there, else a new one sent), and signHash them with that
    signAlgo: each signature must verify over that digest. A provider that read every SCAL2 hash as SHA-256 would
    accept the first and refuse the second. A digest the credential names no algorithm over is not tried (CSC
    leaves the choice to the provider)."""
    holder = ctx.use(holders.accountant)
    credential = holder.personal
    advertised = set(credential.info.get("key", {}).get("algo") or [])
    tried = [
        (oid, ec_algo if credential.elliptic else rsa_algo, digest)
        for oid, ec_algo, rsa_algo, digest in OTHER_DIGESTS
        if (ec_algo if credential.elliptic else rsa_algo) in advertised
    ]
    if not tried:
        ctx.skip("the personal credential's key/algo names no signature algorithm over SHA-384 or SHA-512")
    ctx.note(f"digests tried: {', '.join(digest.name for *_, digest in tried)}")
    code: str | None = holders.send_code(ctx, holder)
    for oid, _, digest in tried:
        short = holders.authorize(ctx, holder, holders.new_hashes(1), code=code, hash_algorithm=oid)
        if short.status_code == 200:
            ctx.http.add_secret(str(short.json().get("SAD")))
        ctx.expect_refusal(short, 400, ("invalid_hash", "invalid_request"), f"authorizing a 32-byte {digest.name} hash")
    for oid, sign_algo, digest in tried:
        wanted = holders.new_hashes(2, oid)
        answer = holders.authorize(ctx, holder, wanted, code=code, hash_algorithm=oid)
        if answer.status_code != 200 and code is not None:
            ctx.note(f"the code, after the refusals, did not authorize {digest.name} hashes: {answer.status_code}")
            answer = holders.authorize(ctx, holder, wanted, hash_algorithm=oid)
        code = None  # spent: the next digest has a code of its own
        sad = str(ctx.expect_accepted(answer, rule=f"authorizing 2 {digest.name} hashes under its OID")["SAD"])
        ctx.http.add_secret(sad)
        signed = holders.sign_hash(ctx, holder, sad, wanted, sign_algorithm=sign_algo, hash_algorithm=oid)
        signatures = ctx.expect_accepted(signed, rule=f"signing {digest.name} hashes with signAlgo {sign_algo}")
        found = signatures.get("signatures") or []
        ctx.expect(len(found) == len(wanted), f"{len(found)} signatures for {len(wanted)} {digest.name} hashes")
        for hash_b64, signature in zip(wanted, found, strict=True):
            ctx.expect(
                verifies(credential, base64.b64decode(signature), base64.b64decode(hash_b64), digest),
                f"a signature of a {digest.name} hash does not verify over {digest.name} with the certificate",
            )
