"""``pki.tsa``: the time-stamping authority's tokens, value by value."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from asn1crypto import tsp

from conformance import pkix
from conformance.context import CheckContext
from conformance.plans.pki.common import RFC_3161, digest_of, findings, post_tsa, time_stamp
from conformance.registry import check
from conformance.results import Severity

EN_319_422 = "ETSI EN 319 422 V1.1.1 §5 (time-stamp request and token profile)"


@check(
    "pki.tsa.message_imprint",
    title="A time-stamp token carries the message imprint of the request",
    cites=(RFC_3161 + " §2.4.2 (messageImprint)",),
    severity=Severity.CRITICAL,
)
def tsa_message_imprint(ctx: CheckContext) -> None:
    digest = digest_of(secrets.token_bytes(32))
    token, _ = time_stamp(ctx, digest, secrets.randbits(63))
    imprint = pkix.tst_info(token)["message_imprint"]
    ctx.expect(imprint["hash_algorithm"]["algorithm"].native == "sha256", "the imprint's algorithm is not SHA-256")
    ctx.expect(imprint["hashed_message"].native == digest, "the token time-stamps another digest than the request's")


@check(
    "pki.tsa.nonce",
    title="A time-stamp token echoes the request's nonce",
    cites=(RFC_3161 + " §2.4.2 (nonce)",),
)
def tsa_nonce(ctx: CheckContext) -> None:
    nonce = secrets.randbits(63)
    token, _ = time_stamp(ctx, digest_of(b"nonce"), nonce)
    echoed = pkix.tst_info(token)["nonce"].native
    ctx.expect(echoed == nonce, f"the token's nonce is {echoed}, the request's {nonce}")


@check(
    "pki.tsa.signature",
    title="A time-stamp token verifies: TSA certificate with the timeStamping EKU only, ESS signing-certificate",
    cites=(RFC_3161 + " §2.3 and §2.4.2", "RFC 5816 (ESSCertIDv2)"),
    severity=Severity.CRITICAL,
)
def tsa_signature(ctx: CheckContext) -> None:
    token, _ = time_stamp(ctx, digest_of(b"signature"), secrets.randbits(63))
    findings(ctx, pkix.tsa_signature_findings(token), "the time-stamp token")


@check(
    "pki.tsa.signing_certificate",
    title="A time-stamp token's signing-certificate attribute holds the hash of the TSA certificate that signed, "
    "and its other names are the signer's",
    cites=(
        "RFC 5816 §2.2.1 (ESSCertIDv2 certHash and issuerSerial)",
        "RFC 5035 §5.4.1.1",
        "RFC 5652 §11.1 (content-type attribute)",
        RFC_3161 + " §2.4.2 (tsa)",
    ),
    severity=Severity.CRITICAL,
)
def tsa_signing_certificate(ctx: CheckContext) -> None:
    """The certHash recomputed over the certificate the SignerInfo identifies (the token carries it: certReq); the
    issuerSerial, the content-type attribute and the TSTInfo's tsa name compared with it."""
    token, _ = time_stamp(ctx, digest_of(b"signing certificate"), secrets.randbits(63))
    findings(ctx, pkix.tsa_signing_certificate_findings(token), "the signing-certificate attribute")


@check(
    "pki.tsa.policy",
    title="A TSA honours the policy a request names, and refuses one it does not support (unacceptedPolicy)",
    cites=(
        RFC_3161 + " §2.4.1 (reqPolicy)",
        RFC_3161 + " §2.4.2 (policy; PKIFailureInfo unacceptedPolicy)",
        EN_319_422,
    ),
)
def tsa_policy(ctx: CheckContext) -> None:
    """Three requests: none names a policy (the TSA's own is learnt from the token); one names that policy (the
    token must be under it); one names a policy no TSA supports (a fresh 2.25 UUID OID): a rejection whose failInfo
    is unacceptedPolicy, or a token under that very policy; never a token under another policy."""
    first, _ = time_stamp(ctx, digest_of(b"policy"), secrets.randbits(63))
    own = pkix.tst_info(first)["policy"].dotted
    honoured, _ = time_stamp(ctx, digest_of(b"policy honoured"), secrets.randbits(63), policy=own)
    held = pkix.tst_info(honoured)["policy"].dotted
    ctx.expect(held == own, f"asked for the TSA's own policy {own}, the token is under {held}")
    unsupported = f"2.25.{uuid.uuid4().int}"
    answer = post_tsa(ctx, digest_of(b"policy refused"), secrets.randbits(63), policy=unsupported)
    reply = pkix.read_tsa_reply(answer.content)
    if isinstance(reply, str):
        ctx.fail(f"asked for an unsupported policy, the TSA answered {answer.status_code} with {reply}")
    if reply.granted and reply.token is not None:
        held = pkix.tst_info(reply.token)["policy"].dotted
        ctx.expect(held == unsupported, f"asked for the unsupported policy {unsupported}, the TSA granted under {held}")
        return
    ctx.expect(
        "unaccepted_policy" in reply.fail_info,
        f"the TSA refused the unsupported policy with failInfo {sorted(reply.fail_info) or 'none'}, "
        "not unacceptedPolicy",
    )


@check(
    "pki.tsa.gen_time",
    title="A time-stamp token's genTime and signingTime are the target's time, within the accuracy the token declares",
    cites=(
        RFC_3161 + " §2.4.2 (genTime, accuracy)",
        "ETSI EN 319 421 V1.1.1 §7.7.2 (clock synchronised with UTC)",
        "RFC 5652 §11.3 (signingTime: UTCTime from 1950 to 2049)",
    ),
    severity=Severity.CRITICAL,
)
def tsa_gen_time(ctx: CheckContext) -> None:
    """genTime against the target's clock (the harness's reading, else the answer's Date header): at most the
    declared accuracy plus ``rules.clock_leeway_seconds`` apart; the accuracy's millis and micros 1 to 999. A
    signingTime attribute, when there is one, within the same distance, and encoded as RFC 5652 §11.3 says."""
    token, answer = time_stamp(ctx, digest_of(b"genTime"), secrets.randbits(63))
    at = ctx.target_now(answer)
    leeway = timedelta(seconds=ctx.target.rules.clock_leeway_seconds)
    findings(ctx, pkix.tsa_time_findings(token, at=at, leeway=leeway), "genTime")


#: The instants ``signing_time_boundaries`` moves the target's clock to: each side of RFC 5652 §11.3's switch from
#: UTCTime to GeneralizedTime. (The other end, 1950, is out of reach: a clock can go no earlier than its PKI's
#: certificates can be dated, and the mock's hierarchy is backdated from today.)
_ENCODING_EDGES = (
    datetime(2049, 12, 31, 23, 58, tzinfo=UTC),
    datetime(2050, 1, 1, 0, 2, tzinfo=UTC),
)

#: The longest single move of the clock asked of the harness (the mock's control plane takes up to 1e9 seconds).
_LONGEST_MOVE = 900_000_000


@check(
    "pki.tsa.signing_time_boundaries",
    title="A token's signingTime is UTCTime up to the end of 2049, GeneralizedTime from 2050",
    cites=("RFC 5652 §11.3 (signingTime: UTCTime from 1950 through 2049, GeneralizedTime before and after)",),
    severity=Severity.MINOR,
    needs=("clock",),
)
def tsa_signing_time_boundaries(ctx: CheckContext) -> None:
    """With the target's clock moved to two minutes before 2050, then two minutes after: a token each time, whose
    signingTime (when the TSA gives one) is encoded as RFC 5652 §11.3 says for its year and is the target's time.
    The clock goes back to the wall clock after the check."""
    leeway = timedelta(seconds=ctx.target.rules.clock_leeway_seconds)
    for instant in _ENCODING_EDGES:
        while abs(gap := (instant - ctx.target_now()).total_seconds()) > 60:
            ctx.harness.advance_clock(max(-_LONGEST_MOVE, min(_LONGEST_MOVE, gap)))  # decades, in steps a harness takes
        token, answer = time_stamp(ctx, digest_of(instant.isoformat().encode()), secrets.randbits(63))
        at = ctx.target_now(answer)
        findings(ctx, pkix.signing_time_findings(token, at=at, tolerance=leeway), f"at {instant:%Y-%m-%d %H:%M}")


@check(
    "pki.tsa.serial_unique",
    title="Each time-stamp token has its own serial number",
    cites=(RFC_3161 + " §2.4.2 (serialNumber: unique for each token of a TSA)",),
)
def tsa_serial_unique(ctx: CheckContext) -> None:
    serials = [
        pkix.tst_info(time_stamp(ctx, digest_of(str(n).encode()), secrets.randbits(63))[0])["serial_number"].native
        for n in range(3)
    ]
    ctx.expect(len(set(serials)) == len(serials), f"three tokens share serial numbers: {serials}")


#: The failures a TSA may give an imprint that its algorithm cannot have made (RFC 3161 §2.4.2).
_BAD_IMPRINT = frozenset({"bad_data_format", "bad_request", "bad_alg"})


@check(
    "pki.tsa.requests",
    title="A TSA refuses an imprint whose length does not fit its algorithm or whose algorithm it does not support, "
    "and puts its certificate in a token exactly when certReq asks for it",
    cites=(
        RFC_3161 + " §2.4.2 (status rejection; failInfo badAlg, badDataFormat)",
        RFC_3161 + " §2.4.1 (certReq: the certificate MUST be provided when true, MUST NOT be when false)",
    ),
)
def tsa_requests(ctx: CheckContext) -> None:
    """SHA-256 imprints of 31 and 33 octets (a SHA-256 digest has 32): each a rejection with failInfo
    badDataFormat (badRequest or badAlg accepted); an MD5 imprint: a rejection with badAlg, or a token that
    carries that very imprint. A request with certReq true: the token's certificates hold the certificate that
    signed it; with certReq false: the token has no certificates field. The rejections come as TimeStampResp
    (application/timestamp-reply, RFC 3161 §3.4) with HTTP 200 or 400; a body that is not DER and a request of
    version 99 are answered with a TimeStampResp too (a rejection with its failInfo, or a token), never a server
    error."""
    found = []
    for size in (31, 33):
        answer = post_tsa(ctx, secrets.token_bytes(size), secrets.randbits(63))
        if answer.status_code not in (200, 400):
            found.append(f"a {size}-octet SHA-256 imprint: HTTP {answer.status_code}, not 200 nor 400")
        if answer.headers.get("Content-Type", "").split(";")[0].strip() != "application/timestamp-reply":
            found.append(f"a {size}-octet SHA-256 imprint: Content-Type {answer.headers.get('Content-Type')!r}")
        reply = pkix.read_tsa_reply(answer.content)
        if isinstance(reply, str):
            found.append(f"a {size}-octet SHA-256 imprint: {reply}")
        elif reply.status != "rejection" or not reply.fail_info & _BAD_IMPRINT:
            found.append(
                f"a {size}-octet SHA-256 imprint: status {reply.status}, failInfo {sorted(reply.fail_info) or 'none'}, "
                "not a rejection for badDataFormat"
            )
    weak = hashlib.md5(secrets.token_bytes(16), usedforsecurity=False).digest()
    answer = ctx.http.post(
        "pki",
        "/tsa",
        data=pkix.tsa_request(weak, nonce=secrets.randbits(63), algorithm="md5"),
        headers={"Content-Type": "application/timestamp-query"},
    )
    reply = pkix.read_tsa_reply(answer.content)
    if isinstance(reply, str):
        found.append(f"an MD5 imprint: {reply}")
    elif reply.granted and reply.token is not None:
        imprint = pkix.tst_info(reply.token)["message_imprint"]
        if imprint["hash_algorithm"]["algorithm"].native != "md5" or imprint["hashed_message"].native != weak:
            found.append("an MD5 imprint was granted a token that time-stamps another imprint")
    elif "bad_alg" not in reply.fail_info:
        found.append(f"an MD5 imprint refused with failInfo {sorted(reply.fail_info) or 'none'}, not badAlg")
    for label, body in (
        ("a body that is not DER", b"not a TimeStampReq"),
        ("a request of version 99", _version_99(digest_of(b"version"))),
    ):
        answer = ctx.http.post("pki", "/tsa", data=body, headers={"Content-Type": "application/timestamp-query"})
        reply = pkix.read_tsa_reply(answer.content)
        if isinstance(reply, str) or answer.status_code >= 500:
            found.append(f"{label}: HTTP {answer.status_code}, {reply if isinstance(reply, str) else reply.status}")
        elif not reply.granted and not reply.fail_info:
            found.append(f"{label}: a {reply.status} without failInfo")
    for cert_req in (True, False):
        answer = ctx.http.post(
            "pki",
            "/tsa",
            data=pkix.tsa_request(digest_of(b"certReq"), nonce=secrets.randbits(63), cert_req=cert_req),
            headers={"Content-Type": "application/timestamp-query"},
        )
        token, why = pkix.tsa_token(answer.content)
        if token is None:
            found.append(f"certReq {cert_req}: no token ({why})")
            continue
        certificates = token["content"]["certificates"]
        if not cert_req and certificates.native is not None:
            found.append("certReq false, yet the token carries a certificates field")
        if cert_req and pkix.tsa_signer(token) is None:
            found.append("certReq true, yet the token carries no certificate that verifies it")
    findings(ctx, found, "the TSA's answers")


def _version_99(digest: bytes) -> bytes:
    """A TimeStampReq for a SHA-256 ``digest`` whose version is 99, which RFC 3161 does not define."""
    request = tsp.TimeStampReq.load(pkix.tsa_request(digest, nonce=secrets.randbits(63)))
    request["version"] = tsp.Version(99)
    return bytes(request.dump(force=True))
