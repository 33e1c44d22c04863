"""The ``signing`` plan: remote signing through the CSC API, and PAdES signatures made with the SDK.

Modules, in running order:

- ``csc``: the credentials an active accountant may use (personal SCAL2, the firms' seals SCAL1);
- ``sign_hash``: a signature made by ``signatures/signHash`` verifies with the credential's certificate;
- ``sad``: the Signature Activation Data signs only the hashes it was authorized for, once, before it expires;
- ``hash``: a hash whose length does not fit its algorithm is refused;
- ``seal``: a collaborator without the seal delegation cannot use the firm's seal;
- ``pades``: a PDF signed through the SDK at each PAdES baseline level (B-B, B-T, B-LT, B-LTA) validates with
  pyHanko and reaches that level;
- ``credential``: a revoked credential authorizes and signs nothing (runs last: it revokes the holder's
  certificate, through the harness).

Every check uses the plan's holder (:func:`conformance.plans.holders.accountant`).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

CSC_V2 = "Cloud Signature Consortium API v2.0.0.2"
SAD_RULES = (CSC_V2 + ", credentials/authorize (SAD, expiresIn)", CSC_V2 + ", signatures/signHash (SAD)")
#: What the SAD refusals may be called (the CSC spec leaves the codes to the provider; these are jesign's).
SAD_REFUSALS = ("invalid_sad", "sad_used", "sad_expired", "sad_hash_mismatch", "invalid_request")
LEVEL_RANK = {"B-B": 0, "B-T": 1, "B-LT": 2, "B-LTA": 3}


# -- csc --------------------------------------------------------------------------------------------------------------


@check(
    "signing.csc.credentials",
    title="An active accountant has a valid personal SCAL2 credential and a seal credential per opened firm",
    cites=(CSC_V2 + ", credentials/list and credentials/info", "Guide, étape 6 : ouverture du service"),
    needs=("otp", "review"),
)
def credentials(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    info = holder.personal.info
    found = []
    if info.get("key", {}).get("status") != "enabled":
        found.append(f"the personal key is {info.get('key', {}).get('status')!r}, not enabled")
    if info.get("cert", {}).get("status") != "valid":
        found.append(f"the personal certificate is {info.get('cert', {}).get('status')!r}, not valid")
    if len(holder.personal.chain) < 2:
        found.append("credentials/info gave no chain for the personal certificate")
    if not holder.seals:
        found.append("no seal credential for the accountant's opened firms")
    ctx.expect(not found, "; ".join(found))


# -- sign_hash --------------------------------------------------------------------------------------------------------


def _verifies(credential: holders.CscCredential, signature: bytes, digest: bytes) -> bool:
    key = credential.certificate.public_key()
    prehashed = utils.Prehashed(hashes.SHA256())
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(prehashed))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        else:
            return False
    except InvalidSignature:
        return False
    return True


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
            _verifies(holder.personal, base64.b64decode(signature), base64.b64decode(digest)),
            "a signature does not verify with the credential's certificate",
        )


# -- sad --------------------------------------------------------------------------------------------------------------


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


# -- hash -------------------------------------------------------------------------------------------------------------


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


# -- seal -------------------------------------------------------------------------------------------------------------


@check(
    "signing.seal.delegation_required",
    title="A collaborator without the seal delegation can neither see nor use the firm's seal",
    cites=(
        "Guide : délégations (signer, cacheter, préparer) accordées par l'expert-comptable",
        "jesign docs, Remote signing: a firm's seal for its accountants and its seal-delegation holders",
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def seal_delegation_required(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    collaborator = ctx.target.account("collaborator")
    firm = collaborator.firms[0] if collaborator.firms else (holder.firms[0] if holder.firms else "")
    seal = holders.seal_of(holder, firm)
    tokens = ctx.login("collaborator")
    listed = ctx.expect_status(holders.csc(ctx, tokens, "/credentials/list", {}), 200, what="credentials/list")
    ctx.expect(seal.id not in listed.get("credentialIDs", []), f"the collaborator is offered {seal.id}")
    answer = holders.csc(ctx, tokens, "/credentials/authorize", {"credentialID": seal.id, "numSignatures": 1})
    ctx.expect_refusal(
        answer, (403, 404), ("seal_delegation_required", "credential_not_found"), "sealing without the delegation"
    )


# -- pades ------------------------------------------------------------------------------------------------------------


class _HarnessOtp:
    """The SDK's OTP source, answered by the run's harness."""

    def __init__(self, ctx: CheckContext, phone_number: str) -> None:
        self.ctx = ctx
        self.phone_number = phone_number

    def get_code(self, request: Any) -> str:
        return self.ctx.harness.otp(self.phone_number)


def _sdk_client(ctx: CheckContext, holder: holders.Holder) -> Any:
    from jesign_sdk import Client, Endpoints, Tokens

    parties = ctx.target.parties
    endpoints = Endpoints(
        sso=parties["sso"],
        platform=parties["platform"],
        trust=parties["trust"],
        pki=parties["pki"],
        csc=parties.get("csc"),
    )
    tokens = Tokens(access_token=holder.tokens.access_token, expires_at=datetime.now(UTC) + timedelta(minutes=50))
    return Client(endpoints=endpoints, client_id=ctx.target.oidc.client_id, tokens=tokens, max_retries=0)


def _pades(ctx: CheckContext, level: str) -> None:
    holder = ctx.use(holders.accountant)
    client = _sdk_client(ctx, holder)
    signed = client.signing.sign_pdf(
        steps.minimal_pdf(), level=level, otp_source=_HarnessOtp(ctx, holder.phone_number), reason="conformance"
    )
    # B-LT and B-LTA must carry their validation data: judge them offline, from the document's DSS alone.
    reports = client.signing.validate_pdf(signed, allow_fetching=level in ("B-B", "B-T"))
    ctx.expect(len(reports) == 1, f"{len(reports)} signatures in the signed document")
    report = reports[0]
    ctx.note(str(report))
    ctx.expect(report.intact and report.valid, f"the {level} signature is not intact and valid: {report.summary}")
    ctx.expect(report.trusted, f"the {level} signature does not lead to the provider's root: {report.summary}")
    reached = report.pades_level
    ctx.expect(
        reached is not None and LEVEL_RANK[reached] >= LEVEL_RANK[level],
        f"the signature reaches {reached or 'no PAdES level'}, not {level}",
    )


_PADES = "ETSI EN 319 142-1 V1.1.1, PAdES baseline signatures"


@check(
    "signing.pades.b_b",
    title="A PDF signed at PAdES B-B through the SDK validates with pyHanko",
    cites=(_PADES + ", level B-B", "jesign docs, Signing and sealing: PAdES B-B, B-T, B-LT or B-LTA"),
    needs=("otp", "review"),
)
def pades_b_b(ctx: CheckContext) -> None:
    _pades(ctx, "B-B")


@check(
    "signing.pades.b_t",
    title="A PDF signed at PAdES B-T carries a signature time-stamp and validates with pyHanko",
    cites=(_PADES + ", level B-T (signature time-stamp)", "RFC 3161"),
    needs=("otp", "review"),
)
def pades_b_t(ctx: CheckContext) -> None:
    _pades(ctx, "B-T")


@check(
    "signing.pades.b_lt",
    title="A PDF signed at PAdES B-LT carries its validation data (DSS) and validates offline",
    cites=(_PADES + ", level B-LT (DSS: certificates, OCSP answers, CRLs)",),
    needs=("otp", "review"),
)
def pades_b_lt(ctx: CheckContext) -> None:
    _pades(ctx, "B-LT")


@check(
    "signing.pades.b_lta",
    title="A PDF signed at PAdES B-LTA adds a document time-stamp and validates offline",
    cites=(_PADES + ", level B-LTA (document time-stamp)",),
    needs=("otp", "review"),
)
def pades_b_lta(ctx: CheckContext) -> None:
    _pades(ctx, "B-LTA")


# -- credential (last: it revokes the holder's certificate) -----------------------------------------------------------


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
