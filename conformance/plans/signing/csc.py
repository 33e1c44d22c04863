"""``signing.csc``: the credentials and what ``credentials/info`` says of them; numSignatures; timestamps."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conformance import pkix
from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2
from conformance.registry import check
from conformance.results import Severity

#: Signature algorithms (CSC ``key/algo``) by the key type they fit.
EC_ALGORITHMS = frozenset({"1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"})
RSA_ALGORITHMS = frozenset(
    {"1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12"}
    | {"1.2.840.113549.1.1.13"}
)
CURVES = {"secp256r1": "1.2.840.10045.3.1.7", "secp384r1": "1.3.132.0.34", "secp521r1": "1.3.132.0.35"}
#: The most signatures the multisign check asks for at once (a larger multisign is authorized, not used up).
MAX_SIGNED = 200


def credential_info_findings(credential: holders.CscCredential, *, personal: bool) -> list[str]:
    """What ``credentials/info`` says that its certificate contradicts (CSC v2 credentials/info, key and cert):
    the key's algorithms fit its type, its length and curve are the certificate's; the certificate's serial,
    names and validity are the certificate's own; enabled and valid; SCAL 2 for a personal credential; a multisign
    of at least 1."""
    info, cert = credential.info, credential.certificate
    key, described = info.get("key") or {}, info.get("cert") or {}
    public = cert.public_key()
    found = []
    if key.get("status") != "enabled":
        found.append(f"key/status is {key.get('status')!r}, not enabled")
    if described.get("status") != "valid":
        found.append(f"cert/status is {described.get('status')!r}, not valid")
    algorithms = key.get("algo") or []
    fitting = EC_ALGORITHMS if isinstance(public, ec.EllipticCurvePublicKey) else RSA_ALGORITHMS
    if not algorithms:
        found.append("key/algo lists no algorithm")
    elif wrong := sorted(set(map(str, algorithms)) - fitting):
        kind = "EC" if fitting is EC_ALGORITHMS else "RSA"
        found.append(f"key/algo lists {wrong}, which do not fit its {kind} key")
    if isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        length = public.curve.key_size if isinstance(public, ec.EllipticCurvePublicKey) else public.key_size
        if key.get("len") != length:
            found.append(f"key/len is {key.get('len')!r}, the key's {length} bits")
    if (
        isinstance(public, ec.EllipticCurvePublicKey)
        and "curve" in key
        and key["curve"] != CURVES.get(public.curve.name)
    ):
        found.append(f"key/curve is {key['curve']!r}, the key's {CURVES.get(public.curve.name, public.curve.name)}")
    try:
        if int(str(described.get("serialNumber")), 16) != cert.serial_number:
            found.append(f"cert/serialNumber {described.get('serialNumber')!r} is not the certificate's (hex)")
    except ValueError:
        found.append(f"cert/serialNumber {described.get('serialNumber')!r} is not hexadecimal")
    for member, name in (("subjectDN", cert.subject), ("issuerDN", cert.issuer)):
        try:
            if x509.Name.from_rfc4514_string(str(described.get(member))) != name:
                found.append(f"cert/{member} {described.get(member)!r} is not the certificate's")
        except ValueError:
            found.append(f"cert/{member} {described.get(member)!r} is not an RFC 4514 name")
    for member, instant in (("validFrom", cert.not_valid_before_utc), ("validTo", cert.not_valid_after_utc)):
        try:
            held = datetime.strptime(str(described.get(member)), "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            found.append(f"cert/{member} {described.get(member)!r} is not YYYYMMDDHHMMSSZ")
            continue
        if held != instant:
            found.append(f"cert/{member} is {held.isoformat()}, the certificate's {instant.isoformat()}")
    if personal and credential.scal != "2":
        found.append(f"SCAL is {credential.scal}, a personal signing credential is SCAL 2")
    multisign = info.get("multisign")
    if isinstance(multisign, bool) or not isinstance(multisign, int) or multisign < 1:
        found.append(f"multisign is {multisign!r}, not a number of signatures of at least 1")
    return found


@check(
    "signing.csc.credentials",
    title="An active accountant has a personal SCAL2 credential and a seal credential per opened firm, each "
    "described rightly by credentials/info",
    cites=(
        CSC_V2 + ", credentials/list and credentials/info (key/algo, key/len, cert/serialNumber, subjectDN, "
        "issuerDN, validFrom, validTo, SCAL, multisign)",
        "Guide, étape 6 : ouverture du service",
    ),
    needs=("otp", "review"),
)
def credentials(ctx: CheckContext) -> None:
    """Each member of ``credentials/info`` is compared with the certificate it describes: a client chooses its
    ``signAlgo`` from ``key/algo``, and a wrong one there makes every signature fail."""
    holder = ctx.use(holders.accountant)
    found = [f"personal: {f}" for f in credential_info_findings(holder.personal, personal=True)]
    found += [f"{s.id}: {f}" for s in holder.seals for f in credential_info_findings(s, personal=False)]
    if len(holder.personal.chain) < 2:
        found.append("credentials/info gave no chain for the personal certificate")
    if not holder.seals:
        found.append("no seal credential for the accountant's opened firms")
    ctx.expect(not found, "; ".join(found))


@check(
    "signing.csc.multisign",
    title="credentials/authorize grants numSignatures from 1 up to the credential's multisign, and refuses one more, "
    "0 and none",
    cites=(CSC_V2 + ", credentials/info (multisign)", CSC_V2 + ", credentials/authorize (numSignatures)"),
    needs=("otp", "review"),
)
def multisign(ctx: CheckContext) -> None:
    """Both sides of the limit, on the firm's seal (SCAL1: no SMS code): ``numSignatures`` equal to ``multisign``
    is authorized, and that SAD signs that many hashes in one signHash (when ``multisign`` is at most 200);
    ``multisign + 1`` is refused, and so are 0 (an authorization is for at least one signature) and a request
    without numSignatures, which CSC makes REQUIRED."""
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    limit = seal.info.get("multisign")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        ctx.skip(f"{seal.id} announces no multisign ({limit!r}): signing.csc.credentials judges that")
    body = {"credentialID": seal.id, "numSignatures": limit}
    at_limit = ctx.expect_accepted(
        holders.csc(ctx, holder.tokens, "/credentials/authorize", body),
        rule=f"authorizing numSignatures = multisign ({limit})",
    )
    sad = str(at_limit.get("SAD"))
    ctx.http.add_secret(sad)
    if limit <= MAX_SIGNED:
        wanted = holders.new_hashes(limit)
        signed = ctx.expect_accepted(
            holders.sign_hash(ctx, holder, sad, wanted, credential=seal),
            rule=f"signing {limit} hashes with a SAD for {limit} signatures",
        )
        count = len(signed.get("signatures") or [])
        ctx.expect(count == limit, f"{count} signatures for {limit} hashes")
    beyond = holders.csc(ctx, holder.tokens, "/credentials/authorize", {**body, "numSignatures": limit + 1})
    ctx.expect_refusal(beyond, 400, None, f"authorizing numSignatures = multisign + 1 ({limit + 1})")
    none = holders.csc(ctx, holder.tokens, "/credentials/authorize", {**body, "numSignatures": 0})
    ctx.expect_refusal(none, 400, None, "authorizing numSignatures = 0")
    missing = holders.csc(ctx, holder.tokens, "/credentials/authorize", {"credentialID": seal.id})
    ctx.expect_refusal(missing, 400, None, "authorizing without numSignatures (REQUIRED)")


#: How long an SMS says its code is valid: « Valable 30 minutes ».
_STATED_MINUTES = re.compile(r"(\d+)\s*min", re.IGNORECASE)


@check(
    "signing.csc.sms_code",
    title="What is said of a signing code is true: credentials/info names the mobile by its last four digits, and "
    "the SMS states the code's validity, after which it is refused",
    cites=(
        CSC_V2 + ", credentials/info (OTP: presence, description) and credentials/sendOTP",
        "Guide : « Un code vous a été envoyé par SMS au 8795 » (the mobile shown by its last four digits)",
        "DESIGN.md §2, step 4: SMS codes valid 30 minutes (rules.otp_validity_seconds)",
    ),
    severity=Severity.MAJOR,
    needs=("otp", "review", "clock", "outbox"),
)
def sms_code(ctx: CheckContext) -> None:
    """The personal credential's ``OTP/description``, if it shows digits, shows the mobile's last four (not more:
    the number is shown masked); a seal (SCAL1, authorized without a code) announces no OTP. The SMS that
    ``credentials/sendOTP`` sends states the code's validity in minutes: it must be ``rules.otp_validity_seconds``,
    and with the provider's clock moved one second past what it states, the code must be refused by
    ``credentials/authorize`` (a code that outlives what its SMS says)."""
    holder = ctx.use(holders.accountant)
    found = []
    description = str((holder.personal.info.get("OTP") or {}).get("description") or "")
    shown = re.findall(r"\d+", description)
    if shown and shown[-1] != holder.phone_number[-4:]:
        found.append(f"OTP/description {description!r} does not show the mobile by its last four digits")
    for seal in holder.seals:
        if str((seal.info.get("OTP") or {}).get("presence", "false")).lower() == "true":
            found.append(f"{seal.id} (SCAL {seal.scal}, authorized without a code) announces an OTP")
    code = holders.send_code(ctx, holder)
    sent = [m for m in ctx.harness.sms(holder.phone_number) if m.get("otp_code") == code]
    text = str(sent[-1].get("body") or "") if sent else ""
    stated = _STATED_MINUTES.search(text)
    if stated is None:
        found.append(f"the SMS does not state how long its code is valid: {text!r}")
        ctx.harness.advance_clock(ctx.target.rules.otp_resend_cooldown_seconds + 1)
    else:
        seconds = int(stated.group(1)) * 60
        expected = ctx.target.rules.otp_validity_seconds
        if seconds != expected:
            found.append(f"the SMS says the code is valid {seconds // 60} minutes, not {expected // 60}")
        ctx.harness.advance_clock(seconds + 1)
        late = holders.authorize(ctx, holder, holders.new_hashes(1), code=code)
        if 200 <= late.status_code < 300:
            ctx.http.add_secret(str(late.json().get("SAD")))
            found.append(f"the code was still accepted {seconds + 1} s after it was sent, past the SMS's minutes")
    # A new code, used at once: the next checks may ask for theirs without waiting for a resend cooldown.
    fresh = holders.authorize(ctx, holder, holders.new_hashes(1))
    ctx.http.add_secret(str(ctx.expect_status(fresh, 200, what="authorizing with a new code").get("SAD")))
    ctx.expect(not found, "; ".join(found))


#: The digests ``signatures/timestamp`` is asked for: (hashAlgorithmOID, asn1crypto's name, the hash function).
TIMESTAMP_DIGESTS = (
    (holders.SHA256, "sha256", hashlib.sha256),
    ("2.16.840.1.101.3.4.2.3", "sha512", hashlib.sha512),
)


@check(
    "signing.csc.timestamp",
    title="signatures/timestamp answers a time-stamp token on the hash sent, with the algorithm sent, echoing the "
    "nonce, that verifies",
    cites=(
        CSC_V2 + ", signatures/timestamp (hash, hashAlgorithmOID, nonce: the token SHALL include it)",
        "RFC 3161 §2.4.2 (messageImprint, nonce)",
    ),
    severity=Severity.CRITICAL,
)
def timestamp(ctx: CheckContext) -> None:
    """A SHA-256 and a SHA-512 hash, each with a 64-bit nonce (hexadecimal): each token's messageImprint must be
    that hash under that algorithm, its nonce that number, and its signature must verify with the TSA certificate
    it carries. SKIPPED when ``info`` does not list the method."""
    methods = ctx.expect_status(ctx.http.post("csc", "/info", json={}), 200, what="CSC info").get("methods") or []
    if "signatures/timestamp" not in methods:
        ctx.skip("the CSC info lists no signatures/timestamp method")
    tokens = ctx.login("accountant")
    found = []
    for oid, name, function in TIMESTAMP_DIGESTS:
        digest = function(secrets.token_bytes(16)).digest()
        nonce = secrets.randbits(63) | 1 << 62
        body = {"hash": base64.b64encode(digest).decode(), "hashAlgorithmOID": oid, "nonce": format(nonce, "x")}
        answer = ctx.expect_accepted(
            holders.csc(ctx, tokens, "/signatures/timestamp", body), rule=f"time-stamping a {name} hash"
        )
        token, why = pkix.load_token(base64.b64decode(str(answer.get("timestamp") or "")))
        if token is None:
            found.append(f"{name}: the answer's timestamp is not an RFC 3161 token: {why}")
            continue
        info = pkix.tst_info(token)
        imprint = info["message_imprint"]
        if imprint["hash_algorithm"]["algorithm"].native != name:
            found.append(f"{name}: the token's imprint is {imprint['hash_algorithm']['algorithm'].native}")
        if imprint["hashed_message"].native != digest:
            found.append(f"{name}: the token time-stamps another hash than the one sent")
        if info["nonce"].native != nonce:
            found.append(f"{name}: the token's nonce is {info['nonce'].native}, the request's {nonce}")
        found += [f"{name}: {f}" for f in pkix.tsa_signature_findings(token)]
    ctx.expect(not found, "the tokens: " + "; ".join(found))
