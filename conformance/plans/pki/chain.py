"""``pki.chain``: each certificate chains to the published root, names its issuer's key, lives within its issuer's
validity, and points at its issuer."""

from __future__ import annotations

import itertools
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from conformance import pkix
from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.pki.common import (
    RFC_3161,
    RFC_5280,
    RFC_6960,
    both_credentials,
    delegated_responders,
    digest_of,
    every_level,
    findings,
    issuer_of,
    now,
    time_stamp,
)
from conformance.registry import check
from conformance.results import Severity


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
        found += [f"{credential.id}: {f}" for f in pkix.chain_findings(chain, chain[-1], now())]
    findings(ctx, found, "the chain")


@check(
    "pki.chain.key_identifiers",
    title="Each certificate's authority key identifier is its issuer's subject key identifier, at every level and "
    "up to the root",
    cites=(RFC_5280 + " §4.2.1.1 (authorityKeyIdentifier)", RFC_5280 + " §4.2.1.2 (subjectKeyIdentifier)"),
    needs=("otp", "review"),
)
def key_identifiers(ctx: CheckContext) -> None:
    """Every link of the personal and seal chains (root included: its AKI, if any, is its own SKI), and each level's
    certificate with its issuing CA. Path builders pick the issuer by this value: a wrong one breaks validation
    where the names still match."""
    holder = ctx.use(holders.accountant)
    found = []
    for credential in (holder.personal, *holder.seals):
        chain = list(credential.chain)
        if chain[-1].issuer == chain[-1].subject:  # the root: judged against itself
            chain.append(chain[-1])
        for child, parent in itertools.pairwise(chain):
            found += [f"{credential.id}: {f}" for f in pkix.key_identifier_findings(child, parent)]
    for judged in every_level(ctx):
        issuer = issuer_of(ctx, judged.certificate)
        found += [f"{judged.level}: {f}" for f in pkix.key_identifier_findings(judged.certificate, issuer)]
    findings(ctx, found, "the key identifiers")


@check(
    "pki.chain.aia_ca_issuers",
    title="The AIA caIssuers URL of each certificate serves its issuer's certificate",
    cites=(RFC_5280 + " §4.2.2.1 (id-ad-caIssuers)",),
    needs=("otp", "review"),
)
def aia_ca_issuers(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    found = []
    for credential in both_credentials(holder):
        for child, parent in itertools.pairwise(credential.chain):
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
    findings(ctx, found, "caIssuers")


@check(
    "pki.chain.extensions",
    title="Every certificate of the hierarchy marks its extensions critical as RFC 5280 says, and each can do what "
    "it is for: CAs sign certificates and CRLs, responders and the TSA sign their answers, no one else is a CA",
    cites=(
        RFC_5280 + " §4.2.1.9 (basicConstraints: critical in a CA certificate)",
        RFC_5280 + " §4.2.1.3 (keyUsage: keyCertSign, cRLSign, digitalSignature; critical)",
        "ETSI EN 319 411-1 §6.1.7 (key usage purposes: a CA key signs certificates and CRLs)",
        RFC_5280 + " §4.2.2.1 (authorityInformationAccess: non-critical) and §4.2.1.13 (cRLDistributionPoints)",
        RFC_6960 + " §4.2.2.2.1 (id-pkix-ocsp-nocheck: non-critical)",
        RFC_3161 + " §2.3 (the TSA's certificate)",
    ),
    needs=("otp", "review"),
)
def extensions(ctx: CheckContext) -> None:
    """The personal and seal chains (end entity, issuing CA, root), the certificate at each level, the delegated
    OCSP responders the answers carry, and the TSA certificate a token carries: each judged by
    :func:`conformance.pkix.extension_findings` for what it is."""
    holder = ctx.use(holders.accountant)
    judged: dict[bytes, tuple[str, x509.Certificate, str]] = {}

    def judge(label: str, cert: x509.Certificate, kind: str) -> None:
        judged.setdefault(cert.fingerprint(hashes.SHA256()), (label, cert, kind))

    for credential in (holder.personal, *holder.seals):
        judge(credential.id, credential.certificate, "end_entity")
        for parent in credential.chain[1:]:
            judge(parent.subject.rfc4514_string(), parent, "ca")
        if len(credential.chain) >= 2:
            for responder in delegated_responders(ctx, credential.certificate, credential.chain[1]):
                judge(responder.subject.rfc4514_string(), responder, "ocsp_responder")
    for level in every_level(ctx):
        judge(level.level, level.certificate, "end_entity")
    token, _ = time_stamp(ctx, digest_of(b"extensions"), secrets.randbits(63))
    signer = pkix.tsa_signer(token)
    if signer is None:
        ctx.note("the token carries no TSA certificate: not judged here (pki.tsa.signature judges the token)")
    else:
        judge(signer.subject.rfc4514_string(), signer, "tsa")
    found = [f"{label}: {f}" for label, cert, kind in judged.values() for f in pkix.extension_findings(cert, kind)]
    ctx.note(f"{len(judged)} certificates judged")
    findings(ctx, found, "the extensions")


@check(
    "pki.chain.validity_nested",
    title="Each certificate's validity lies within its issuer's: end entities, issuing CAs, OCSP responders and the "
    "TSA, at every level",
    cites=(
        RFC_5280 + " §6.1.3 (a)(2) (every certificate of the path valid at the instant validated)",
        RFC_5280 + " §4.1.2.5 (validity)",
    ),
    needs=("otp", "review"),
)
def validity_nested(ctx: CheckContext) -> None:
    """The personal and seal chains link by link (end entity in its issuing CA, CA in the root), each level's
    certificate in its issuing CA, the delegated OCSP responders in the CA they answer for, and the TSA certificate
    a token carries in the certificate that issued it (from the token, else from its caIssuers URL): neither
    notBefore earlier nor notAfter later than the issuer's. A certificate that outlives its CA cannot be validated
    for the rest of its life, whatever its holder signs then."""
    holder = ctx.use(holders.accountant)
    found = []
    for credential in (holder.personal, *holder.seals):
        for child, parent in itertools.pairwise(credential.chain):
            found += [f"{credential.id}: {f}" for f in pkix.validity_nesting_findings(child, parent)]
        if len(credential.chain) >= 2:
            ca = credential.chain[1]
            for responder in delegated_responders(ctx, credential.certificate, ca):
                found += [f"OCSP responder: {f}" for f in pkix.validity_nesting_findings(responder, ca)]
    for judged in every_level(ctx):
        issuer = issuer_of(ctx, judged.certificate)
        found += [f"{judged.level}: {f}" for f in pkix.validity_nesting_findings(judged.certificate, issuer)]
    token, _ = time_stamp(ctx, digest_of(b"validity nested"), secrets.randbits(63))
    signer = pkix.tsa_signer(token)
    if signer is None:
        ctx.note("the token carries no TSA certificate: its validity is not judged here")
    else:
        found += [f"TSA: {f}" for f in pkix.validity_nesting_findings(signer, issuer_of(ctx, signer))]
    findings(ctx, found, "the validity periods")
