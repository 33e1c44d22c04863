"""The ``concurrency`` plan: every once-only rule tried with parallel requests, as double-clicks, retrying SDKs and
parallel CI jobs send them.

A rule that allows something once (an SMS code, a SAD, a transition, an issuance) must hold when the requests that
try it arrive together, not only one after the other: a provider that checks then acts without a lock lets several
of them through. Each check sends :data:`PARALLEL` requests released together (each on its own connection, see
:meth:`~conformance.http.RecordingClient.concurrently`) and judges what came back and what the provider then shows:

- ``signing``: the first uses of a firm's seal get one seal, no error; a single-use SAD signs once;
- ``agreement``: the right SMS code signs once (one signature, one certificate); wrong codes are counted one by
  one, then the code is locked; parallel consents send one SMS, whose code then signs;
- ``registration``: cancel and sign at once, one of them wins, never both;
- ``certificate``: parallel error reports leave one valid certificate, each report revoking the one it replaced;
- ``delegations``: parallel grants of the same delegation give one grant;
- ``sso``: an authorization code redeemed in parallel gives one token response; a refresh token used in parallel
  gives one new pair.

Whatever the rule, an answer in the 5xx range is a failure too: a clean provider refuses a request that lost the
race with a 4xx that says why. The registrations are fresh ones of the ``accountant`` account (see
:func:`conformance.plans.registration.steps.create`); the signing checks use the plan's active accountant.
"""

from __future__ import annotations

import base64
import functools
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import requests
from cryptography import x509

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.plans import holders
from conformance.plans.registration import fixtures, steps
from conformance.plans.sso import common as sso
from conformance.registry import check
from conformance.results import Severity

#: Requests sent together for each race: more than a server's usual thread count, so that they truly overlap.
PARALLEL = 12

RULE_ONCE = "DESIGN.md §5: once means once, under concurrency (a code, a SAD, a transition, an issuance)"
RULE_OTP = "DESIGN.md §2, step 4: 6-digit SMS OTP, single use; attempts limited, then locked; resend cooldown"
GUIDE_OTP = "Guide, étape 4 : « Une fois la case cochée vous recevrez un code par sms. Vous aurez 30 mins pour signer »"
RULE_DELEGATIONS = "DESIGN.md §2: delegations (sign, seal, prepare) granted per firm by the accountant"
RULE_CANCEL = "DESIGN.md §2, step 4: after signing, the request can no longer be cancelled"
ACCEPTANCE = (
    "Contrat de souscription, CERTIFICATE ACCEPTANCE : erreur signalée sous 48 heures → révocation et nouveau "
    "certificat"
)
CSC_SAD = "Cloud Signature Consortium API v2.0.0.2, credentials/authorize (SAD) and signatures/signHash"


def _together(
    ctx: CheckContext, calls: Sequence[Callable[[], requests.Response]], what: str
) -> list[requests.Response]:
    """Send the calls at once; FAILED on any 5xx (losing a race is a 4xx), ERROR if a request got no answer."""
    answers = ctx.http.concurrently(calls)
    lost = [a for a in answers if isinstance(a, requests.RequestException)]
    if lost:
        raise UnexpectedAnswer(f"{len(lost)} of {len(calls)} parallel {what} got no answer: {lost[0]}")
    responses = [a for a in answers if isinstance(a, requests.Response)]
    statuses = Counter(r.status_code for r in responses)
    ctx.note(f"{len(calls)} parallel {what}: " + ", ".join(f"{n} x {s}" for s, n in sorted(statuses.items())))
    errors = [r for r in responses if r.status_code >= 500]
    ctx.expect(
        not errors,
        f"{len(errors)} of {len(calls)} parallel {what} answered {errors[0].status_code if errors else ''}: "
        "a request that loses a race must be refused with a 4xx, not fail",
    )
    return responses


def _code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("code")) if isinstance(body, dict) and body.get("code") else None


def _refused_with(ctx: CheckContext, responses: Sequence[requests.Response], allowed: Sequence[str], what: str) -> None:
    """Every answer but the successes is a 4xx refusal with one of the ``allowed`` problem codes."""
    for response in responses:
        if response.status_code < 300:
            continue
        code = _code(response)
        ctx.expect(
            400 <= response.status_code < 500 and code in allowed,
            f"{what}: a loser was answered {response.status_code} {code!r}, expected a 4xx with {' or '.join(allowed)}",
        )


def _events(ctx: CheckContext, reg: steps.Registration) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ctx.expect_status(
        ctx.http.get("trust", reg.path("/events"), headers=reg.auth), 200, what="reading the event log"
    )["data"]
    return found


def _issued_serials(events: list[dict[str, Any]]) -> list[str]:
    """The serial numbers (hex) of the certificates the log says were issued for the registration, in order."""
    return [
        str((e.get("detail") or {}).get("serial"))
        for e in events
        if e.get("subject_type") == "certificate" and e.get("action") == "issued"
    ]


# -- signing ----------------------------------------------------------------------------------------------------------


@check(
    "concurrency.signing.seal_first_use",
    title="The first uses of a firm's seal, all at once, get the one seal and no error",
    cites=(RULE_ONCE, "ETSI EN 319 412-3 (one seal certificate names the firm)", CSC_SAD),
    severity=Severity.MAJOR,
    needs=("otp", "review"),
)
def seal_first_use(ctx: CheckContext) -> None:
    holder = ctx.use(fixtures.accountant_active)
    body = {"credentialInfo": True, "certificates": "single"}
    responses = _together(
        ctx,
        [lambda: holders.csc(ctx, holder.tokens, "/credentials/list", body)] * PARALLEL,
        "first credentials/list calls of the firm's accountant",
    )
    seals: dict[str, set[str]] = {}
    for response in responses:
        ctx.expect(response.status_code == 200, f"a credentials/list call answered {response.status_code}")
        for info in response.json().get("credentialInfos") or []:
            if str(info.get("SCAL", "1")) == "2":
                continue
            encoded = (info.get("cert") or {}).get("certificates") or []
            serial = x509.load_der_x509_certificate(base64.b64decode(encoded[0])).serial_number if encoded else None
            seals.setdefault(str(info.get("credentialID")), set()).add(format(serial or 0, "x"))
    ctx.expect(seals, "no seal credential was listed for the accountant's opened firms")
    for credential_id, serials in seals.items():
        ctx.expect(
            len(serials) == 1,
            f"the parallel first uses of {credential_id} saw {len(serials)} different seal certificates",
        )


@check(
    "concurrency.signing.sad_once",
    title="A single-use SAD sent in parallel signHash calls signs once",
    cites=(CSC_SAD, RULE_ONCE),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def sad_once(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    wanted = holders.new_hashes(1)
    sad = holders.sad_for(ctx, holder, wanted)
    responses = _together(
        ctx, [lambda: holders.sign_hash(ctx, holder, sad, wanted)] * PARALLEL, "signHash calls with one SAD"
    )
    signed = [r for r in responses if r.status_code == 200]
    ctx.expect(len(signed) == 1, f"{len(signed)} of {PARALLEL} parallel signHash calls with one single-use SAD signed")
    _refused_with(ctx, responses, ("sad_used", "invalid_sad"), "a signHash call that lost the race")


# -- agreement --------------------------------------------------------------------------------------------------------


@check(
    "concurrency.agreement.right_code_once",
    title="The right SMS code sent in parallel signs the agreement once: one signature, one certificate",
    cites=(GUIDE_OTP, RULE_OTP, RULE_ONCE),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def right_code_once(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)
    responses = _together(ctx, [lambda: steps.sign(ctx, reg, code)] * PARALLEL, "submissions of the right code")
    signed = [r for r in responses if r.status_code == 200]
    ctx.expect(len(signed) == 1, f"{len(signed)} of {PARALLEL} parallel submissions of the right code signed")
    _refused_with(
        ctx,
        responses,
        ("registration_wrong_state", "otp_not_requested", "otp_used"),
        "a submission that lost the race",
    )
    ctx.harness.decide_review(reg.id, approve=True)
    state = steps.view(ctx, reg)["state"]
    ctx.expect(state == "certificate_issued", f"after the review approved it, the registration is {state}")
    events = _events(ctx, reg)
    signings = [e for e in events if e.get("to_state") == "agreement_signed"]
    ctx.expect(len(signings) == 1, f"the event log shows the agreement signed {len(signings)} times")
    serials = _issued_serials(events)
    ctx.expect(len(serials) == 1, f"the event log shows {len(serials)} certificates issued for one registration")


@check(
    "concurrency.agreement.wrong_codes_counted",
    title="Wrong SMS codes sent in parallel are counted one by one, then the code is locked",
    cites=(RULE_OTP, RULE_ONCE, "ANSSI, authentification multifacteur : nombre d'essais limité"),
    severity=Severity.CRITICAL,
    needs=("otp",),
)
def wrong_codes_counted(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)
    wrong = steps.wrong_code(code)
    tries = ctx.target.rules.otp_max_attempts
    count = max(PARALLEL, 3 * tries)
    responses = _together(ctx, [lambda: steps.sign(ctx, reg, wrong)] * count, "wrong codes")
    ctx.expect(not any(r.status_code == 200 for r in responses), "a wrong code signed the agreement")
    _refused_with(ctx, responses, ("otp_invalid", "otp_locked"), "a wrong code")
    compared = [r for r in responses if _code(r) == "otp_invalid"]
    ctx.expect(
        len(compared) <= tries,
        f"{len(compared)} of {count} parallel wrong codes were compared (otp_invalid), more than the {tries} allowed "
        "before the lock",
    )
    remaining = [r.json().get("attempts_remaining") for r in compared]
    counted = [n for n in remaining if isinstance(n, int)]
    ctx.expect(
        len(counted) == len(set(counted)),
        f"parallel wrong codes were told the same attempts_remaining {sorted(counted)}: not counted one by one",
    )
    ctx.expect_refusal(steps.sign(ctx, reg, code), (423, 429), "otp_locked", "the right code after the wrong ones")
    ctx.expect(steps.view(ctx, reg)["state"] == "documents_submitted", "a locked code signed the agreement")


@check(
    "concurrency.agreement.consent_once",
    title="Consents sent in parallel send one SMS code, and that code signs",
    cites=(GUIDE_OTP, RULE_OTP + " (resend cooldown)", RULE_ONCE),
    severity=Severity.MAJOR,
    needs=("otp", "outbox"),
)
def consent_once(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "documents_submitted")
    text = steps.agreement(ctx, reg)
    body = {"accept": True, "version": text["version"], "sha256": text["sha256"]}

    def consent() -> requests.Response:
        return ctx.http.post("trust", reg.path("/agreement/consent"), json=body, headers=reg.auth)

    responses = _together(ctx, [consent] * PARALLEL, "consents")
    sent = [r for r in responses if r.status_code == 200]
    ctx.expect(len(sent) == 1, f"{len(sent)} of {PARALLEL} parallel consents were answered as sending a code")
    _refused_with(ctx, responses, ("otp_resend_too_soon",), "a consent that lost the race")
    sms = [m for m in ctx.harness.sms(reg.phone_number) if m.get("related_id") == reg.id and m.get("otp_code")]
    ctx.expect(len(sms) == 1, f"{len(sms)} SMS codes were sent for {PARALLEL} parallel consents")
    ctx.expect_accepted(steps.sign(ctx, reg, ctx.harness.otp(reg.phone_number)), rule="the code of the one SMS")


# -- registration -----------------------------------------------------------------------------------------------------


@check(
    "concurrency.registration.cancel_or_sign",
    title="Cancel and sign at once: exactly one of them wins, and the request ends as the winner says",
    cites=(RULE_CANCEL, RULE_ONCE),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def cancel_or_sign(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    code = ctx.harness.otp(reg.phone_number)

    def cancel() -> requests.Response:
        return ctx.http.post("trust", reg.path("/cancel"), headers=reg.auth)

    def sign() -> requests.Response:
        return steps.sign(ctx, reg, code)

    half = PARALLEL // 2
    calls: list[Callable[[], requests.Response]] = [cancel, sign] * half
    responses = _together(ctx, calls, "cancels and signatures")
    cancelled = [r for c, r in zip(calls, responses, strict=True) if c is cancel and r.status_code == 200]
    signed = [r for c, r in zip(calls, responses, strict=True) if c is sign and r.status_code == 200]
    ctx.expect(
        len(cancelled) + len(signed) == 1,
        f"{len(cancelled)} cancel(s) and {len(signed)} signature(s) succeeded: exactly one must win",
    )
    _refused_with(
        ctx,
        responses,
        ("registration_not_cancellable", "registration_wrong_state", "otp_not_requested", "otp_used"),
        "a call that lost the race",
    )
    ctx.harness.decide_review(reg.id, approve=True)
    state = steps.view(ctx, reg)["state"]
    serials = _issued_serials(_events(ctx, reg))
    if cancelled:
        ctx.expect(state == "cancelled", f"the cancel won, but the request is {state}")
        ctx.expect(not serials, f"the cancelled request got {len(serials)} certificate(s)")
    else:
        ctx.expect(state == "certificate_issued", f"the signature won, but the request is {state}")
        ctx.expect(len(serials) == 1, f"the signed request got {len(serials)} certificates")


# -- certificate ------------------------------------------------------------------------------------------------------


@check(
    "concurrency.certificate.error_reports_serialised",
    title="Error reports sent in parallel leave one valid certificate, each report revoking the one it replaced",
    cites=(ACCEPTANCE, RULE_ONCE, "RFC 5280 §5.3.1 (reason code), superseded"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def error_reports_serialised(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "certificate_issued")

    def report() -> requests.Response:
        body = {"detail": "Mon nom de famille est mal orthographié."}
        return ctx.http.post("trust", reg.path("/certificate/report-error"), json=body, headers=reg.auth)

    responses = _together(ctx, [report] * PARALLEL, "error reports")
    accepted = [r for r in responses if r.status_code == 200]
    ctx.expect(accepted, "no parallel error report was accepted within the 48 hours")
    _refused_with(ctx, responses, ("registration_wrong_state", "certificate_already_revoked"), "a report")
    serials = _issued_serials(_events(ctx, reg))
    ctx.expect(
        len(serials) == len(accepted) + 1,
        f"{len(accepted)} accepted reports, but the event log shows {len(serials)} certificates issued "
        f"(expected {len(accepted) + 1}: the first and one per report)",
    )
    current = ctx.expect_status(ctx.http.get("trust", reg.path("/certificate"), headers=reg.auth), 200)
    ctx.expect(current.get("status") == "valid", f"after the reports the certificate is {current.get('status')}")
    cert = holders.certificate_of(current)
    revoked = {format(serial, "x") for serial in steps.revoked_serials(ctx, cert)}
    ctx.expect(format(cert.serial_number, "x") not in revoked, "the certificate left after the reports is on the CRL")
    still_valid = [s for s in serials if s != format(cert.serial_number, "x") and s not in revoked]
    ctx.expect(
        not still_valid,
        f"{len(still_valid)} replaced certificate(s) are not on the CRL: the holder has more than one valid "
        "certificate",
    )


# -- delegations ------------------------------------------------------------------------------------------------------


@check(
    "concurrency.delegations.granted_once",
    title="Parallel grants of the same delegation give one grant; the others are refused and nothing is doubled",
    cites=(RULE_DELEGATIONS, RULE_ONCE),
    severity=Severity.MAJOR,
    needs=("login",),
)
def granted_once(ctx: CheckContext) -> None:
    tokens = ctx.login("accountant")
    colleague = ctx.target.account("collaborator")
    if not colleague.firms or not colleague.user_id:
        ctx.skip("the target does not say which firm the collaborator account belongs to, or its user id")
    path = f"/firms/{colleague.firms[0]}/delegations"
    body = {"user_id": colleague.user_id, "kind": "prepare"}
    responses = _together(
        ctx,
        [lambda: ctx.http.post("platform", path, json=body, headers=tokens.bearer)] * PARALLEL,
        "grants of one delegation",
    )
    granted = [r for r in responses if r.status_code == 201]
    ctx.expect(len(granted) == 1, f"{len(granted)} of {PARALLEL} parallel grants of one delegation were made")
    _refused_with(ctx, responses, ("delegation_exists",), "a grant that lost the race")
    listed = ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]
    held = [d for d in listed if d.get("user_id") == colleague.user_id and d.get("kind") == "prepare"]
    ctx.expect(len(held) == 1, f"the firm lists the delegation {len(held)} times")


# -- sso --------------------------------------------------------------------------------------------------------------

RULE_CODE_ONCE = "RFC 6749 §4.1.2 and §10.5: an authorization code is used once; a second use MUST be denied"
RULE_REFRESH_ONCE = "RFC 9700 §4.14.2: a rotated refresh token is used once; its replay is denied"
#: Codes (refresh tokens) raced in turn by each check.
ROUNDS = 4


def _oauth_refused(ctx: CheckContext, responses: Sequence[requests.Response], what: str) -> None:
    """Every refused answer is RFC 6749 §5.2's 400 ``invalid_grant``."""
    for response in responses:
        if response.status_code == 200:
            continue
        body = sso.json_body(response)
        error = body.get("error") if isinstance(body, dict) else None
        ctx.expect(
            response.status_code == 400 and error == "invalid_grant",
            f"{what} answered {response.status_code} {error or '(no error code)'}, not 400 invalid_grant",
        )


@check(
    "concurrency.sso.code_redeemed_once",
    title="An authorization code redeemed in parallel gives one token response; the others are invalid_grant",
    cites=(RULE_CODE_ONCE, RULE_ONCE, "RFC 9700 §4.5: authorization code injection and replay"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def code_redeemed_once(ctx: CheckContext) -> None:
    """A fresh code, redeemed :data:`PARALLEL` times at once by its own client with its own redirect_uri and PKCE
    verifier: exactly one 200 with an access token, every other answer 400 ``invalid_grant``. Tried with
    :data:`ROUNDS` codes: the moment between a provider's lookup of the code and its write is short, and one round
    may not land in it."""
    for _ in range(ROUNDS):
        request, code = sso.fresh_code(ctx)
        redemption = functools.partial(sso.redeem_code, ctx, code, request.verifier)
        responses = _together(ctx, [redemption] * PARALLEL, "redemptions of one code")
        granted = [sso.granted(ctx, r, "a parallel redemption") for r in responses if r.status_code == 200]
        ctx.expect(len(granted) == 1, f"{len(granted)} of {PARALLEL} parallel redemptions of one code got tokens")
        _oauth_refused(ctx, responses, "a redemption that lost the race")


@check(
    "concurrency.sso.refresh_used_once",
    title="A refresh token used in parallel gives one new pair; the others are invalid_grant",
    cites=(RULE_REFRESH_ONCE, RULE_ONCE, "RFC 6749 §6"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def refresh_used_once(ctx: CheckContext) -> None:
    """:data:`ROUNDS` times, a fresh refresh token used :data:`PARALLEL` times at once by its client: exactly one
    200 when the SSO rotates refresh tokens (without rotation the check is SKIPPED), every other answer 400
    ``invalid_grant``."""
    for _ in range(ROUNDS):
        first = sso.new_tokens(ctx).get("refresh_token")
        if not isinstance(first, str):
            ctx.skip("the SSO issued no refresh token to this client (scope: " + ctx.target.scope + ")")
        use = functools.partial(sso.refresh_with, ctx, first)
        responses = _together(ctx, [use] * PARALLEL, "uses of one refresh token")
        granted = [sso.granted(ctx, r, "a parallel refresh") for r in responses if r.status_code == 200]
        if granted and all(g.get("refresh_token") in (None, first) for g in granted):
            ctx.skip("the SSO does not rotate refresh tokens (allowed when they are bound to an authenticated client)")
        ctx.expect(len(granted) == 1, f"{len(granted)} of {PARALLEL} parallel uses of one refresh token got tokens")
        _oauth_refused(ctx, responses, "a refresh that lost the race")
