"""Certificate holders for the ``pki``, ``signing`` and ``security`` plans, and the CSC calls they make.

:func:`accountant` is a plan fixture: the target's ``accountant`` account walked once per plan run through the
whole registration at the platform (the registration plan's
:func:`~conformance.plans.registration.fixtures.accountant_active`), with its CSC credentials read. The checks
share it, so that a plan run registers one person, not one per check. :func:`issued_at_level` opens, at the trust
provider, a registration at another level for the ``second_accountant`` and walks it to its certificate (kept for
the plan run too).

The CSC helpers speak CSC API v2 (``hashes``, ``hashAlgorithmOID``) through the recording client.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from conformance.context import CheckContext
from conformance.oidc import Tokens
from conformance.plans.registration import fixtures, steps
from conformance.registry import fixture

SHA256 = "2.16.840.1.101.3.4.2.1"
SHA384 = "2.16.840.1.101.3.4.2.2"
SHA512 = "2.16.840.1.101.3.4.2.3"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"
ECDSA_SHA384 = "1.2.840.10045.4.3.3"
ECDSA_SHA512 = "1.2.840.10045.4.3.4"
RSA_SHA256 = "1.2.840.113549.1.1.11"
RSA_SHA384 = "1.2.840.113549.1.1.12"
RSA_SHA512 = "1.2.840.113549.1.1.13"
#: The hashlib name of each digest algorithm, by OID.
DIGEST_NAMES = {SHA256: "sha256", SHA384: "sha384", SHA512: "sha512"}


@dataclass(frozen=True)
class CscCredential:
    """A credential as ``credentials/info`` describes it: its id, SCAL, certificate and chain (end entity first)."""

    id: str
    info: dict[str, Any]
    chain: tuple[x509.Certificate, ...]

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def scal(self) -> str:
        return str(self.info.get("SCAL", "1"))

    @property
    def elliptic(self) -> bool:
        return isinstance(self.certificate.public_key(), ec.EllipticCurvePublicKey)

    @property
    def sign_algorithm(self) -> str:
        """The signature algorithm (with SHA-256) that fits the credential's key."""
        return ECDSA_SHA256 if self.elliptic else RSA_SHA256

    @classmethod
    def from_info(cls, credential_id: str, info: dict[str, Any]) -> CscCredential:
        encoded = info.get("cert", {}).get("certificates") or []
        chain = tuple(x509.load_der_x509_certificate(base64.b64decode(c)) for c in encoded)
        return cls(credential_id, info, chain)


@dataclass(frozen=True)
class Holder:
    """An active account: its tokens, phone, firms, personal credential and the seal credentials it may use."""

    role: str
    tokens: Tokens
    phone_number: str
    firms: tuple[str, ...]
    personal: CscCredential
    seals: tuple[CscCredential, ...]
    certificate_id: str

    @property
    def auth(self) -> dict[str, str]:
        return self.tokens.bearer


def credentials(ctx: CheckContext, tokens: Tokens) -> list[CscCredential]:
    """Every credential the account may use, with its info and chain (``credentials/list`` with credentialInfo)."""
    listed = ctx.expect_status(
        csc(ctx, tokens, "/credentials/list", {"credentialInfo": True, "certificates": "chain"}),
        200,
        what="listing the CSC credentials",
    )
    infos = {i.get("credentialID"): i for i in listed.get("credentialInfos") or []}
    found = []
    for credential_id in listed.get("credentialIDs", []):
        info = infos.get(credential_id)
        if info is None or not info.get("cert", {}).get("certificates"):
            info = ctx.expect_status(
                csc(ctx, tokens, "/credentials/info", {"credentialID": credential_id, "certificates": "chain"}), 200
            )
        found.append(CscCredential.from_info(credential_id, info))
    return found


@fixture
def accountant(ctx: CheckContext) -> Holder:
    """The ``accountant`` account, registered and active, with its credentials (once per plan run)."""
    tokens = ctx.use(fixtures.accountant_active).tokens
    certificate = ctx.expect_status(ctx.http.get("platform", "/registration/certificate", headers=tokens.bearer), 200)
    found = credentials(ctx, tokens)
    personal = [c for c in found if c.scal == "2"]
    if not personal:
        steps.raise_unexpected("the active accountant has no SCAL2 (personal) credential")
    account = ctx.target.account("accountant")
    return Holder(
        role="accountant",
        tokens=tokens,
        phone_number=account.mobile,
        firms=account.firms,
        personal=personal[0],
        seals=tuple(c for c in found if c.scal != "2"),
        certificate_id=str(certificate["id"]),
    )


def seal_of(holder: Holder, firm: str) -> CscCredential:
    """The holder's seal credential for ``firm`` (the mock names it ``seal_<firm id>``), else the first one."""
    for seal in holder.seals:
        if seal.id == f"seal_{firm}":
            return seal
    if not holder.seals:
        steps.raise_unexpected("the accountant has no seal credential for their firms")
    return holder.seals[0]


def issued_at_level(ctx: CheckContext, level: str) -> dict[str, Any]:
    """A certificate issued at ``level`` to the ``second_accountant`` (its certificate view), once per plan run."""
    key = f"pki:issued:{level}"
    if key not in ctx.plan_state:
        if level not in ctx.target.rules.levels:
            ctx.skip(f"the target does not offer the {level} level (rules.levels)")
        reg = steps.create(ctx, role="second_accountant", level=level)
        steps.walk(ctx, "certificate_issued", reg=reg)
        ctx.plan_state[key] = ctx.expect_status(ctx.http.get("trust", reg.path("/certificate"), headers=reg.auth), 200)
    found: dict[str, Any] = ctx.plan_state[key]
    return found


def certificate_of(view: dict[str, Any]) -> x509.Certificate:
    return x509.load_pem_x509_certificate(str(view["certificate_pem"]).encode())


# -- CSC --------------------------------------------------------------------------------------------------------------


def csc(ctx: CheckContext, tokens: Tokens | None, path: str, body: dict[str, Any]) -> requests.Response:
    return ctx.http.post("csc", path, json=body, headers=tokens.bearer if tokens else {})


def new_hashes(count: int = 1, algorithm: str = SHA256) -> list[str]:
    """``count`` distinct digests (SHA-256 unless ``algorithm`` names another), base64 (what a client sends to be
    signed)."""
    name = DIGEST_NAMES[algorithm]
    return [base64.b64encode(hashlib.new(name, secrets.token_bytes(16)).digest()).decode() for _ in range(count)]


def send_code(ctx: CheckContext, holder: Holder, credential: CscCredential | None = None) -> str:
    """``credentials/sendOTP`` for a SCAL2 credential, then the code as the harness reads it."""
    credential = credential or holder.personal
    ctx.expect_status(
        csc(ctx, holder.tokens, "/credentials/sendOTP", {"credentialID": credential.id}),
        200,
        204,
        what="sending the SMS code (credentials/sendOTP)",
    )
    return ctx.harness.otp(holder.phone_number)


def authorize(
    ctx: CheckContext,
    holder: Holder,
    hashes_b64: list[str],
    *,
    credential: CscCredential | None = None,
    code: str | None = None,
    num_signatures: int | None = None,
    hash_algorithm: str = SHA256,
) -> requests.Response:
    """``credentials/authorize`` for those hashes: SCAL2 with the SMS code (``code``, else a new one is sent).

    ``num_signatures`` defaults to the number of hashes; the hashes are SHA-256 unless ``hash_algorithm`` says."""
    credential = credential or holder.personal
    count = len(hashes_b64) if num_signatures is None else num_signatures
    body: dict[str, Any] = {"credentialID": credential.id, "numSignatures": count}
    if credential.scal == "2":
        otp = code or send_code(ctx, holder, credential)
        body |= {"hashes": hashes_b64, "hashAlgorithmOID": hash_algorithm, "OTP": otp}
    return csc(ctx, holder.tokens, "/credentials/authorize", body)


def sad_for(
    ctx: CheckContext,
    holder: Holder,
    hashes_b64: list[str],
    *,
    credential: CscCredential | None = None,
    num_signatures: int | None = None,
) -> str:
    """A SAD for those hashes (a step on the way: anything but 200 is an ERROR)."""
    answer = ctx.expect_status(
        authorize(ctx, holder, hashes_b64, credential=credential, num_signatures=num_signatures),
        200,
        what="authorizing",
    )
    sad = str(answer["SAD"])
    ctx.http.add_secret(sad)
    return sad


def sign_hash(
    ctx: CheckContext,
    holder: Holder,
    sad: str,
    hashes_b64: list[str],
    *,
    credential: CscCredential | None = None,
    sign_algorithm: str | None = None,
    hash_algorithm: str = SHA256,
    tokens: Tokens | None = None,
) -> requests.Response:
    """``signatures/signHash`` with the holder's token (or ``tokens``), the algorithm that fits the credential's key
    unless ``sign_algorithm`` says otherwise, and SHA-256 hashes unless ``hash_algorithm`` says otherwise."""
    credential = credential or holder.personal
    body = {
        "credentialID": credential.id,
        "SAD": sad,
        "hashes": hashes_b64,
        "hashAlgorithmOID": hash_algorithm,
        "signAlgo": sign_algorithm or credential.sign_algorithm,
    }
    return csc(ctx, tokens or holder.tokens, "/signatures/signHash", body)
