"""Step 5, « validation de votre certificat »: the review's decision, the certificate, the 48-hour error report."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import requests
from cryptography import x509

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.plans.registration.fixtures import issued_registration, rejected_registration
from conformance.registry import check
from conformance.results import Severity

GUIDE_STEP_5 = (
    "Guide, « S'enregistrer : validation de votre certificat » : « Cela peut prendre jusqu'à 24 heures » ; "
    "« vous recevrez également un email de confirmation »"
)
ACCEPTANCE = (
    "Contrat de souscription, CERTIFICATE ACCEPTANCE : erreur signalée sous 48 heures → révocation et nouveau "
    "certificat ; après 48 heures, certificat présumé accepté"
)
RULE_5 = "DESIGN.md §2, step 5: review decision; e-mail on decision; error report within 48 h revokes and reissues"


def _certificate(ctx: CheckContext, reg: steps.Registration) -> dict[str, object]:
    found: dict[str, object] = ctx.expect_status(
        ctx.http.get("trust", reg.path("/certificate"), headers=reg.auth), 200, what="reading the certificate"
    )
    return found


@check(
    "registration.review.issued",
    title="An approved request gets its certificate, awaiting acceptance for 48 hours",
    cites=(GUIDE_STEP_5, ACCEPTANCE, RULE_5),
    severity=Severity.MAJOR,
    needs=("otp", "review"),
)
def issued(ctx: CheckContext) -> None:
    reg = ctx.use(issued_registration)
    found = _certificate(ctx, reg)
    ctx.expect(found["status"] == "valid", f"the new certificate is {found['status']}")
    ctx.expect(found["acceptance"] == "awaiting_acceptance", f"its acceptance is {found['acceptance']}")
    cert = x509.load_pem_x509_certificate(str(found["certificate_pem"]).encode())
    deadline = datetime.fromisoformat(str(found["error_report_deadline"]))
    window = deadline - cert.not_valid_before_utc
    hours = ctx.target.rules.error_report_hours
    ctx.expect(
        abs(window - timedelta(hours=hours)) <= timedelta(minutes=5),
        f"the error-report window is {window}, not {hours} hours",
    )
    names = cert.subject.get_attributes_for_oid(x509.NameOID.SURNAME)
    family = steps.view(ctx, reg)["applicant"]["family_name"]
    ctx.expect(names and names[0].value == family, "the certificate's surname is not the applicant's")


@check(
    "registration.review.within_24_hours",
    title="The identity review decides by the time it announces, and within 24 hours of the signature",
    cites=(GUIDE_STEP_5, "DESIGN.md §2, step 5: review decision within 24 h (mock clock)"),
    severity=Severity.MAJOR,
    needs=("otp", "clock"),
)
def within_24_hours(ctx: CheckContext) -> None:
    """The check leaves the review alone (no harness decision). The time the target announces for the decision
    (``review_due_at``), if it says one, must be between the signature and 24 hours after it; the clock is moved to
    that time, where the request must be decided, and in any case to the 24th hour after the signature (not
    before: a review may take all of it)."""
    reg = steps.walk(ctx, "consented")
    signed = ctx.expect_status(steps.sign(ctx, reg, ctx.harness.otp(reg.phone_number)), 200, what="signing")
    signed_at = datetime.fromisoformat(signed["agreement"]["signed_at"])
    deadline = signed_at + timedelta(hours=ctx.target.rules.review_hours)
    moments = [deadline]
    if signed.get("review_due_at"):
        due = datetime.fromisoformat(signed["review_due_at"])
        ctx.expect(
            signed_at <= due <= deadline,
            f"the review is announced for {due}, {_since(due, signed_at)}: not within {_since(deadline, signed_at)}",
        )
        moments.insert(0, due)
        if due <= signed_at:  # due by the signature itself: the signing answer already carries the decision
            ctx.expect(
                signed["state"] in DECIDED,
                f"the review is announced for {due}, by the signature, but the signing answer is {signed['state']}",
            )
    state, now = signed["state"], signed_at
    for moment in moments:
        if state in DECIDED:
            return
        if moment > now:
            ctx.harness.advance_clock((moment - now).total_seconds())
            now = moment
        state = steps.view(ctx, reg)["state"]
        ctx.expect(
            state in DECIDED,
            f"at {moment}, the time the review is due ({_since(moment, signed_at)}), the request is still {state}",
        )


@check(
    "registration.review.decided_when_due",
    title="A review announced for later is decided by then, though no request came in between",
    cites=(GUIDE_STEP_5, "DESIGN.md §2, step 5: review decision within 24 h (mock clock)"),
    severity=Severity.MAJOR,
    needs=("otp", "review", "clock"),
)
def decided_when_due(ctx: CheckContext) -> None:
    """The harness asks for the next review to be decided an hour later than the target would (the mock queues a
    ``review_delay`` scenario; a harness that cannot leaves the target's own delay). The agreement is signed; if the
    request is still pending, the clock is moved straight to the time announced (``review_due_at``, else the 24th
    hour), with no request in between, and the request must then be decided."""
    reg = steps.walk(ctx, "consented")
    ctx.harness.expect_review(approve=True, delay_seconds=3600)
    signed = ctx.expect_status(steps.sign(ctx, reg, ctx.harness.otp(reg.phone_number)), 200, what="signing")
    if signed["state"] in DECIDED:
        return
    signed_at = datetime.fromisoformat(signed["agreement"]["signed_at"])
    due = datetime.fromisoformat(signed.get("review_due_at") or "") if signed.get("review_due_at") else None
    moment = due or signed_at + timedelta(hours=ctx.target.rules.review_hours)
    ctx.harness.advance_clock(max(0.0, (moment - signed_at).total_seconds()))
    state = steps.view(ctx, reg)["state"]
    ctx.expect(state in DECIDED, f"at {moment}, when the review is due ({_since(moment, signed_at)}), it is {state}")


#: The states a review's decision leads to.
DECIDED = ("certificate_issued", "rejected")


def _since(moment: datetime, start: datetime) -> str:
    return f"{(moment - start).total_seconds() / 3600:g} h after the signature"


@check(
    "registration.review.decision_email",
    title="The applicant is e-mailed the review's decision, approval or rejection, its subject saying which",
    cites=(
        GUIDE_STEP_5,
        RULE_5,
        "Contrat de souscription, CERTIFICATE APPLICATION : « An electronic message is sent to the Certificate's "
        "Holder to inform them about the availability of their Certificate »",
    ),
    severity=Severity.MINOR,
    needs=("otp", "review", "outbox"),
)
def decision_email(ctx: CheckContext) -> None:
    """For an approved request and for a rejected one, the e-mails to the e-mail address the request was opened
    with, about that request: exactly one whose subject says the outcome (the certificate is available, validated;
    or the request is refused, could not succeed) and none whose subject says the other one."""
    email = ctx.target.account("accountant").email
    for fixture, outcome, other in (
        (issued_registration, "approval", "rejection"),
        (rejected_registration, "rejection", "approval"),
    ):
        reg = ctx.use(fixture)
        sent = [m for m in ctx.harness.emails(email) if m.get("related_id") == reg.id]
        for message in sent:
            ctx.expect(
                message.get("recipient") == email, f"an e-mail about {reg.id} went to {message.get('recipient')}"
            )
        subjects = [str(m.get("subject") or "") for m in sent]
        told = [_decision_told(subject) for subject in subjects]
        ctx.expect(told.count(outcome) == 1, f"after the {outcome}, the e-mails about the request are {subjects}")
        ctx.expect(other not in told, f"after the {outcome}, an e-mail's subject tells of a {other}: {subjects}")


#: What the subject of each decision's e-mail says: a refusal, or the guide's « Félicitations ! Votre identité a été
#: validée » and the agreement's "availability of their Certificate". A refusal is looked for first ("n'a pas été
#: validée" is one).
REFUSAL = re.compile(r"refus|rejet|n'a pas pu aboutir|pas été validée?", re.IGNORECASE)
APPROVAL = re.compile(r"disponible|validée?|félicitations", re.IGNORECASE)


def _decision_told(subject: str) -> str | None:
    if REFUSAL.search(subject):
        return "rejection"
    return "approval" if APPROVAL.search(subject) else None


@check(
    "registration.review.rejected",
    title="A rejected request gets no certificate and says why",
    cites=(GUIDE_STEP_5, RULE_5),
    severity=Severity.MAJOR,
    needs=("otp", "review"),
)
def rejected(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    ctx.harness.expect_review(approve=False, reason="document_unreadable")
    ctx.expect_status(steps.sign(ctx, reg, ctx.harness.otp(reg.phone_number)), 200, what="signing the agreement")
    ctx.harness.decide_review(reg.id, approve=False, reason="document_unreadable")
    seen = steps.view(ctx, reg)
    ctx.expect(seen["state"] == "rejected", f"the rejected request is {seen['state']}")
    ctx.expect(seen.get("rejection_reason"), "the rejection gives no reason")
    answer = ctx.http.get("trust", reg.path("/certificate"), headers=reg.auth)
    ctx.expect_refusal(answer, 404, "certificate_not_issued", "the certificate of a rejected request")


@check(
    "registration.review.error_report_revokes",
    title="An error reported within 48 hours revokes the certificate and issues a new one",
    cites=(ACCEPTANCE, RULE_5, "RFC 5280 §5.3.1 (reason code), superseded"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def error_report_revokes(ctx: CheckContext) -> None:
    """A report whose detail is blank, then one whose detail is a number: each refused (400
    ``error_report_incomplete``) with the certificate unchanged. Then a report saying what is wrong: accepted; a new
    certificate, valid, and the old one on its CRL."""
    reg = steps.walk(ctx, "certificate_issued")
    old = _certificate(ctx, reg)
    for detail in ("  \n ", 12):
        answer = ctx.http.post(
            "trust", reg.path("/certificate/report-error"), json={"detail": detail}, headers=reg.auth
        )
        ctx.expect_refusal(answer, 400, "error_report_incomplete", f"an error report whose detail is {detail!r}")
        unchanged = _certificate(ctx, reg)
        ctx.expect(unchanged["serial_number"] == old["serial_number"], f"the report {detail!r} changed the certificate")
    answer = ctx.http.post(
        "trust",
        reg.path("/certificate/report-error"),
        json={"detail": "Mon prénom est mal orthographié."},
        headers=reg.auth,
    )
    ctx.expect_accepted(answer, rule="reporting an error within the window")
    new = _certificate(ctx, reg)
    ctx.expect(new["serial_number"] != old["serial_number"], "no new certificate was issued")
    ctx.expect(new["status"] == "valid", f"the new certificate is {new['status']}")
    old_cert = x509.load_pem_x509_certificate(str(old["certificate_pem"]).encode())
    ctx.expect(
        old_cert.serial_number in steps.revoked_serials(ctx, old_cert),
        "the CRL does not list the certificate reported as wrong",
    )


@check(
    "registration.review.error_report_window",
    title="An error report is taken one second before the 48 hours are over, and refused one second after",
    cites=(ACCEPTANCE, RULE_5, "docs/registration.md, step 5: a new 48-hour window starts with the new certificate"),
    severity=Severity.MAJOR,
    needs=("otp", "review", "clock"),
)
def error_report_window(ctx: CheckContext) -> None:
    """At issuance + ``rules.error_report_hours`` - 1 s the certificate still awaits acceptance and a report is
    accepted (it is revoked, another is issued); the new certificate's own window ends ``error_report_hours``
    after its issuance (its ``error_report_deadline``); one second after that, a report is refused
    (``error_report_window_closed``) and the certificate reads ``presumed_accepted``."""
    reg = steps.walk(ctx, "certificate_issued")
    hours = ctx.target.rules.error_report_hours
    window = hours * 3600
    ctx.harness.advance_clock(window - 1)
    old = _certificate(ctx, reg)
    ctx.expect(old["acceptance"] == "awaiting_acceptance", f"1 s before the {hours} hours, it is {old['acceptance']}")
    answer = _report(ctx, reg, "Mon nom de famille est mal orthographié.")
    ctx.expect_accepted(answer, rule=f"an error report 1 s before the {hours} hours are over")
    new = _certificate(ctx, reg)
    ctx.expect(new["serial_number"] != old["serial_number"], "the report 1 s before the end issued no new certificate")
    reissued = datetime.fromisoformat(str(old["error_report_deadline"])) - timedelta(seconds=1)
    deadline = datetime.fromisoformat(str(new["error_report_deadline"]))
    ctx.expect(
        deadline == reissued + timedelta(seconds=window),
        f"the new certificate's window ends {deadline}, not {hours} hours after it was issued ({reissued})",
    )
    ctx.harness.advance_clock(window + 1)
    acceptance = _certificate(ctx, reg)["acceptance"]
    ctx.expect(acceptance == "presumed_accepted", f"{hours} hours and 1 s after its issuance it is {acceptance}")
    answer = _report(ctx, reg, "Trop tard.")
    ctx.expect_refusal(answer, 409, "error_report_window_closed", f"an error report {hours} hours and 1 s on")


@check(
    "registration.review.presumed_acceptance",
    title="A new certificate awaits acceptance until the 48 hours are over, then is presumed accepted",
    cites=(ACCEPTANCE, RULE_5),
    severity=Severity.MAJOR,
    needs=("otp", "review", "clock"),
)
def presumed_acceptance(ctx: CheckContext) -> None:
    """With no error reported: ``acceptance`` is ``awaiting_acceptance`` at issuance + ``rules.error_report_hours``
    - 1 s, and ``presumed_accepted`` at + 1 s (the agreement: "After the forty-eight (48) hour period has passed
    ... the Certificate will be assumed to have been accepted")."""
    reg = steps.walk(ctx, "certificate_issued")
    hours = ctx.target.rules.error_report_hours
    ctx.harness.advance_clock(hours * 3600 - 1)
    before = _certificate(ctx, reg)["acceptance"]
    ctx.expect(before == "awaiting_acceptance", f"1 s before the {hours} hours are over the certificate is {before}")
    ctx.harness.advance_clock(2)
    after = _certificate(ctx, reg)["acceptance"]
    ctx.expect(after == "presumed_accepted", f"1 s after the {hours} hours the certificate is {after}")


def _report(ctx: CheckContext, reg: steps.Registration, detail: str) -> requests.Response:
    return ctx.http.post("trust", reg.path("/certificate/report-error"), json={"detail": detail}, headers=reg.auth)


@check(
    "registration.review.match_account",
    title="matchAccount answers the level and status of the e-mail's certificate: none before signing, valid, revoked",
    cites=(
        "Universign REST API v1, matchAccount: the level and status of the certificate held by an e-mail address",
        "docs/registration.md, the operator calls: awaiting-validation, valid or revoked; 404 account_not_found",
    ),
    severity=Severity.MAJOR,
    needs=("otp", "review", "revoke"),
)
def match_account(ctx: CheckContext) -> None:
    """With the operator's credentials, for the e-mail of the ``no_mobile`` account (which no other check opens
    registrations for), on a registration of its own (the e-mail's latest): before the agreement is signed, 404
    ``account_not_found``; once the certificate is issued, that registration, its level and ``valid``; once the
    certificate is revoked, ``revoked``; and a newer request cancelled before signing changes nothing of it. Newer
    requests of two other people (the ``accountant`` and the ``second_accountant``, whose e-mails sort on either
    side of it or on one) change nothing either: an e-mail compared by order rather than by equality answers one
    of theirs."""
    role = "no_mobile"  # an account no other check opens registrations for, so that this one is the e-mail's latest
    email = ctx.target.account(role).email
    reg = steps.walk(ctx, "documents_submitted", reg=steps.create(ctx, role=role, level="qcp"))

    def matched() -> requests.Response:
        return ctx.http.get("trust", "/accounts/match", params={"email": email}, auth=steps.operator_auth(ctx))

    ctx.expect_refusal(matched(), 404, "account_not_found", "matchAccount before the agreement is signed")
    steps.walk(ctx, "certificate_issued", reg=reg)
    if "clock" in ctx.harness.capabilities:
        ctx.harness.advance_clock(1)  # newer on a clock that stands still between moves, as the mock's
    for other in ("accountant", "second_accountant"):
        steps.create(ctx, role=other)
    found = ctx.expect_accepted(matched(), rule="matchAccount once the certificate is issued")
    seen = (found.get("registration_id"), found.get("level"), found.get("status"))
    ctx.expect(seen == (reg.id, "qcp", "valid"), f"matchAccount answers {seen}, not {(reg.id, 'qcp', 'valid')}")
    ctx.harness.revoke_certificate(str(_certificate(ctx, reg)["id"]), "unspecified")
    newer = steps.create(ctx, role=role)
    ctx.expect_accepted(ctx.http.post("trust", newer.path("/cancel"), headers=newer.auth), rule="cancelling")
    found = ctx.expect_status(matched(), 200, what="matchAccount once the certificate is revoked")
    after = (found.get("registration_id"), found.get("status"))
    ctx.expect(after == (reg.id, "revoked"), f"after the revocation matchAccount answers {after}")
