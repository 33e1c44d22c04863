"""The ``pki`` plan: what the provider's PKI issues and publishes.

Modules, in running order:

- ``profile``: the certificates at each level (``lcp``, ``qcp``, ``qcpnqscd``: ETSI EN 319 412-2 with the QC
  statements of EN 319 412-5) and the firm's seal (EN 319 412-3);
- ``chain``: each certificate chains to the published root, and the AIA caIssuers URLs serve the issuers;
- ``crl``: the CRL distribution points answer a CRL signed by the CA, current, that lists revoked certificates;
- ``ocsp``: the OCSP responder named in the AIA says good, revoked and unknown rightly, signs as RFC 6960 wants,
  and echoes nonces;
- ``tsa``: the time-stamping authority's tokens carry the request's imprint and nonce and verify.

The certificates come from the plan's holder (:func:`conformance.plans.holders.accountant`: the personal
certificate at the default level and the firm's seal) and from registrations at the other levels
(:func:`conformance.plans.holders.issued_at_level`). Revocation checks revoke the LCP certificate through the
harness, and are SKIPPED when it cannot.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from asn1crypto import cms
from cryptography import x509

from conformance import pkix
from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

EN_319_412_2 = "ETSI EN 319 412-2 V2.3.1"
EN_319_412_3 = "ETSI EN 319 412-3 V1.3.1 §4.2.1 (legal persons: organizationIdentifier)"
EN_319_412_5 = "ETSI EN 319 412-5 V2.4.1"
RFC_5280 = "RFC 5280"
RFC_6960 = "RFC 6960"


def _now() -> datetime:
    return datetime.now(UTC)


def _findings(ctx: CheckContext, findings: list[str], what: str) -> None:
    ctx.expect(not findings, f"{what}: " + "; ".join(findings))


def _level_check(ctx: CheckContext, level: str) -> None:
    if level == "qcpnqscd":
        holder = ctx.use(holders.accountant)
        cert = holder.personal.certificate
        if pkix.LEVEL_POLICIES[level] not in pkix.policies(cert):
            # The holder registered at the platform's default level; judge a registration at this level instead.
            cert = holders.certificate_of(holders.issued_at_level(ctx, level))
    else:
        cert = holders.certificate_of(holders.issued_at_level(ctx, level))
    _findings(ctx, pkix.level_findings(cert, level), f"the {level} certificate")


# -- profile ----------------------------------------------------------------------------------------------------------


@check(
    "pki.profile.lcp",
    title="An LCP certificate carries the LCP policy and claims no qualified status",
    cites=("ETSI EN 319 411-1 §5.3 (LCP 0.4.0.2042.1.3)", EN_319_412_5 + " §4.2.1 (QcCompliance)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def lcp_profile(ctx: CheckContext) -> None:
    """A registration at level ``lcp`` ends with a certificate whose policy is LCP, without QcCompliance or QcSSCD:
    it must never pass for a qualified certificate."""
    _level_check(ctx, "lcp")


@check(
    "pki.profile.qcp",
    title="A QCP-n certificate is qualified: QCP-n policy, QcCompliance, QcType esign",
    cites=(
        "ETSI EN 319 411-2 §5.3 (QCP-n 0.4.0.194112.1.0)",
        EN_319_412_5 + " §4.2.1 (QcCompliance) and §4.2.3 (QcType esign)",
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def qcp_profile(ctx: CheckContext) -> None:
    """A registration at level ``qcp`` ends with a qualified certificate for electronic signatures, not on a QSCD."""
    _level_check(ctx, "qcp")


@check(
    "pki.profile.qcpnqscd",
    title="A QCP-n-qscd certificate is qualified and declares its key on a QSCD (QcSSCD)",
    cites=("ETSI EN 319 411-2 §5.3 (QCP-n-qscd 0.4.0.194112.1.2)", EN_319_412_5 + " §4.2.2 (QcSSCD)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def qcpnqscd_profile(ctx: CheckContext) -> None:
    """The level the platform registers by default: QCP-n-qscd policy, QcCompliance, QcSSCD, QcType esign."""
    _level_check(ctx, "qcpnqscd")


@check(
    "pki.profile.key_usage",
    title="Signing and seal certificates have a critical keyUsage with nonRepudiation and no CA bit",
    cites=(EN_319_412_2 + " §4.3.2 (key usage)", RFC_5280 + " §4.2.1.3"),
    needs=("otp", "review"),
)
def key_usage(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    found = [f"personal: {f}" for f in pkix.key_usage_findings(holder.personal.certificate)]
    found += [f"seal {s.id}: {f}" for s in holder.seals for f in pkix.key_usage_findings(s.certificate)]
    _findings(ctx, found, "keyUsage")


@check(
    "pki.profile.natural_person_subject",
    title="A natural person's subject names the person and their identity document (serialNumber semantics)",
    cites=(EN_319_412_2 + " §4.2.4 (subject of a natural person)", "ETSI EN 319 412-1 §5.1.3 (IDCFR-, PASFR-)"),
    needs=("otp", "review"),
)
def natural_person_subject(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    _findings(ctx, pkix.natural_person_subject_findings(holder.personal.certificate), "the subject")


@check(
    "pki.profile.seal",
    title="A firm's seal certificate names the firm by organizationIdentifier NTRFR-<SIREN> and is a qualified eseal",
    cites=(EN_319_412_3, "ETSI EN 319 412-1 §5.1.4", EN_319_412_5 + " §4.2.3 (QcType eseal)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def seal_profile(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    _findings(ctx, pkix.seal_findings(seal.certificate), f"the seal certificate of {seal.id}")


# -- chain ------------------------------------------------------------------------------------------------------------


@check(
    "pki.chain.path",
    title="Personal and seal certificates chain to the root: names, signatures, validity, CA bits",
    cites=(RFC_5280 + " §6.1 (basic path validation)", RFC_5280 + " §4.2.1.9 (basicConstraints)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def chain_path(ctx: CheckContext) -> None:
    """The chains come from ``credentials/info`` (certificates: chain); the root is the chain's self-signed end."""
    holder = ctx.use(holders.accountant)
    found = []
    for credential in (holder.personal, *holder.seals):
        chain = credential.chain
        ctx.expect(len(chain) >= 2, f"{credential.id}: credentials/info gave no chain up to the root")
        found += [f"{credential.id}: {f}" for f in pkix.chain_findings(chain, chain[-1], _now())]
    _findings(ctx, found, "the chain")


@check(
    "pki.chain.aia_ca_issuers",
    title="The AIA caIssuers URL of each certificate serves its issuer's certificate",
    cites=(RFC_5280 + " §4.2.2.1 (id-ad-caIssuers)",),
    needs=("otp", "review"),
)
def aia_ca_issuers(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    found = []
    for credential in (holder.personal, holders.seal_of(holder, holder.firms[0] if holder.firms else "")):
        for child, parent in zip(credential.chain, credential.chain[1:], strict=False):
            urls = pkix.ca_issuers_urls(child)
            if not urls:
                found.append(f"{child.subject.rfc4514_string()} has no caIssuers URL")
                continue
            answer = ctx.http.get("pki", urls[0])
            if answer.status_code != 200:
                found.append(f"{urls[0]} answered {answer.status_code}")
                continue
            try:
                served = pkix.load_certificate(answer.content)
            except ValueError:
                found.append(f"{urls[0]} did not serve a certificate")
                continue
            if served != parent:
                found.append(f"{urls[0]} serves another certificate than the issuer")
    _findings(ctx, found, "caIssuers")


# -- CRL --------------------------------------------------------------------------------------------------------------


def _crl(ctx: CheckContext, cert: x509.Certificate) -> tuple[str, x509.CertificateRevocationList | None, int]:
    urls = pkix.crl_urls(cert)
    ctx.expect(urls, f"{cert.subject.rfc4514_string()} has no CRL distribution point")
    answer = ctx.http.get("pki", urls[0])
    crl = pkix.load_crl(answer.content) if answer.status_code == 200 else None
    if crl is not None:
        ctx.note(
            f"CRL {urls[0]}: thisUpdate {crl.last_update_utc.isoformat()}, nextUpdate "
            f"{crl.next_update_utc.isoformat() if crl.next_update_utc else 'none'}, {len(crl)} revoked"
        )
    return urls[0], crl, answer.status_code


@check(
    "pki.crl.reachable",
    title="The CRL distribution point answers the CA's CRL, signed by the CA",
    cites=(RFC_5280 + " §4.2.1.13 (cRLDistributionPoints)", RFC_5280 + " §5.1.1"),
    needs=("otp", "review"),
)
def crl_reachable(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    found = []
    for credential in (holder.personal, holders.seal_of(holder, holder.firms[0] if holder.firms else "")):
        url, crl, status = _crl(ctx, credential.certificate)
        if crl is None:
            found.append(f"{url} answered {status} without a DER CRL")
            continue
        found += [f"{url}: {f}" for f in pkix.crl_signature_findings(crl, credential.chain[1])]
    _findings(ctx, found, "the CRL")


@check(
    "pki.crl.fresh",
    title="The published CRL is current (thisUpdate passed, nextUpdate not) with a CRL number",
    cites=(RFC_5280 + " §5.1.2.4 and §5.1.2.5", RFC_5280 + " §5.2.3 (cRLNumber)"),
    needs=("otp", "review"),
)
def crl_fresh(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    url, crl, status = _crl(ctx, holder.personal.certificate)
    if crl is None:
        steps.raise_unexpected(f"{url} answered {status} without a DER CRL")
        return
    _findings(ctx, pkix.crl_freshness_findings(crl, at=_now()), url)


def _revoked(ctx: CheckContext) -> x509.Certificate:
    """The LCP certificate, revoked through the harness (keyCompromise), once per plan run."""
    view = holders.issued_at_level(ctx, "lcp")
    if "pki:revoked" not in ctx.plan_state:
        ctx.harness.revoke_certificate(str(view["id"]), "key_compromise")
        ctx.plan_state["pki:revoked"] = True
    return holders.certificate_of(view)


@check(
    "pki.crl.revoked_listed",
    title="A revoked certificate appears on its CA's CRL with its revocation date",
    cites=(RFC_5280 + " §5.1.2.6 (revokedCertificates)", RFC_5280 + " §5.3.1 (reasonCode)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review", "revoke"),
)
def crl_lists_revoked(ctx: CheckContext) -> None:
    cert = _revoked(ctx)
    url, crl, status = _crl(ctx, cert)
    if crl is None:
        steps.raise_unexpected(f"{url} answered {status} without a DER CRL")
        return
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    ctx.expect(entry is not None, f"the revoked certificate {cert.serial_number:x} is not on {url}")


# -- OCSP -------------------------------------------------------------------------------------------------------------


def _ocsp(
    ctx: CheckContext, cert: x509.Certificate, issuer: x509.Certificate, *, nonce: bytes | None, serial: int | None
) -> bytes:
    urls = pkix.ocsp_urls(cert)
    ctx.expect(urls, f"{cert.subject.rfc4514_string()} names no OCSP responder in its AIA")
    body = pkix.ocsp_request(cert, issuer, nonce=nonce, serial=serial)
    answer = ctx.http.post("pki", urls[0], data=body, headers={"Content-Type": "application/ocsp-request"})
    ctx.expect(answer.status_code == 200, f"the OCSP responder answered HTTP {answer.status_code}")
    ctx.note(pkix.describe_ocsp(answer.content))
    return answer.content


def _issuer_of(ctx: CheckContext, cert: x509.Certificate) -> x509.Certificate:
    """The issuing CA of a certificate issued at another level, from its caIssuers URL (or the holder's chain)."""
    holder = ctx.use(holders.accountant)
    if cert.issuer == holder.personal.chain[1].subject:
        return holder.personal.chain[1]
    url = pkix.ca_issuers_urls(cert)
    answer = ctx.http.get("pki", url[0]) if url else None
    if answer is None or answer.status_code != 200:
        steps.raise_unexpected("the issuer of the revoked certificate cannot be fetched")
    assert answer is not None
    return pkix.load_certificate(answer.content)


@check(
    "pki.ocsp.good",
    title="OCSP answers good for a valid certificate, signed by the CA or its delegated responder",
    cites=(RFC_6960 + " §2.2 (good)", RFC_6960 + " §4.2.1 and §4.2.2.2 (authorized responders)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def ocsp_good(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    found = []
    for credential in (holder.personal, holders.seal_of(holder, holder.firms[0] if holder.firms else "")):
        cert, issuer = credential.certificate, credential.chain[1]
        der = _ocsp(ctx, cert, issuer, nonce=None, serial=None)
        found += [
            f"{credential.id}: {f}"
            for f in pkix.ocsp_findings(der, cert.serial_number, issuer, expected="good", at=_now())
        ]
    _findings(ctx, found, "the OCSP answer")


@check(
    "pki.ocsp.nonce",
    title="An OCSP answer echoes the request's nonce",
    cites=("RFC 8954 §2.1", RFC_6960 + " §4.4.1"),
    needs=("otp", "review"),
)
def ocsp_nonce(ctx: CheckContext) -> None:
    """A nonce binds the answer to the request (no replay of an old "good")."""
    holder = ctx.use(holders.accountant)
    cert, issuer = holder.personal.certificate, holder.personal.chain[1]
    nonce = pkix.new_nonce()
    der = _ocsp(ctx, cert, issuer, nonce=nonce, serial=None)
    found = pkix.ocsp_findings(der, cert.serial_number, issuer, expected="good", at=_now(), nonce=nonce)
    _findings(ctx, found, "the OCSP answer to a request with a nonce")


@check(
    "pki.ocsp.unknown",
    title="OCSP never answers good for a serial number the CA did not issue",
    cites=(RFC_6960 + " §2.2 (unknown; revoked for non-issued certificates)",),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def ocsp_unknown(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    cert, issuer = holder.personal.certificate, holder.personal.chain[1]
    serial = int.from_bytes(secrets.token_bytes(19), "big") | 1
    der = _ocsp(ctx, cert, issuer, nonce=None, serial=serial)
    _findings(ctx, pkix.ocsp_findings(der, serial, issuer, expected="unknown", at=_now()), "a never-issued serial")


@check(
    "pki.ocsp.revoked",
    title="OCSP answers revoked, with the revocation time, once a certificate is revoked",
    cites=(RFC_6960 + " §2.2 (revoked)", RFC_6960 + " §4.2.1 (RevokedInfo)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review", "revoke"),
)
def ocsp_revoked(ctx: CheckContext) -> None:
    cert = _revoked(ctx)
    issuer = _issuer_of(ctx, cert)
    der = _ocsp(ctx, cert, issuer, nonce=None, serial=None)
    _findings(
        ctx, pkix.ocsp_findings(der, cert.serial_number, issuer, expected="revoked", at=_now()), "after revocation"
    )


# -- TSA --------------------------------------------------------------------------------------------------------------


def _time_stamp(ctx: CheckContext, digest: bytes, nonce: int) -> cms.ContentInfo:
    answer = ctx.http.post(
        "pki",
        "/tsa",
        data=pkix.tsa_request(digest, nonce=nonce),
        headers={"Content-Type": "application/timestamp-query"},
    )
    ctx.expect(answer.status_code == 200, f"the TSA answered HTTP {answer.status_code}")
    token, why = pkix.tsa_token(answer.content)
    if token is None:
        ctx.fail(f"the TSA granted no token: {why}")
    info = pkix.tst_info(token)
    ctx.note(
        f"TSTInfo: serial {info['serial_number'].native}, genTime {info['gen_time'].native.isoformat()}, "
        f"policy {info['policy'].dotted}, nonce {info['nonce'].native}"
    )
    return token


@check(
    "pki.tsa.message_imprint",
    title="A time-stamp token carries the message imprint of the request",
    cites=("RFC 3161 §2.4.2 (messageImprint)",),
    severity=Severity.CRITICAL,
)
def tsa_message_imprint(ctx: CheckContext) -> None:
    digest = hashlib.sha256(secrets.token_bytes(32)).digest()
    token = _time_stamp(ctx, digest, secrets.randbits(63))
    imprint = pkix.tst_info(token)["message_imprint"]
    ctx.expect(imprint["hash_algorithm"]["algorithm"].native == "sha256", "the imprint's algorithm is not SHA-256")
    ctx.expect(imprint["hashed_message"].native == digest, "the token time-stamps another digest than the request's")


@check(
    "pki.tsa.nonce",
    title="A time-stamp token echoes the request's nonce",
    cites=("RFC 3161 §2.4.2 (nonce)",),
)
def tsa_nonce(ctx: CheckContext) -> None:
    nonce = secrets.randbits(63)
    token = _time_stamp(ctx, hashlib.sha256(b"nonce").digest(), nonce)
    echoed = pkix.tst_info(token)["nonce"].native
    ctx.expect(echoed == nonce, f"the token's nonce is {echoed}, the request's {nonce}")


@check(
    "pki.tsa.signature",
    title="A time-stamp token verifies: TSA certificate with the timeStamping EKU only, ESS signing-certificate",
    cites=("RFC 3161 §2.3 and §2.4.2", "RFC 5816 (ESSCertIDv2)"),
    severity=Severity.CRITICAL,
)
def tsa_signature(ctx: CheckContext) -> None:
    token = _time_stamp(ctx, hashlib.sha256(b"signature").digest(), secrets.randbits(63))
    _findings(ctx, pkix.tsa_signature_findings(token), "the time-stamp token")
