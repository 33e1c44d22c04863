"""The applicant's steps at the trust provider (Universign), behind the registration's session token.

Identity (step 2), the subscription agreement signed with an SMS code (step 4), cancellation before the signature,
the error report within 48 hours of issuance, the certificate and the event log. The identity document (step 3) is
:mod:`mock_provider.core.registration.identity_document`.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from sqlalchemy import select

from mock_provider.core import events, otp, outbox, registration_breakages
from mock_provider.core.base import token_digest
from mock_provider.core.errors import Conflict, Gone, InvalidInput, NotFound
from mock_provider.core.events import EventJson
from mock_provider.core.misbehaviour import scenarios
from mock_provider.core.misbehaviour.areas.registration import (
    AGREEMENT_HASH_UNCHECKED,
    AGREEMENT_VERSION_UNCHECKED,
    BIRTH_DATE_OPTIONAL,
    BLANK_ERROR_REPORT_ACCEPTED,
    CANCEL_AFTER_SIGNING,
    CANCEL_RACE,
    CANCELLATION_REFUSED,
    CONSENT_RACE,
    CONSENTS_OPTIONAL,
    ERROR_REPORT_AFTER_WINDOW,
    ERROR_REPORT_KEEPS_CERTIFICATE,
    ERROR_REPORT_RACE,
    EVENT_LOG_INCOMPLETE,
    IDENTITY_RESUBMITTED,
    ILLEGAL_TRANSITION_ACCEPTED,
    MALFORMED_OTP_COUNTED,
    MINOR_ACCEPTED,
    OTHER_REGISTRATION_VISIBLE,
    PHONE_UNMASKED,
    RIGHT_CODE_RACE,
    WRONG_CODES_RACE,
)
from mock_provider.core.models import TrustRegistration
from mock_provider.core.registration.review import Review
from mock_provider.core.registration.shapes import CertificateView, CodeSent, RegistrationView
from mock_provider.core.registration.states import (
    AGREEMENT_SIGNED,
    CANCELLABLE,
    CANCELLED,
    CERTIFICATE_ISSUED,
    CREATED,
    DOCUMENTS_SUBMITTED,
    EXPIRED,
    IDENTITY_SUBMITTED,
    PENDING_VALIDATION,
    SESSION_DAYS,
    session_expiry,
)
from mock_provider.core.registration.texts import AGREEMENT, AGREEMENT_PURPOSE, IDENTITY_INCOMPLETE_MESSAGE
from mock_provider.core.registration.views import mask_phone

#: No applicant is born before this (step 2); a date such as 0001-01-01 is a typing error, not an identity.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def _age(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


class ApplicantSteps(Review):
    """The applicant's steps at the trust provider, authorised by the registration's session token."""

    def authorise(self, registration_id: str, token: str | None) -> None:
        """Check that ``token`` is the session token of that registration; anything else is "not found".

        A session :data:`~mock_provider.core.registration.states.SESSION_DAYS` days old and unfinished is over: the
        registration moves to ``expired`` and its token is refused (``410 registration_expired``).
        """
        with self.db.transaction() as session:
            reg = session.get(TrustRegistration, registration_id)
            if reg is None or token is None or not secrets.compare_digest(reg.session_token_hash, token_digest(token)):
                if OTHER_REGISTRATION_VISIBLE in self.breakages and reg is not None and token is not None:
                    digest = token_digest(token)
                    opener = select(TrustRegistration.id).where(TrustRegistration.session_token_hash == digest)
                    if session.scalar(opener) is not None:  # any registration's session token opens every one
                        return
                raise NotFound(f"no registration {registration_id}", code="registration_not_found")
            if not self._expire_if_due(session, reg, self._now()):
                return
            # A move to ``expired`` is kept: the error is raised once the transaction has committed.
            expired_at = session_expiry(reg).isoformat()
        raise Gone(
            f"this registration session expired on {expired_at} ({SESSION_DAYS} days after it was opened): "
            "ask for a new registration",
            code="registration_expired",
            extra={"state": EXPIRED, "expired_at": expired_at},
        )

    def get(self, registration_id: str) -> RegistrationView:
        self.settle()
        with self.db.read() as session:
            return self._view(session, self._load(session, registration_id))

    def submit_identity(
        self, registration_id: str, *, birth_date: object, accept_terms: object, accept_privacy_policy: object
    ) -> RegistrationView:
        """Step 2, "création du certificat : identité": birth date and both consents are mandatory."""
        errors = []
        parsed: date | None = None
        if isinstance(birth_date, str) and birth_date.strip():
            try:
                parsed = date.fromisoformat(birth_date.strip())
            except ValueError:
                errors.append({"field": "birth_date", "code": "invalid_date", "detail": "YYYY-MM-DD"})
        elif BIRTH_DATE_OPTIONAL in self.breakages:
            parsed = date(1970, 1, 1)
        else:
            errors.append({"field": "birth_date", "code": "required", "detail": "required"})
        consents_needed = CONSENTS_OPTIONAL not in self.breakages
        if accept_terms is not True and consents_needed:
            errors.append({"field": "accept_terms", "code": "required", "detail": "tick the box"})
        if accept_privacy_policy is not True and consents_needed:
            errors.append({"field": "accept_privacy_policy", "code": "required", "detail": "tick the box"})
        if errors:
            raise InvalidInput(IDENTITY_INCOMPLETE_MESSAGE, code="identity_incomplete", errors=errors)
        assert parsed is not None
        today = self.clock.now().date()
        if parsed > registration_breakages.latest_birth_date(today, self.breakages):
            raise InvalidInput(
                "the birth date is in the future",
                code="invalid_birth_date",
                errors=[{"field": "birth_date", "code": "invalid_date", "detail": "in the future"}],
            )
        if parsed < registration_breakages.earliest_birth_date(EARLIEST_BIRTH_DATE, self.breakages):
            raise InvalidInput(
                f"the birth date is before {EARLIEST_BIRTH_DATE.isoformat()}",
                code="invalid_birth_date",
                errors=[{"field": "birth_date", "code": "invalid_date", "detail": "too far in the past"}],
            )
        age_on = registration_breakages.age_reference(today, self.breakages)
        if _age(parsed, age_on) < 18 and MINOR_ACCEPTED not in self.breakages:
            raise InvalidInput(
                "a certificate is issued to adults only",
                code="applicant_under_age",
                errors=[{"field": "birth_date", "code": "under_age", "detail": "under 18"}],
            )
        with self.db.transaction() as session:
            reg = self._load(session, registration_id, lock=True)
            # Once given, the identity is not replaced: a second submission is refused, not written over the first.
            again: tuple[str, ...] = (IDENTITY_SUBMITTED,) if IDENTITY_RESUBMITTED in self.breakages else ()
            again += registration_breakages.resumable_states(self.breakages)
            self._require_state(reg, (CREATED, *again), "submit the identity")
            now = self._now()
            reg.birth_date = parsed
            reg.terms_accepted_at = reg.privacy_accepted_at = now
            self._move(session, reg, IDENTITY_SUBMITTED, actor=reg.user_id, action="identity_submitted", now=now)
            return self._view(session, reg)

    def consent_agreement(self, registration_id: str, *, version: object, sha256: object) -> CodeSent:
        """Step 4: ticking the consent box sends a 6-digit code by SMS to the mobile (shown masked)."""
        if (
            (version != AGREEMENT.version and AGREEMENT_VERSION_UNCHECKED not in self.breakages)
            or sha256 != AGREEMENT.sha256
        ) and AGREEMENT_HASH_UNCHECKED not in self.breakages:
            raise Conflict(
                f"the agreement presented is version {AGREEMENT.version} (sha256 {AGREEMENT.sha256})",
                code="agreement_version_mismatch",
            )
        return self._send_code(registration_id, action="agreement_consented")

    def resend_code(self, registration_id: str) -> CodeSent:
        return self._send_code(registration_id, action="code_resent", require_consent=True)

    def _send_code(self, registration_id: str, *, action: str, require_consent: bool = False) -> CodeSent:
        with self.db.transaction(lock=CONSENT_RACE not in self.breakages) as session:
            reg = self._load(session, registration_id, lock=True)
            if ILLEGAL_TRANSITION_ACCEPTED not in self.breakages:
                self._require_state(reg, (DOCUMENTS_SUBMITTED,), "sign the subscription agreement")
            if require_consent and reg.agreement_version is None:
                raise Conflict("consent to the agreement first", code="agreement_not_consented")
            now = self._now()
            issued = otp.issue(
                session,
                key=self.otp_key,
                policy=registration_breakages.otp_policy(self.otp_policy, self.breakages),
                registration_id=reg.id,
                purpose=AGREEMENT_PURPOSE,
                phone_number=reg.phone_number,
                now=registration_breakages.otp_clock(now, self.breakages),
                max_codes=registration_breakages.max_codes(self.breakages),
                breakages=self.breakages,
            )
            reg.agreement_version, reg.agreement_sha256 = AGREEMENT.version, AGREEMENT.sha256
            forced = scenarios.consume(session, "sms_undelivered", now)
            delivered = forced is None and not scenarios.sms_undelivered(reg.phone_number)
            minutes = registration_breakages.sms_minutes(self.config.otp_validity_seconds // 60, self.breakages)
            outbox.send(
                session,
                channel="sms",
                recipient=reg.phone_number,
                body=f"Votre code de signature de l'accord de souscription : {issued.code}. Valable {minutes} minutes.",
                otp_code=issued.code,
                delivered=delivered,
                related_id=reg.id,
                at=now,
            )
            events.record(
                session,
                subject_type="registration",
                subject_id=reg.id,
                actor=reg.user_id,
                action=action,
                at=now,
                detail={"agreement_version": AGREEMENT.version, "otp": issued.id},
            )
            return {
                "phone_masked": reg.phone_number
                if PHONE_UNMASKED in self.breakages
                else registration_breakages.masked_shown(
                    mask_phone(reg.phone_number), reg.phone_number, self.breakages
                ),
                "phone_last_digits": registration_breakages.last_digits_shown(
                    reg.phone_number[-4:], reg.phone_number, self.breakages
                ),
                "expires_at": registration_breakages.announced_expiry(issued, self.otp_policy, self.breakages),
                "resend_available_at": issued.resend_available_at.isoformat(),
                "validity_seconds": self.config.otp_validity_seconds,
            }

    def sign_agreement(self, registration_id: str, *, code: object) -> RegistrationView:
        """Step 4 end: the right code signs the agreement; the request goes to review and can't be cancelled."""
        if (not isinstance(code, str) or not re.fullmatch(r"\s*[0-9]{6}\s*", code)) and not (
            MALFORMED_OTP_COUNTED in self.breakages and isinstance(code, str)
        ):
            raise InvalidInput(
                "the SMS code has six digits",
                code="otp_malformed",
                errors=[{"field": "otp", "code": "invalid_format", "detail": "six digits"}],
            )
        unlocked = (
            RIGHT_CODE_RACE in self.breakages or WRONG_CODES_RACE in self.breakages or CANCEL_RACE in self.breakages
        )
        with self.db.transaction(lock=not unlocked) as session:
            reg = self._load(session, registration_id, lock=True)
            self._require_state(reg, (DOCUMENTS_SUBMITTED,), "sign the subscription agreement")
            if reg.agreement_version is None:
                raise Conflict("consent to the agreement first", code="agreement_not_consented")
            now = self._now()
            outcome = otp.verify(
                session,
                key=self.otp_key,
                policy=registration_breakages.otp_policy(self.otp_policy, self.breakages),
                registration_id=reg.id,
                purpose=AGREEMENT_PURPOSE,
                code=code,
                now=registration_breakages.otp_clock(now, self.breakages),
                breakages=self.breakages,
            )
            if outcome.ok:
                reg.agreement_signed_at = now
                self._move(
                    session,
                    reg,
                    AGREEMENT_SIGNED,
                    actor=reg.user_id,
                    action="agreement_signed",
                    now=now,
                    detail={"agreement_version": reg.agreement_version, "agreement_sha256": reg.agreement_sha256},
                )
                self._submit_for_review(session, reg, now)
                view = self._view(session, reg)
            else:
                events.record(
                    session,
                    subject_type="registration",
                    subject_id=reg.id,
                    actor=reg.user_id,
                    action="otp_refused",
                    at=now,
                    detail={"code": outcome.error.code if outcome.error else None},
                )
        # Raised after the commit, so that the wrong try stays counted.
        if outcome.error is not None:
            raise registration_breakages.otp_refusal(outcome.error, self.breakages)
        return view

    def cancel(self, registration_id: str, *, actor: str) -> RegistrationView:
        with self.db.transaction(lock=CANCEL_RACE not in self.breakages) as session:
            reg = self._load(session, registration_id, lock=True)
            if reg.state not in self._cancellable_states():
                raise Conflict(
                    "after the agreement is signed the certificate request can no longer be cancelled"
                    if reg.state not in (CANCELLED,)
                    else "the request is already cancelled",
                    code="registration_not_cancellable",
                )
            self._move(session, reg, CANCELLED, actor=actor, action="cancelled", now=self._now())
            return self._view(session, reg)

    def report_error(self, registration_id: str, *, detail: object) -> RegistrationView:
        """Within 48 hours of issuance the holder may report an error: revoke, then reissue on the same request."""
        if not isinstance(detail, str) or (not detail.strip() and BLANK_ERROR_REPORT_ACCEPTED not in self.breakages):
            raise InvalidInput(
                "say what is wrong in the certificate",
                code="error_report_incomplete",
                errors=[{"field": "detail", "code": "required", "detail": "required"}],
            )
        with self.db.transaction(lock=ERROR_REPORT_RACE not in self.breakages) as session:
            reg = self._load(session, registration_id, lock=True)
            self._require_state(reg, (CERTIFICATE_ISSUED,), "report an error in the certificate")
            assert reg.issued_at is not None
            assert reg.certificate_id is not None
            now = self._now()
            hours = registration_breakages.error_report_hours(self.config.error_report_hours, self.breakages)
            window_over = now >= reg.issued_at + timedelta(hours=hours)
            if window_over and ERROR_REPORT_AFTER_WINDOW not in self.breakages:
                raise Conflict(
                    f"the {self.config.error_report_hours}-hour window is over: the certificate is presumed accepted",
                    code="error_report_window_closed",
                )
            old = reg.certificate_id
            if ERROR_REPORT_KEEPS_CERTIFICATE not in self.breakages:
                self.pki.revoke(old, "superseded", session=session)
            events.record(
                session,
                subject_type="certificate",
                subject_id=old,
                actor=reg.user_id,
                action="revoked",
                at=now,
                detail={"reason": "superseded", "registration": reg.id, "report": detail.strip()[:500]},
                related_id=reg.id,
            )
            self._issue(session, reg, now, action="reissued")
            outbox.send(
                session,
                channel="email",
                recipient=reg.applicant_email,
                subject="Votre nouveau certificat est disponible",
                body=(
                    f"Bonjour {reg.given_name} {reg.family_name},\n\nSuite à votre signalement, votre certificat a "
                    "été révoqué et un nouveau certificat de signature électronique de l'ordre (TEST) a été émis. "
                    f"Vérifiez ses informations : vous pouvez signaler une erreur pendant "
                    f"{self.config.error_report_hours} heures."
                ),
                related_id=reg.id,
                at=now,
            )
            return self._view(session, reg)

    def certificate(self, registration_id: str) -> CertificateView:
        self.settle()
        with self.db.read() as session:
            reg = self._load(session, registration_id)
            if reg.certificate_id is None:
                raise NotFound("no certificate has been issued for this registration", code="certificate_not_issued")
            return self._certificate_view(reg)

    def event_log(self, registration_id: str) -> list[EventJson]:
        with self.db.read() as session:
            reg = self._load(session, registration_id)
            logged = [e.as_json() for e in events.history(session, reg.id)]
            if EVENT_LOG_INCOMPLETE in self.breakages:
                logged = [e for e in logged if e["action"] != "agreement_signed"]
            return registration_breakages.logged(logged, self.breakages)

    def _cancellable_states(self) -> tuple[str, ...]:
        """:data:`CANCELLABLE`, unless a rule breakage is on."""
        if CANCELLATION_REFUSED in self.breakages:
            return ()
        if CANCEL_AFTER_SIGNING in self.breakages:
            return (*CANCELLABLE, AGREEMENT_SIGNED, PENDING_VALIDATION, CERTIFICATE_ISSUED)
        return CANCELLABLE
