"""Step 5, « validation de votre certificat »: the review's decision, the certificate, the 48-hour error report."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509

from conformance.context import CheckContext
from conformance.plans.registration import steps
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
    reg = steps.walk(ctx, "certificate_issued")
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
    title="The identity review decides within 24 hours",
    cites=(GUIDE_STEP_5, "DESIGN.md §2, step 5: review decision within 24 h"),
    severity=Severity.MAJOR,
    needs=("otp", "clock"),
)
def within_24_hours(ctx: CheckContext) -> None:
    """The check leaves the review alone (no harness decision) and lets 24 hours pass."""
    reg = steps.walk(ctx, "consented")
    ctx.expect_status(steps.sign(ctx, reg, ctx.harness.otp(reg.phone_number)), 200, what="signing the agreement")
    ctx.harness.advance_clock(ctx.target.rules.review_hours * 3600)
    state = steps.view(ctx, reg)["state"]
    ctx.expect(state in ("certificate_issued", "rejected"), f"24 hours after signing the request is still {state}")


@check(
    "registration.review.decision_email",
    title="The applicant is e-mailed when the review decides",
    cites=(GUIDE_STEP_5, RULE_5),
    severity=Severity.MINOR,
    needs=("otp", "review", "outbox"),
)
def decision_email(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "certificate_issued")
    email = steps.view(ctx, reg)["applicant"]["email"]
    related = [m for m in ctx.harness.emails(email) if m.get("related_id") == reg.id]
    ctx.expect(len(related) >= 2, f"{len(related)} e-mails about the request (expected: submitted, then decided)")


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
    reg = steps.walk(ctx, "certificate_issued")
    old = _certificate(ctx, reg)
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
    title="After 48 hours the certificate is presumed accepted: an error report is refused",
    cites=(ACCEPTANCE, RULE_5),
    severity=Severity.MAJOR,
    needs=("otp", "review", "clock"),
)
def error_report_window(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "certificate_issued")
    ctx.harness.advance_clock(ctx.target.rules.error_report_hours * 3600 + 1)
    ctx.expect(_certificate(ctx, reg)["acceptance"] == "presumed_accepted", "after 48 hours it is not accepted")
    answer = ctx.http.post(
        "trust", reg.path("/certificate/report-error"), json={"detail": "Trop tard."}, headers=reg.auth
    )
    ctx.expect_refusal(answer, 409, "error_report_window_closed", "an error report after 48 hours")
