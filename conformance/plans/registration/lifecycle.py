"""The certificate after step 6: read ``expired`` past its notAfter (and a new request asked for), revoked by its
holder with the SMS code sent for it and the reason given, published on the CRL with that reason.

The checks share one person, the ``collaborator_delegated``, registered through the platform once for them (the
accountant's own certificate is revoked by ``transitions``); the expiry check runs first (it moves the clock and
changes nothing), the revocation checks after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cryptography import x509

from conformance import pkix
from conformance.context import CheckContext
from conformance.oidc import Tokens, login
from conformance.plans.registration import steps
from conformance.plans.registration.fixtures import platform, register
from conformance.registry import check, fixture
from conformance.results import Severity

RFC_5280_VALIDITY = "RFC 5280 §4.1.2.5: the certificate is valid through notAfter, not beyond"
LIFE = (
    "DESIGN.md §3, the certificate's life: revocation by the holder, renewal and a new request after revocation "
    "or expiry"
)
HOLDER_REVOCATION = (
    "Universign, subscription agreement: the holder asks for the revocation of the certificate; RFC 5280 §5.3.1 "
    "CRLReason"
)
REVOCATION = "/registration/certificate/revocation"
ROLE = "collaborator_delegated"


@fixture
def holder(ctx: CheckContext) -> Tokens:
    """The ``collaborator_delegated`` through steps 1 to 6 at the platform, for these checks alone."""
    return register(ctx, ROLE)


def _certificate(ctx: CheckContext, tokens: Tokens) -> dict[str, Any]:
    found: dict[str, Any] = ctx.expect_status(
        ctx.http.get("platform", "/registration/certificate", headers=tokens.bearer), 200
    )
    return found


def _move_to(ctx: CheckContext, target: datetime) -> Tokens:
    """The target's clock moved to ``target``; a new login of the holder (its tokens were issued at the old time)."""
    current = ctx.harness.now()
    assert current is not None
    ctx.harness.advance_clock((target - current).total_seconds())
    return login(ctx.http, ctx.harness, ctx.target, ctx.target.account(ROLE))


def _notices(ctx: CheckContext, email: str) -> list[str]:
    return sorted(
        str(m.get("subject"))
        for m in ctx.harness.emails(email)
        if "expire" in str(m.get("subject", "")).lower() and "certificat" in str(m.get("subject", "")).lower()
    )


@check(
    "registration.lifecycle.expiry_notices",
    title="The holder is e-mailed 60 and 15 days before the certificate expires, each notice once",
    cites=(LIFE, "jesign docs, Registration: after step 6, notices 60 and 15 days before the notAfter"),
    severity=Severity.MINOR,
    needs=("login", "otp", "review", "clock", "outbox"),
)
def expiry_notices(ctx: CheckContext) -> None:
    """The clock one second before notAfter - 60 days (two calls): no notice. At notAfter - 60 days, three calls:
    one notice. At notAfter - 15 days, three calls: one more. The clock is set back after the check."""
    tokens = ctx.use(holder)
    account = ctx.target.account(ROLE)
    if ctx.harness.now() is None:
        ctx.skip("the harness cannot read the target's clock")
    cert = x509.load_pem_x509_certificate(str(_certificate(ctx, tokens)["certificate_pem"]).encode())
    before = _notices(ctx, account.email)
    for moved, expected in (
        (timedelta(days=60, seconds=1), 0),
        (timedelta(days=60), 1),
        (timedelta(days=15), 2),
    ):
        fresh = _move_to(ctx, cert.not_valid_after_utc - moved)
        for _ in range(3):
            platform(ctx, fresh)
        seen = _notices(ctx, account.email)
        ctx.expect(
            len(seen) - len(before) == expected,
            f"{moved} before notAfter, {len(seen) - len(before)} expiry notices were sent, not {expected}: {seen}",
        )


@check(
    "registration.lifecycle.expiry",
    title="A certificate reads valid a second before its notAfter and expired a second after, then a new request is "
    "asked",
    cites=(RFC_5280_VALIDITY, LIFE),
    severity=Severity.MAJOR,
    needs=("login", "otp", "review", "clock"),
)
def expiry(ctx: CheckContext) -> None:
    """The holder's certificate with the target's clock one second before its notAfter (a new login): ``valid``,
    the person ``active``. One second after it: ``expired``, the person ``certificate_expired`` with
    ``start_certificate_request`` as the next action. The clock is set back after the check."""
    tokens = ctx.use(holder)
    cert = x509.load_pem_x509_certificate(str(_certificate(ctx, tokens)["certificate_pem"]).encode())
    if ctx.harness.now() is None:
        ctx.skip("the harness cannot read the target's clock")
    for offset, status, state, action in (
        (-1, "valid", "active", None),
        (1, "expired", "certificate_expired", "start_certificate_request"),
    ):
        fresh = _move_to(ctx, cert.not_valid_after_utc + timedelta(seconds=offset))
        seen = _certificate(ctx, fresh)["status"]
        ctx.expect(seen == status, f"at notAfter + {offset} s the certificate reads {seen!r}, not {status!r}")
        body = platform(ctx, fresh)
        ctx.expect(
            (body["state"], body["next_action"]) == (state, action),
            f"at notAfter + {offset} s the person is {body['state']} (next: {body['next_action']}), not {state}",
        )


@check(
    "registration.lifecycle.revocation_needs_code",
    title="The holder's revocation needs the SMS code sent for it: a wrong code, or a reason outside CRLReason, "
    "revokes nothing",
    cites=(HOLDER_REVOCATION, LIFE),
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def revocation_needs_code(ctx: CheckContext) -> None:
    """A revocation code is sent (the mobile shown by its last four digits); the revocation with a reason outside
    the list (``400 invalid_revocation_reason``), then with a code one digit off (``400 otp_invalid``): each refused
    and the certificate still ``valid``."""
    tokens = ctx.use(holder)
    phone = ctx.target.account(ROLE).mobile
    sent = ctx.expect_status(
        ctx.http.post("platform", f"{REVOCATION}-code", headers=tokens.bearer), 200, what="the revocation code"
    )
    ctx.expect(
        str(sent.get("phone_last_digits")) == phone[-4:],
        f"the code is said sent to {sent.get('phone_last_digits')}, not {phone[-4:]}",
    )
    code = ctx.harness.otp(phone)
    wrong = steps.wrong_code(code)
    for body, refusal in (
        ({"otp": code, "reason": "because"}, "invalid_revocation_reason"),
        ({"otp": wrong, "reason": "key_compromise"}, "otp_invalid"),
    ):
        answer = ctx.http.post("platform", REVOCATION, json=body, headers=tokens.bearer)
        ctx.expect_refusal(answer, 400, refusal, f"a revocation with {refusal.replace('_', ' ')}")
        status = _certificate(ctx, tokens)["status"]
        ctx.expect(status == "valid", f"after the refused revocation the certificate is {status}")


@check(
    "registration.lifecycle.revocation_published",
    title="The holder's revocation is at once on the CRL with its reason, told by e-mail, and a new request asked",
    cites=(HOLDER_REVOCATION, LIFE, "RFC 5280 §5.2 and §5.3.1 (CRL entries and their reason)"),
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review", "outbox"),
)
def revocation_published(ctx: CheckContext) -> None:
    """The holder revokes with the right code and ``key_compromise``: the certificate reads ``revoked``; its CRL
    lists it with the reason keyCompromise; an e-mail tells the holder; the person is ``certificate_revoked`` with
    ``start_certificate_request`` next; another revocation code is refused (``409 certificate_revoked``)."""
    tokens = ctx.use(holder)
    account = ctx.target.account(ROLE)
    before = len(ctx.harness.emails(account.email))
    # 429: a code was sent less than a minute ago (by the check before): it is still the one to give.
    ctx.expect_status(ctx.http.post("platform", f"{REVOCATION}-code", headers=tokens.bearer), 200, 429)
    body = {"otp": ctx.harness.otp(account.mobile), "reason": "key_compromise"}
    answer = ctx.http.post("platform", REVOCATION, json=body, headers=tokens.bearer)
    revoked = ctx.expect_accepted(answer, rule="the holder revoking with the right code")
    ctx.expect(revoked.get("status") == "revoked", f"the certificate reads {revoked.get('status')} once revoked")
    cert = x509.load_pem_x509_certificate(str(revoked["certificate_pem"]).encode())
    urls = pkix.crl_urls(cert)
    if not urls:
        ctx.fail("the certificate names no CRL distribution point")
    downloaded = ctx.http.get("pki", urls[0])
    ctx.expect_status(downloaded, 200, what=f"downloading the CRL {urls[0]}")
    crl = pkix.load_crl(downloaded.content)
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number) if crl is not None else None
    if entry is None:
        ctx.fail("the CRL does not list the revoked certificate")
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        reason = None
    ctx.expect(reason == x509.ReasonFlags.key_compromise, f"the CRL gives the reason {reason}, not keyCompromise")
    ctx.expect(len(ctx.harness.emails(account.email)) > before, "no e-mail tells the holder of the revocation")
    status = platform(ctx, tokens)
    ctx.expect(
        (status["state"], status["next_action"]) == ("certificate_revoked", "start_certificate_request"),
        f"once revoked the person is {status['state']} (next: {status['next_action']})",
    )
    again = ctx.http.post("platform", f"{REVOCATION}-code", headers=tokens.bearer)
    ctx.expect_refusal(again, 409, "certificate_revoked", "a revocation code for a revoked certificate")
