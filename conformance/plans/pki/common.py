"""What the ``pki`` plan's modules share: citations, the certificates judged, and the fetches they make.

The fetches record what they saw in the plan run's state, so that a later check can compare (the CRLs a CA
published, in order; the window in which the LCP certificate was revoked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from conformance import pkix
from conformance.context import CheckContext, CheckSkipped
from conformance.plans import holders
from conformance.plans.registration import steps

EN_319_412_1 = "ETSI EN 319 412-1 V1.4.4"
EN_319_412_2 = "ETSI EN 319 412-2 V2.3.1"
EN_319_412_3 = "ETSI EN 319 412-3 V1.3.1 §4.2.1 (legal persons: organizationIdentifier)"
EN_319_412_5 = "ETSI EN 319 412-5 V2.4.1"
RFC_5280 = "RFC 5280"
RFC_6960 = "RFC 6960"
RFC_3161 = "RFC 3161"


def now() -> datetime:
    return datetime.now(UTC)


def findings(ctx: CheckContext, found: list[str], what: str) -> None:
    ctx.expect(not found, f"{what}: " + "; ".join(found))


def first_firm(holder: holders.Holder) -> str:
    return holder.firms[0] if holder.firms else ""


def both_credentials(holder: holders.Holder) -> tuple[holders.CscCredential, holders.CscCredential]:
    """The holder's personal credential and the seal of its first firm: one certificate of each CA."""
    return holder.personal, holders.seal_of(holder, first_firm(holder))


# -- the certificates judged ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """A natural person's certificate at one level, with whose it is (the role of the account)."""

    level: str
    role: str
    certificate: x509.Certificate


def level_certificate(ctx: CheckContext, level: str) -> Judged:
    """The certificate at ``level``: the holder's own when it is at that level, else a registration at it."""
    if level == "qcpnqscd":
        holder = ctx.use(holders.accountant)
        cert = holder.personal.certificate
        if pkix.LEVEL_POLICIES[level] in pkix.policies(cert):
            return Judged(level, "accountant", cert)
    return Judged(level, "second_accountant", holders.certificate_of(holders.issued_at_level(ctx, level)))


def every_level(ctx: CheckContext) -> list[Judged]:
    """The natural person's certificate at each level the target offers (every level, not a sample)."""
    judged = []
    for level in ("lcp", "qcp", "qcpnqscd"):
        try:
            judged.append(level_certificate(ctx, level))
        except CheckSkipped as why:
            ctx.note(f"level {level} not judged: {why}")
    if not judged:
        ctx.skip("the target offers none of the levels lcp, qcp, qcpnqscd")
    return judged


def identity(ctx: CheckContext, role: str) -> dict[str, Any]:
    """What the platform says of ``role``'s person (``GET /me``: names, firms with their SIREN), once per plan run."""
    key = f"pki:identity:{role}"
    if key not in ctx.plan_state:
        tokens = ctx.use(holders.accountant).tokens if role == "accountant" else ctx.login(role)
        ctx.plan_state[key] = ctx.expect_status(
            ctx.http.get("platform", "/me", headers=tokens.bearer), 200, what=f"reading the {role}'s profile"
        )
    found: dict[str, Any] = ctx.plan_state[key]
    return found


# -- CRLs -------------------------------------------------------------------------------------------------------------


def crl(ctx: CheckContext, cert: x509.Certificate) -> tuple[str, x509.CertificateRevocationList | None, int]:
    """The CRL of ``cert``'s first distribution point; each one fetched is kept, in order, for the CRL numbers."""
    urls = pkix.crl_urls(cert)
    ctx.expect(urls, f"{cert.subject.rfc4514_string()} has no CRL distribution point")
    answer = ctx.http.get("pki", urls[0])
    found = pkix.load_crl(answer.content) if answer.status_code == 200 else None
    if found is not None:
        ctx.note(
            f"CRL {urls[0]}: number {pkix.crl_number(found)}, thisUpdate {found.last_update_utc.isoformat()}, "
            f"nextUpdate {found.next_update_utc.isoformat() if found.next_update_utc else 'none'}, "
            f"{len(found)} revoked"
        )
        ctx.plan_state.setdefault("pki:crls", {}).setdefault(urls[0], []).append(found)
    return urls[0], found, answer.status_code


def required_crl(ctx: CheckContext, cert: x509.Certificate) -> tuple[str, x509.CertificateRevocationList]:
    url, found, status = crl(ctx, cert)
    if found is None:
        steps.raise_unexpected(f"{url} answered {status} without a DER CRL")
    assert found is not None
    return url, found


@dataclass(frozen=True)
class Revoked:
    """A certificate the plan revoked, the reason it gave, and when (the target's clock just before and just
    after); the nonce-less OCSP request asked about it just before, and the answer it had then."""

    certificate: x509.Certificate
    reason: x509.ReasonFlags
    between: tuple[datetime, datetime]
    asked_before: bytes
    answered_before: bytes


def _revoke(
    ctx: CheckContext, key: str, cert: x509.Certificate, reason: x509.ReasonFlags, revoke: Callable[[], None]
) -> Revoked:
    """``revoke()`` once per plan run (kept under ``key``), asking OCSP about ``cert`` without a nonce and fetching
    its CA's CRL just before."""
    if key not in ctx.plan_state:
        asked, answer = ocsp(ctx, cert, issuer_of(ctx, cert))
        crl(ctx, cert)
        before = ctx.target_now()
        revoke()
        ctx.plan_state[key] = ((before, ctx.target_now()), asked, answer.content)
    between, asked, answered = ctx.plan_state[key]
    return Revoked(cert, reason, between, asked, answered)


def revoked(ctx: CheckContext) -> Revoked:
    """The LCP certificate, revoked through the harness (keyCompromise), once per plan run.

    Just before, its OCSP status is asked without a nonce (the answer a responder may pre-sign and keep, RFC 5019)
    and its CA's CRL is fetched, so that the checks can ask the very same things after the revocation: an answer
    kept from before must not be served after it."""
    view = holders.issued_at_level(ctx, "lcp")
    reason = x509.ReasonFlags.key_compromise
    return _revoke(
        ctx,
        "pki:revoked",
        holders.certificate_of(view),
        reason,
        lambda: ctx.harness.revoke_certificate(str(view["id"]), reason.name),
    )


def revoked_seal(ctx: CheckContext) -> Revoked:
    """The seal of the accountant's second firm, revoked through the harness (cessationOfOperation: the firm
    closes), once per plan run, as :func:`revoked` does: a certificate of the seal CA. The first firm's seal, which
    the other checks judge, stays valid; an accountant of one firm only is SKIPPED."""
    holder = ctx.use(holders.accountant)
    if len(holder.firms) < 2:
        ctx.skip("the accountant has one firm: no seal to revoke besides the one the other checks judge")
    seal = holders.seal_of(holder, holder.firms[1])
    if seal.certificate == holders.seal_of(holder, holder.firms[0]).certificate:
        steps.raise_unexpected("the accountant's two firms have one and the same seal")
    reason = x509.ReasonFlags.cessation_of_operation
    return _revoke(
        ctx,
        "pki:revoked:seal",
        seal.certificate,
        reason,
        lambda: ctx.harness.revoke_issued(seal.certificate, reason.name),
    )


def revoked_of_each_ca(ctx: CheckContext) -> list[Revoked]:
    """The certificates revoked of each issuing CA: the LCP certificate (:func:`revoked`) and, where the accountant
    has a second firm, its seal (:func:`revoked_seal`; else noted)."""
    found = [revoked(ctx)]
    try:
        found.append(revoked_seal(ctx))
    except CheckSkipped as why:
        ctx.note(f"no seal certificate revoked: {why}")
    return found


def issuer_of(ctx: CheckContext, cert: x509.Certificate) -> x509.Certificate:
    """The issuing CA of a certificate, from the holder's chains or from its caIssuers URL."""
    holder = ctx.use(holders.accountant)
    for credential in (holder.personal, *holder.seals):
        for parent in credential.chain[1:]:
            if cert.issuer == parent.subject:
                return parent
    url = pkix.ca_issuers_urls(cert)
    answer = ctx.http.get("pki", url[0]) if url else None
    if answer is None or answer.status_code != 200:
        steps.raise_unexpected(f"the issuer of {cert.subject.rfc4514_string()} cannot be fetched")
    assert answer is not None
    return pkix.load_certificate(answer.content)


# -- OCSP -------------------------------------------------------------------------------------------------------------


def ocsp(
    ctx: CheckContext,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    nonce: bytes | None = None,
    serial: int | None = None,
    algorithm: hashes.HashAlgorithm | None = None,
) -> tuple[bytes, requests.Response]:
    """POST an OCSP request about ``cert`` to the responder its AIA names: (the request's DER, the answer)."""
    body = pkix.ocsp_request(cert, issuer, nonce=nonce, serial=serial, algorithm=algorithm)
    return body, post_ocsp(ctx, cert, body)


def post_ocsp(ctx: CheckContext, cert: x509.Certificate, body: bytes) -> requests.Response:
    """POST the DER OCSP request ``body`` to the responder ``cert``'s AIA names."""
    urls = pkix.ocsp_urls(cert)
    ctx.expect(urls, f"{cert.subject.rfc4514_string()} names no OCSP responder in its AIA")
    answer = ctx.http.post("pki", urls[0], data=body, headers={"Content-Type": "application/ocsp-request"})
    ctx.expect(answer.status_code == 200, f"the OCSP responder answered HTTP {answer.status_code}")
    ctx.note(pkix.describe_ocsp(answer.content))
    return answer


def delegated_responders(ctx: CheckContext, cert: x509.Certificate, issuer: x509.Certificate) -> list[x509.Certificate]:
    """The delegated responder certificates an answer about ``cert`` carries (none when the CA signs itself)."""
    _, answer = ocsp(ctx, cert, issuer, nonce=pkix.new_nonce())
    response, _ = pkix.load_ocsp(answer.content)
    return [c for c in response.certificates if c != issuer] if response is not None else []


# -- TSA --------------------------------------------------------------------------------------------------------------


def post_tsa(ctx: CheckContext, digest: bytes, nonce: int | None, *, policy: str | None = None) -> requests.Response:
    return ctx.http.post(
        "pki",
        "/tsa",
        data=pkix.tsa_request(digest, nonce=nonce, policy=policy),
        headers={"Content-Type": "application/timestamp-query"},
    )


def time_stamp(
    ctx: CheckContext, digest: bytes, nonce: int | None, *, policy: str | None = None
) -> tuple[cms.ContentInfo, requests.Response]:
    """A token for ``digest`` from the PKI's TSA (FAILED when it grants none)."""
    answer = post_tsa(ctx, digest, nonce, policy=policy)
    ctx.expect(answer.status_code == 200, f"the TSA answered HTTP {answer.status_code}")
    token, why = pkix.tsa_token(answer.content)
    if token is None:
        ctx.fail(f"the TSA granted no token: {why}")
    info = pkix.tst_info(token)
    ctx.note(
        f"TSTInfo: serial {info['serial_number'].native}, genTime {info['gen_time'].native.isoformat()}, "
        f"accuracy {info['accuracy'].native}, policy {info['policy'].dotted}, nonce {info['nonce'].native}"
    )
    return token, answer


def digest_of(label: bytes) -> bytes:
    return hashlib.sha256(label).digest()
