"""``pki.crl``: the CRLs the distribution points serve, value by value."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509

from conformance import pkix
from conformance.context import CheckContext
from conformance.pkix.crl import LEEWAY as CRL_LEEWAY
from conformance.plans import holders
from conformance.plans.pki.common import (
    RFC_5280,
    both_credentials,
    crl,
    findings,
    issuer_of,
    now,
    required_crl,
    revoked,
    revoked_of_each_ca,
)
from conformance.registry import check
from conformance.results import Severity


@check(
    "pki.crl.reachable",
    title="The CRL distribution point answers the CA's CRL, signed by the CA",
    cites=(RFC_5280 + " §4.2.1.13 (cRLDistributionPoints)", RFC_5280 + " §5.1.1"),
    needs=("otp", "review"),
)
def crl_reachable(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    found = []
    for credential in both_credentials(holder):
        url, published, status = crl(ctx, credential.certificate)
        if published is None:
            found.append(f"{url} answered {status} without a DER CRL")
            continue
        found += [f"{url}: {f}" for f in pkix.crl_signature_findings(published, credential.chain[1])]
    findings(ctx, found, "the CRL")


@check(
    "pki.crl.fresh",
    title="The published CRL is current (thisUpdate passed, nextUpdate after it and not passed) with a CRL number",
    cites=(RFC_5280 + " §5.1.2.4 and §5.1.2.5", RFC_5280 + " §5.2.3 (cRLNumber)"),
    needs=("otp", "review"),
)
def crl_fresh(ctx: CheckContext) -> None:
    """The CRL of the personal certificate's CA, now; then, when the harness can move the provider's clock, moved
    past that CRL's nextUpdate (and the five minutes' leeway): the CRL served then must be current on the target's
    clock, for "the next CRL will not be issued any later than" nextUpdate (§5.1.2.5). That CRL is not kept for
    ``pki.crl.number``: it is dated ahead of the CRLs the CA issues once the clock is back."""
    holder = ctx.use(holders.accountant)
    url, published = required_crl(ctx, holder.personal.certificate)
    findings(ctx, pkix.crl_freshness_findings(published, at=now()), url)
    if "clock" not in ctx.harness.capabilities or published.next_update_utc is None:
        return
    ahead = published.next_update_utc - ctx.target_now() + CRL_LEEWAY + timedelta(minutes=1)
    ctx.harness.advance_clock(ahead.total_seconds())
    answer = ctx.http.get("pki", url)
    later = pkix.load_crl(answer.content) if answer.status_code == 200 else None
    if later is None:
        ctx.fail(f"{url} answered {answer.status_code} without a DER CRL once the clock was past its nextUpdate")
    assert later is not None
    at = ctx.target_now()
    findings(ctx, pkix.crl_freshness_findings(later, at=at), f"{url} with the clock at {at.isoformat()}")


@check(
    "pki.crl.authority_key_identifier",
    title="A CRL's authority key identifier is the subject key identifier of the CA that signed it",
    cites=(RFC_5280 + " §5.2.1 (authorityKeyIdentifier)", RFC_5280 + " §4.2.1.2"),
    needs=("otp", "review"),
)
def crl_authority_key_identifier(ctx: CheckContext) -> None:
    """The CRLs of the personal certificate's CA and of the seal's CA, each against its CA certificate."""
    holder = ctx.use(holders.accountant)
    found = []
    for credential in both_credentials(holder):
        url, published = required_crl(ctx, credential.certificate)
        found += [f"{url}: {f}" for f in pkix.crl_authority_key_findings(published, credential.chain[1])]
    findings(ctx, found, "the CRL's authority key identifier")


@check(
    "pki.crl.revoked_listed",
    title="A revoked certificate appears on its CA's CRL with the date it was revoked and its reason, for each CA",
    cites=(
        RFC_5280 + " §5.1.2.6 (revokedCertificates: revocationDate)",
        RFC_5280 + " §5.3.1 (reasonCode)",
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review", "revoke"),
)
def crl_lists_revoked(ctx: CheckContext) -> None:
    """The harness revokes the LCP certificate for keyCompromise, and a seal (the accountant's second firm's) for
    cessationOfOperation: one certificate of each CA. Each entry, on its own CA's CRL, must carry that reasonCode
    and a revocationDate between the target's clock just before and just after the revocation (five minutes'
    leeway): a date moved back (to the issuance, say) would void signatures made in good faith."""
    found = []
    for target in revoked_of_each_ca(ctx):
        cert = target.certificate
        url, published = required_crl(ctx, cert)
        found += [
            f"{url}: {f}"
            for f in pkix.crl_entry_findings(
                published, cert.serial_number, reason=target.reason, revoked_between=target.between
            )
            + pkix.crl_signature_findings(published, issuer_of(ctx, cert))
        ]
    findings(ctx, found, "the revoked certificates' CRLs")


@check(
    "pki.crl.own_certificates_only",
    title="A CA's CRL lists its own revoked certificates only: not those another CA of the hierarchy revoked",
    cites=(
        RFC_5280 + " §5 (a complete CRL lists the certificates its issuer issued; no indirect CRL here)",
        RFC_5280 + " §5.1.2.6 (revokedCertificates) and §4.1.2.2 (a serial number is unique for its issuer only)",
    ),
    severity=Severity.MAJOR,
    needs=("otp", "review", "revoke"),
)
def crl_own_certificates_only(ctx: CheckContext) -> None:
    """With the LCP certificate (signature CA) and the second firm's seal (seal CA) both revoked, each CA's CRL
    lists its own and not the other's serial: a CRL that is not marked indirect speaks for its issuer only, and a
    serial another CA issued may well be a certificate of its own that is valid."""
    mine = revoked_of_each_ca(ctx)
    if len(mine) < 2:
        ctx.skip("no certificate of the seal CA revoked: nothing to find on the wrong CRL")
    found = []
    for target, other in ((mine[0], mine[1]), (mine[1], mine[0])):
        url, published = required_crl(ctx, target.certificate)
        if published.get_revoked_certificate_by_serial_number(target.certificate.serial_number) is None:
            found.append(f"{url} does not list its own revoked {target.certificate.serial_number:x}")
        if published.get_revoked_certificate_by_serial_number(other.certificate.serial_number) is not None:
            found.append(
                f"{url} lists {other.certificate.serial_number:x}, which "
                f"{other.certificate.issuer.rfc4514_string()} issued"
            )
    findings(ctx, found, "the CRLs of the two CAs")


@check(
    "pki.crl.number",
    title="The CRL numbers of a CA only grow: a new CRL never reuses nor lowers the number of an earlier one",
    cites=(RFC_5280 + " §5.2.3 (cRLNumber: monotonically increasing)", RFC_5280 + " §5.1.2.4 (thisUpdate)"),
    needs=("otp", "review", "revoke"),
)
def crl_number(ctx: CheckContext) -> None:
    """Every CRL of the signature CA fetched during the plan run, in order, before and after the revocation of the
    LCP certificate (which makes the CA publish a new CRL), and once more now."""
    holder = ctx.use(holders.accountant)
    cert = holder.personal.certificate
    required_crl(ctx, cert)
    revoked(ctx)
    url, _ = required_crl(ctx, cert)
    seen: list[x509.CertificateRevocationList] = ctx.plan_state["pki:crls"][url]
    distinct = {c.tbs_certlist_bytes for c in seen}
    ctx.note(
        f"{len(seen)} CRLs fetched from {url}, {len(distinct)} distinct: numbers {[pkix.crl_number(c) for c in seen]}"
    )
    findings(ctx, pkix.crl_sequence_findings(seen), url)
    if len(distinct) < 2:
        ctx.skip(f"{url} published one CRL during the run, even after a revocation: no sequence to judge")


@check(
    "pki.crl.revoked_stays_listed",
    title="A revoked certificate stays on its CA's CRL: the next CRL, issued once the clock is past the current one's "
    "nextUpdate, still lists it with the same date and reason",
    cites=(
        RFC_5280 + " §3.3 and §5.1.2.6 (an entry MUST NOT be removed until it appears on one regularly scheduled "
        "CRL issued beyond the revoked certificate's validity period)",
        RFC_5280 + " §5.1.2.5 (nextUpdate: the next CRL will not be issued any later)",
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review", "revoke", "clock"),
)
def crl_revoked_stays_listed(ctx: CheckContext) -> None:
    """The LCP certificate revoked for keyCompromise; its CA's CRL now, then, with the provider's clock moved past
    that CRL's nextUpdate (and the five minutes' leeway), the CRL served then: current on the target's clock, and
    still listing the certificate (far from the end of its validity) with the same revocationDate and
    keyCompromise. The later CRL is not kept for ``pki.crl.number``: it is dated ahead of the CRLs the CA issues
    once the clock is back."""
    target = revoked(ctx)
    cert = target.certificate
    url, published = required_crl(ctx, cert)
    found = [
        f"now: {f}"
        for f in pkix.crl_entry_findings(
            published, cert.serial_number, reason=x509.ReasonFlags.key_compromise, revoked_between=target.between
        )
    ]
    if published.next_update_utc is None:
        ctx.fail(
            f"{url} has no nextUpdate: no later CRL to ask for (RFC 5280 §5.1.2.5: conforming CAs MUST include it)"
        )
    ahead = published.next_update_utc - ctx.target_now() + CRL_LEEWAY + timedelta(minutes=1)
    ctx.harness.advance_clock(ahead.total_seconds())
    answer = ctx.http.get("pki", url)
    later = pkix.load_crl(answer.content) if answer.status_code == 200 else None
    if later is None:
        ctx.fail(f"{url} answered {answer.status_code} without a DER CRL once the clock was past its nextUpdate")
    assert later is not None
    at = ctx.target_now()
    found += [f"later: {f}" for f in pkix.crl_freshness_findings(later, at=at)]
    found += [
        f"later: {f}"
        for f in pkix.crl_entry_findings(
            later, cert.serial_number, reason=x509.ReasonFlags.key_compromise, revoked_between=target.between
        )
    ]
    before = published.get_revoked_certificate_by_serial_number(cert.serial_number)
    after = later.get_revoked_certificate_by_serial_number(cert.serial_number)
    if before is not None and after is not None and before.revocation_date_utc != after.revocation_date_utc:
        found.append(
            f"the revocationDate moved from {before.revocation_date_utc.isoformat()} to "
            f"{after.revocation_date_utc.isoformat()}"
        )
    findings(ctx, found, f"{url}, now and with the clock at {at.isoformat()}")
