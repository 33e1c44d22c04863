"""``pki.profile``: the certificates at each level and the firm's seal, value by value."""

from __future__ import annotations

from conformance import pkix
from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.pki.common import (
    EN_319_412_1,
    EN_319_412_2,
    EN_319_412_3,
    EN_319_412_5,
    RFC_5280,
    every_level,
    findings,
    first_firm,
    identity,
    level_certificate,
)
from conformance.registry import check
from conformance.results import Severity


def _level_check(ctx: CheckContext, level: str) -> None:
    judged = level_certificate(ctx, level)
    findings(ctx, pkix.level_findings(judged.certificate, level), f"the {level} certificate")


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
    title="Signing certificates at every level and seal certificates have a critical keyUsage of a setting for "
    "signed content (type A, B or F: nonRepudiation) and no CA bit",
    cites=(
        EN_319_412_2 + " §4.3.2 (key usage: NAT-4.3.2-1 to -3, table 1)",
        "ETSI EN 319 412-3 §4.3.1 (a seal's key usage)",
        RFC_5280 + " §4.2.1.3",
    ),
    needs=("otp", "review"),
)
def key_usage(ctx: CheckContext) -> None:
    """Judged on the certificate of each level (``lcp``, ``qcp``, ``qcpnqscd``) and on every seal of the holder: a
    profile is written per level, and so is its mistake. The whole value is compared with table 1: besides
    nonRepudiation, digitalSignature may be set (type B), and keyEncipherment or keyAgreement only with both (type
    F); dataEncipherment never. A setting other than type A, which NAT-4.3.2-3 recommends, is a WARNING."""
    holder = ctx.use(holders.accountant)
    judged = [(j.level, j.certificate) for j in every_level(ctx)]
    judged += [(f"seal {s.id}", s.certificate) for s in holder.seals]
    found = [f"{label}: {f}" for label, cert in judged for f in pkix.key_usage_findings(cert)]
    findings(ctx, found, "keyUsage")
    others = [
        f"{label}: type {pkix.key_usage_type(cert)}" for label, cert in judged if pkix.key_usage_type(cert) != "A"
    ]
    if others:
        ctx.warn(f"keyUsage other than type A, which EN 319 412-2 NAT-4.3.2-3 recommends: {'; '.join(others)}")


@check(
    "pki.profile.natural_person_subject",
    title="A natural person's subject names the person (givenName, surname as the platform knows them) and their "
    "identity document (serialNumber semantics), at every level",
    cites=(
        EN_319_412_2 + " §4.2.4 (subject of a natural person)",
        EN_319_412_1 + " §5.1.3 (IDCFR-, PASFR-)",
        "RFC 5280 Appendix A (X520 countryName)",
    ),
    needs=("otp", "review"),
)
def natural_person_subject(ctx: CheckContext) -> None:
    """Each level's certificate is compared with its holder's names as the platform's ``GET /me`` gives them
    (accents and case aside): givenName holds the given name and surname the family name, not the reverse."""
    found = []
    for judged in every_level(ctx):
        person = identity(ctx, judged.role)
        found += [
            f"{judged.level}: {f}"
            for f in pkix.natural_person_subject_findings(
                judged.certificate,
                given_name=str(person.get("given_name") or ""),
                family_name=str(person.get("family_name") or ""),
            )
        ]
    findings(ctx, found, "the subject")


@check(
    "pki.profile.seal",
    title="A firm's seal certificate names that firm by organizationIdentifier NTRFR-<its SIREN> and is a qualified "
    "eseal",
    cites=(EN_319_412_3, EN_319_412_1 + " §5.1.4", EN_319_412_5 + " §4.2.3 (QcType eseal)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def seal_profile(ctx: CheckContext) -> None:
    """The SIREN expected is the firm's, as the platform's ``GET /me`` lists the holder's firms."""
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, first_firm(holder))
    firms = {f.get("id"): f for f in identity(ctx, "accountant").get("firms") or []}
    firm = seal.id.removeprefix("seal_")
    siren = str(firms.get(firm, {}).get("siren") or "")
    if not siren:
        ctx.note(f"the platform gives no SIREN for {firm}: the organizationIdentifier's value is not compared")
    findings(ctx, pkix.seal_findings(seal.certificate, siren=siren), f"the seal certificate of {seal.id}")


@check(
    "pki.profile.qc_statement_values",
    title="The QC statements hold the right values: the semantics identifier of a natural or a legal person, PDS "
    "locations in https with their language",
    cites=(
        "RFC 3739 §3.2.6.1 (semantics information)",
        EN_319_412_1 + " §5.1.3 and §5.1.4 (id-etsi-qcs-semanticsId-Natural, -Legal)",
        EN_319_412_5 + " §4.3.4 (QcPDS)",
    ),
    needs=("otp", "review"),
)
def qc_statement_values(ctx: CheckContext) -> None:
    """Judged on each level's certificate (natural person) and on every seal (legal person)."""
    holder = ctx.use(holders.accountant)
    found = [
        f"{j.level}: {f}"
        for j in every_level(ctx)
        for f in pkix.qc_statement_value_findings(j.certificate, legal=False)
    ]
    found += [
        f"seal {s.id}: {f}" for s in holder.seals for f in pkix.qc_statement_value_findings(s.certificate, legal=True)
    ]
    findings(ctx, found, "the QC statements")
