"""``pki.ocsp``: the OCSP responder named in the certificates' AIA, value by value."""

from __future__ import annotations

import secrets
from datetime import timedelta

from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x509_ocsp

from conformance import pkix
from conformance.context import CheckContext, CheckSkipped
from conformance.pkix.ocsp import LEEWAY as OCSP_LEEWAY
from conformance.plans import holders
from conformance.plans.pki.common import (
    RFC_5280,
    RFC_6960,
    both_credentials,
    crl,
    delegated_responders,
    findings,
    first_firm,
    issuer_of,
    now,
    ocsp,
    post_ocsp,
    required_crl,
    revoked,
    revoked_of_each_ca,
)
from conformance.registry import check
from conformance.results import Severity

RFC_5019 = "RFC 5019"


def _subjects(ctx: CheckContext) -> list[tuple[str, x509.Certificate, x509.Certificate]]:
    """(label, certificate, issuer) for each kind of signer: the signature CA's responder (personal certificate),
    the seal CA's (seal) and the root's own key (the signature CA's certificate)."""
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, first_firm(holder))
    found = [
        ("personal", holder.personal.certificate, holder.personal.chain[1]),
        ("seal", seal.certificate, seal.chain[1]),
    ]
    if len(holder.personal.chain) >= 3 and pkix.ocsp_urls(holder.personal.chain[1]):
        found.append(("signature CA", holder.personal.chain[1], holder.personal.chain[2]))
    return found


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
    for credential in both_credentials(holder):
        cert, issuer = credential.certificate, credential.chain[1]
        _, answer = ocsp(ctx, cert, issuer)
        found += [
            f"{credential.id}: {f}"
            for f in pkix.ocsp_findings(answer.content, cert.serial_number, issuer, expected="good", at=now())
        ]
    findings(ctx, found, "the OCSP answer")


RFC_9654 = "RFC 9654 §2.1 (which obsoletes RFC 8954)"


@check(
    "pki.ocsp.nonce",
    title="An OCSP answer echoes the request's nonce, of 16 octets and of 32 (the lengths a responder must accept)",
    cites=(RFC_9654 + ": a responder MUST accept nonces of 16 to 32 octets", RFC_6960 + " §4.4.1"),
    needs=("otp", "review"),
)
def ocsp_nonce(ctx: CheckContext) -> None:
    """A nonce binds the answer to the request (no replay of an old "good"). RFC 9654 makes responders accept
    nonces of 16 up to and including 32 octets: both ends are tried."""
    holder = ctx.use(holders.accountant)
    cert, issuer = holder.personal.certificate, holder.personal.chain[1]
    found = []
    for size in (16, 32):
        nonce = secrets.token_bytes(size)
        _, answer = ocsp(ctx, cert, issuer, nonce=nonce)
        found += [
            f"a {size}-octet nonce: {f}"
            for f in pkix.ocsp_findings(
                answer.content, cert.serial_number, issuer, expected="good", at=now(), nonce=nonce
            )
        ]
    findings(ctx, found, "the OCSP answer to a request with a nonce")


@check(
    "pki.ocsp.nonce_length",
    title="A nonce of 1 to 128 octets is answered (echoed, or outside 16 to 32 left out), one of 0 octets or of "
    "more than 128 is rejected with malformedRequest",
    cites=(
        RFC_9654 + ": Nonce ::= OCTET STRING(SIZE(1..128)); a responder MAY leave out the nonce of 1 to 15 or 33 to "
        "128 octets; it MUST reject one of 0 octets or more than 128 with malformedRequest",
        RFC_6960 + " §4.2.1 (malformedRequest)",
    ),
    needs=("otp", "review"),
)
def ocsp_nonce_length(ctx: CheckContext) -> None:
    """Both ends of the lengths RFC 9654 allows, and both ends of the 16 to 32 a responder must echo, are tried
    about the personal certificate: nonces of 1, 15, 33 and 128 octets must be answered (a successful answer,
    good, that carries that very nonce or, as the responder may choose for these lengths, none; never another),
    nonces of 0 and of 129 octets rejected: an OCSPResponse whose responseStatus is malformedRequest (whatever the
    HTTP status). A responder that keeps RFC 8954's 32-octet limit rejects the 33 and 128 octets that RFC 9654,
    which obsoletes it, allows."""
    holder = ctx.use(holders.accountant)
    cert, issuer = holder.personal.certificate, holder.personal.chain[1]
    urls = pkix.ocsp_urls(cert)
    ctx.expect(urls, f"{cert.subject.rfc4514_string()} names no OCSP responder in its AIA")
    found = []
    for size in (0, 1, 15, 33, 128, 129):
        nonce = secrets.token_bytes(size)
        body = pkix.ocsp_request(cert, issuer, nonce=nonce)
        answer = ctx.http.post("pki", urls[0], data=body, headers={"Content-Type": "application/ocsp-request"})
        try:
            response = x509_ocsp.load_der_ocsp_response(answer.content)
        except ValueError:
            found.append(f"a {size}-octet nonce: HTTP {answer.status_code} without a DER OCSPResponse")
            continue
        status = response.response_status
        if size in (0, 129):
            if status != x509_ocsp.OCSPResponseStatus.MALFORMED_REQUEST:
                found.append(f"a {size}-octet nonce is answered {status.name}, not rejected as malformedRequest")
            continue
        ctx.note(f"a {size}-octet nonce: {pkix.describe_ocsp(answer.content)}")
        if status != x509_ocsp.OCSPResponseStatus.SUCCESSFUL:
            found.append(f"a {size}-octet nonce, which RFC 9654 allows, is answered {status.name}")
            continue
        echoed = [e.value.nonce for e in response.extensions if isinstance(e.value, x509.OCSPNonce)]
        if echoed not in ([], [nonce]):
            found.append(f"a {size}-octet nonce: the answer carries another nonce")
        found += [
            f"a {size}-octet nonce: {f}"
            for f in pkix.ocsp_findings(answer.content, cert.serial_number, issuer, expected="good", at=now())
        ]
    findings(ctx, found, "the OCSP answers to nonces of each length")


@check(
    "pki.ocsp.malformed",
    title="An OCSP request that cannot be read (not DER, cut short, naming no certificate) is answered "
    "malformedRequest, never with a server error",
    cites=(RFC_6960 + " §2.3 and §4.2.1 (malformedRequest: the request received does not conform to the syntax)",),
    needs=("otp", "review"),
)
def ocsp_malformed(ctx: CheckContext) -> None:
    """POSTed to the responder the personal certificate names: bytes that are no DER, the DER of a request about
    that certificate cut short by five octets, and a well-formed OCSPRequest whose requestList is empty. Each
    answer must be a DER OCSPResponse whose responseStatus is malformedRequest (whatever the HTTP status below 500)."""
    holder = ctx.use(holders.accountant)
    cert, issuer = holder.personal.certificate, holder.personal.chain[1]
    urls = pkix.ocsp_urls(cert)
    ctx.expect(urls, f"{cert.subject.rfc4514_string()} names no OCSP responder in its AIA")
    whole = pkix.ocsp_request(cert, issuer)
    empty = asn1_ocsp.OCSPRequest({"tbs_request": {"request_list": []}}).dump()
    found = []
    for what, body in (
        ("bytes that are no DER", b"conformance: not an OCSP request"),
        ("a request cut short", whole[:-5]),
        ("a request naming no certificate", empty),
    ):
        answer = ctx.http.post("pki", urls[0], data=body, headers={"Content-Type": "application/ocsp-request"})
        if answer.status_code >= 500:
            found.append(f"{what}: HTTP {answer.status_code}")
            continue
        try:
            status = x509_ocsp.load_der_ocsp_response(answer.content).response_status
        except ValueError:
            found.append(f"{what}: HTTP {answer.status_code} without a DER OCSPResponse")
            continue
        if status != x509_ocsp.OCSPResponseStatus.MALFORMED_REQUEST:
            found.append(f"{what}: answered {status.name}, not malformedRequest")
    findings(ctx, found, "OCSP requests that cannot be read")


@check(
    "pki.ocsp.cert_id",
    title="An OCSP answer's CertID is the request's: hash algorithm, issuerNameHash, issuerKeyHash and serial",
    cites=(RFC_6960 + " §4.1.1 (CertID)", RFC_6960 + " §4.2.1 (SingleResponse certID)", RFC_5019 + " §2.1.1"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def ocsp_cert_id(ctx: CheckContext) -> None:
    """Asked with a SHA-1 CertID (which RFC 5019 makes every responder accept) for each kind of signer, and with a
    SHA-256 one for the personal certificate: a responder that does not answer SHA-256 CertIDs is noted, one that
    answers must answer that CertID."""
    found = []
    for label, cert, issuer in _subjects(ctx):
        request, answer = ocsp(ctx, cert, issuer)
        found += [f"{label}: {f}" for f in pkix.ocsp_cert_id_findings(answer.content, request)]
    holder = ctx.use(holders.accountant)
    request, answer = ocsp(ctx, holder.personal.certificate, holder.personal.chain[1], algorithm=hashes.SHA256())
    response, why = pkix.load_ocsp(answer.content)
    if response is None:
        ctx.note(f"a SHA-256 CertID is not answered ({why}): RFC 6960 does not require it")
    else:
        found += [f"personal, SHA-256: {f}" for f in pkix.ocsp_cert_id_findings(answer.content, request)]
    findings(ctx, found, "the CertID answered")


@check(
    "pki.ocsp.responder_id",
    title="An OCSP answer's ResponderID names the certificate whose key signed it",
    cites=(RFC_6960 + " §4.2.2.3 (ResponderID: byKey is the SHA-1 of the signer's public key)",),
    needs=("otp", "review"),
)
def ocsp_responder_id(ctx: CheckContext) -> None:
    """For each kind of signer (the two delegated responders, the root): the signer is found by its signature,
    then the ResponderID must name it (byKey: the SHA-1 of its public key BIT STRING; byName: its subject)."""
    found = []
    for label, cert, issuer in _subjects(ctx):
        _, answer = ocsp(ctx, cert, issuer, nonce=pkix.new_nonce())
        found += [f"{label}: {f}" for f in pkix.ocsp_responder_id_findings(answer.content, issuer)]
    findings(ctx, found, "the ResponderID")


@check(
    "pki.ocsp.times",
    title="An OCSP answer's producedAt, thisUpdate and nextUpdate lie within sane bounds of the target's clock",
    cites=(
        RFC_6960 + " §4.2.2.1 (time)",
        RFC_5019 + " §2.2.4 (thisUpdate, nextUpdate, producedAt)",
        "CA/Browser Forum Baseline Requirements §4.9.10 (OCSP updated at least every four days, valid ten at most)",
    ),
    needs=("otp", "review"),
)
def ocsp_times(ctx: CheckContext) -> None:
    """Pre-produced answers (no nonce) and answers signed on the spot (nonce), for each kind of signer: not dated
    after the target's clock, not older than ``rules.ocsp_max_age_seconds``, thisUpdate not after producedAt,
    nextUpdate present, after thisUpdate, not passed and at most ``rules.ocsp_max_validity_seconds`` after it.
    Then, when the harness can move the provider's clock, moved past the latest nextUpdate seen (and the five
    minutes' leeway), the very same nonce-less requests again: a responder must not serve a pre-produced answer
    whose nextUpdate has passed (RFC 5019 §2.2.4)."""
    rules = ctx.target.rules
    max_age = timedelta(seconds=rules.ocsp_max_age_seconds)
    max_validity = timedelta(seconds=rules.ocsp_max_validity_seconds)
    found = []
    asked: list[tuple[str, x509.Certificate, bytes]] = []
    latest = None
    for label, cert, issuer in _subjects(ctx):
        for nonce in (None, pkix.new_nonce()):
            request, answer = ocsp(ctx, cert, issuer, nonce=nonce)
            at = ctx.target_now(answer)
            kind = "with a nonce" if nonce else "pre-produced"
            found += [
                f"{label}, {kind}: {f}"
                for f in pkix.ocsp_time_findings(answer.content, at=at, max_age=max_age, max_validity=max_validity)
            ]
            response, _ = pkix.load_ocsp(answer.content)
            if nonce is None and response is not None and response.next_update_utc is not None:
                asked.append((label, cert, request))
                latest = max(latest or response.next_update_utc, response.next_update_utc)
    if latest is not None and "clock" in ctx.harness.capabilities:
        ctx.harness.advance_clock((latest - ctx.target_now() + OCSP_LEEWAY + timedelta(minutes=1)).total_seconds())
        for label, cert, request in asked:
            answer = post_ocsp(ctx, cert, request)
            at = ctx.target_now(answer)
            found += [
                f"{label}, asked again with the clock past its nextUpdate: {f}"
                for f in pkix.ocsp_time_findings(answer.content, at=at, max_age=max_age, max_validity=max_validity)
            ]
    findings(ctx, found, "the OCSP answer's times")


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
    _, answer = ocsp(ctx, cert, issuer, serial=serial)
    found = pkix.ocsp_findings(answer.content, serial, issuer, expected="unknown", at=now())
    findings(ctx, found, "a never-issued serial")


@check(
    "pki.ocsp.revoked",
    title="OCSP answers revoked once a certificate is revoked, with the time and reason its CRL gives, for each CA",
    cites=(RFC_6960 + " §2.2 (revoked)", RFC_6960 + " §4.2.1 (RevokedInfo)", RFC_5280 + " §5.1.2.6 and §5.3.1"),
    severity=Severity.CRITICAL,
    needs=("otp", "review", "revoke"),
)
def ocsp_revoked(ctx: CheckContext) -> None:
    """The LCP certificate revoked by the harness (keyCompromise), and the second firm's seal (cessationOfOperation,
    a certificate of the seal CA): revocationTime between the target's clock just before and just after the
    revocation, equal to the CRL entry's revocationDate; revocationReason, if given, the revocation's, as on the
    CRL. Each asked twice: anew, and with the very bytes of the nonce-less request asked just before the
    revocation (whose answer a responder may have pre-signed and kept: it must not serve it now)."""
    found = []
    for target in revoked_of_each_ca(ctx):
        cert = target.certificate
        issuer = issuer_of(ctx, cert)
        label = f"{cert.serial_number:x}"
        found += [
            f"{label}, asked as before the revocation: {f}"
            for f in pkix.ocsp_findings(
                post_ocsp(ctx, cert, target.asked_before).content,
                cert.serial_number,
                issuer,
                expected="revoked",
                at=now(),
            )
        ]
        _, answer = ocsp(ctx, cert, issuer)
        found += [
            f"{label}: {f}"
            for f in pkix.ocsp_findings(answer.content, cert.serial_number, issuer, expected="revoked", at=now())
        ]
        when, reason = pkix.ocsp_revocation(answer.content)
        start, end = target.between
        leeway = timedelta(minutes=5)
        if when is not None and not start - leeway <= when <= end + leeway:
            found.append(
                f"{label}: revocationTime {when.isoformat()} is not when it was revoked (between "
                f"{start.isoformat()} and {end.isoformat()} on the target's clock)"
            )
        if reason is not None and reason != target.reason:
            found.append(f"{label}: revocationReason is {reason.name}, the revocation's {target.reason.name}")
        _, published, _ = crl(ctx, cert)
        entry = published.get_revoked_certificate_by_serial_number(cert.serial_number) if published else None
        if when is not None and entry is not None and entry.revocation_date_utc != when:
            found.append(
                f"{label}: revocationTime {when.isoformat()} differs from the CRL's revocationDate "
                f"{entry.revocation_date_utc.isoformat()}"
            )
    findings(ctx, found, "after revocation")


@check(
    "pki.ocsp.revoked_stays",
    title="Once revoked, a certificate stays revoked: OCSP still answers revoked, with the same revocationTime, "
    "after the target's clock has moved on",
    cites=(
        RFC_6960 + " §2.2 (revoked: the certificate has been revoked, temporarily or permanently)",
        RFC_5280 + " §3.3 (a revocation holds until the certificate expires) and §5.3.1 (keyCompromise)",
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review", "revoke", "clock"),
)
def ocsp_revoked_stays(ctx: CheckContext) -> None:
    """The LCP certificate revoked for keyCompromise is asked with a nonce (answered now, never from a cache) at
    the target's clock of its revocation, then again after the harness has moved the target's clock 2 seconds
    on: both answers must be revoked, with one and the same revocationTime, not after the instant asked. A
    responder that judges a revocation against the instant asked the wrong way round only says revoked at the
    very instant of it."""
    target = revoked(ctx)
    cert = target.certificate
    issuer = issuer_of(ctx, cert)
    found = []
    times = []
    for label, moved in (("as revoked", 0), ("2 seconds on", 2)):
        if moved:
            ctx.harness.advance_clock(moved)
        asked_at = ctx.target_now()
        _, answer = ocsp(ctx, cert, issuer, nonce=pkix.new_nonce())
        found += [
            f"{label}: {f}"
            for f in pkix.ocsp_findings(answer.content, cert.serial_number, issuer, expected="revoked", at=now())
        ]
        when, _ = pkix.ocsp_revocation(answer.content)
        times.append(when)
        if when is not None and when > asked_at:
            found.append(
                f"{label}: revocationTime {when.isoformat()} is after the instant asked {asked_at.isoformat()}"
            )
    if None not in times and times[0] != times[1]:
        found.append(f"the revocationTime moved from {times[0]} to {times[1]}")
    findings(ctx, found, "after the clock moved on")


@check(
    "pki.ocsp.right_issuer",
    title="An OCSP responder answers for its own CA: a serial another CA of the hierarchy issued is not good under "
    "it, and the root answers good for the CAs it issued",
    cites=(
        RFC_6960 + " §4.1.1 (CertID: the issuer's name and key hashes and the serial name one certificate)",
        RFC_6960 + " §2.2 (good, revoked, unknown)",
        RFC_5280 + " §4.1.2.2 (a serial number is unique for its issuer only)",
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def ocsp_right_issuer(ctx: CheckContext) -> None:
    """A serial number is unique for its issuer only: a responder that looks a serial up without the CertID's
    issuer calls good, under one CA, a certificate another CA issued. The signature CA's responder is asked about
    the seal's serial, the seal CA's and the seal CA's delegated responder's; the seal CA's responder about the
    personal certificate's serial, the signature CA's and its responder's: none may be good. The root (when the
    signature CA names a responder) must answer good for the two CAs it issued, and not good for the personal
    certificate, the seal nor the delegated responders, which the issuing CAs issued. A CertID whose issuer hashes
    name no CA of the provider is answered unauthorized (RFC 5019 §2.2.3) or unknown (RFC 6960 §2.2), as an
    OCSPResponse."""
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, first_firm(holder))
    personal, person_ca = holder.personal.certificate, holder.personal.chain[1]
    sealed, seal_ca = seal.certificate, seal.chain[1]
    person_responders = delegated_responders(ctx, personal, person_ca)
    seal_responders = delegated_responders(ctx, sealed, seal_ca)
    asked: list[tuple[str, x509.Certificate, x509.Certificate, x509.Certificate, str]] = [
        ("the signature CA", personal, person_ca, sealed, "the seal"),
        ("the signature CA", personal, person_ca, seal_ca, "the seal CA"),
        *[("the signature CA", personal, person_ca, r, "the seal CA's responder") for r in seal_responders],
        ("the seal CA", sealed, seal_ca, personal, "the personal certificate"),
        ("the seal CA", sealed, seal_ca, person_ca, "the signature CA"),
        *[("the seal CA", sealed, seal_ca, r, "the signature CA's responder") for r in person_responders],
    ]
    chain = holder.personal.chain
    root = chain[2] if len(chain) >= 3 and pkix.ocsp_urls(person_ca) else None
    if root is None:
        ctx.note("the signature CA names no OCSP responder: the root's answers are not judged")
    else:
        asked += [
            ("the root", person_ca, root, personal, "the personal certificate"),
            ("the root", person_ca, root, sealed, "the seal"),
            *[("the root", person_ca, root, r, "a delegated responder") for r in person_responders + seal_responders],
        ]
    found = []
    for responder, subject, issuer, other, label in asked:
        _, answer = ocsp(ctx, subject, issuer, serial=other.serial_number)
        found += [
            f"{responder}'s responder about {label}'s serial {other.serial_number:x}: {f}"
            for f in pkix.ocsp_findings(answer.content, other.serial_number, issuer, expected="unknown", at=now())
        ]
    if root is not None:
        for ca, label in ((person_ca, "the signature CA"), (seal_ca, "the seal CA")):
            _, answer = ocsp(ctx, ca, root)
            found += [
                f"the root about {label}: {f}"
                for f in pkix.ocsp_findings(answer.content, ca.serial_number, root, expected="good", at=now())
            ]
    stranger = x509_ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        secrets.token_bytes(20),
        secrets.token_bytes(20),
        personal.serial_number,
        hashes.SHA1(),  # noqa: S303 -- a CertID (RFC 5019 2.1.1)
    )
    answer = post_ocsp(ctx, personal, stranger.build().public_bytes(Encoding.DER))
    ctx.expect(answer.status_code == 200, f"a CertID of an issuer not served: HTTP {answer.status_code}")
    try:
        response = x509_ocsp.load_der_ocsp_response(answer.content)
    except ValueError:
        found.append("a CertID of an issuer not served: the answer is not a DER OCSPResponse")
    else:
        unauthorized = response.response_status == x509_ocsp.OCSPResponseStatus.UNAUTHORIZED
        successful = response.response_status == x509_ocsp.OCSPResponseStatus.SUCCESSFUL
        if not unauthorized and not (successful and response.certificate_status is x509_ocsp.OCSPCertStatus.UNKNOWN):
            status = response.certificate_status.name if successful else response.response_status.name
            found.append(f"a CertID of an issuer not served is answered {status}, not unauthorized nor unknown")
    findings(ctx, found, "asked of the wrong CA")


@check(
    "pki.ocsp.reason",
    title="OCSP gives the revocation reason the CRL gives: keyCompromise on both for a key compromise, and no "
    "reason on either for a certificate revoked for no stated reason",
    cites=(
        RFC_6960 + " §4.2.1 (RevokedInfo: revocationReason, a CRLReason)",
        RFC_5280 + " §5.3.1 (reasonCode: SHOULD be absent rather than unspecified)",
    ),
    needs=("otp", "review", "revoke"),
)
def ocsp_reason(ctx: CheckContext) -> None:
    """The LCP certificate revoked for keyCompromise, and the QCP certificate revoked here through the harness with
    no reason (unspecified): each is asked of OCSP (with a nonce: answered now) and looked up on its CA's CRL.
    The CRL entry of the second must have no reasonCode (RFC 5280 §5.3.1: absent rather than unspecified), and
    each OCSP revocationReason must be the CRL entry's reasonCode, absent where it is absent: a client that reads
    OCSP must learn what one that reads the CRL learns."""
    subjects = [(revoked(ctx).certificate, "the LCP certificate (keyCompromise)")]
    try:
        view = holders.issued_at_level(ctx, "qcp")
    except CheckSkipped as why:
        ctx.note(f"no certificate revoked for no stated reason: {why}")
    else:
        if "pki:revoked:unspecified" not in ctx.plan_state:
            ctx.harness.revoke_certificate(str(view["id"]), "unspecified")
            ctx.plan_state["pki:revoked:unspecified"] = True
        subjects.append((holders.certificate_of(view), "the QCP certificate (no stated reason)"))
    found = []
    for cert, label in subjects:
        issuer = issuer_of(ctx, cert)
        _, answer = ocsp(ctx, cert, issuer, nonce=pkix.new_nonce())
        found += [
            f"{label}: {f}"
            for f in pkix.ocsp_findings(answer.content, cert.serial_number, issuer, expected="revoked", at=now())
        ]
        _, said = pkix.ocsp_revocation(answer.content)
        url, published = required_crl(ctx, cert)
        entry = published.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is None:
            found.append(f"{label} is not on {url}")
            continue
        listed = pkix.crl_entry_reason(entry)
        if listed is x509.ReasonFlags.unspecified:
            found.append(f"{label}: the CRL entry's reasonCode is unspecified, where it should be absent")
        if said != listed:
            found.append(
                f"{label}: OCSP's revocationReason is {said.name if said else 'absent'}, the CRL entry's reasonCode "
                f"{listed.name if listed else 'absent'}"
            )
    findings(ctx, found, "the revocation reasons")
