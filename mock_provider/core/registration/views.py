"""The registration's views: the JSON-ready values its calls answer, and the phone number as the guide masks it.

The views read the rows the caller loaded, in the caller's session; they change nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core import accounts, registration_breakages
from mock_provider.core.misbehaviour.areas.registration import (
    ACCEPTED_AT_ONCE,
    ACTIVE_FIRMS_OF_OTHERS,
    EXPIRED_CERTIFICATE_READS_VALID,
    REJECTION_REASON_ON_LIVE_REQUEST,
    REJECTION_REASON_UNTOLD,
)
from mock_provider.core.models import (
    PlatformAccount,
    TermsAcceptance,
    TrustRegistration,
    User,
)
from mock_provider.core.pki import profiles
from mock_provider.core.registration.shapes import CertificateView, ProfileView, RegistrationView, TrustSummary
from mock_provider.core.registration.states import (
    CANCELLABLE,
    CANCELLED,
    CERTIFICATE_ISSUED,
    PENDING_VALIDATION,
    REJECTED,
    TRUST_NEXT_ACTION,
    Transitions,
)


def mask_phone(phone_number: str) -> str:
    """Only the last four digits stay visible, as the guide's "envoyé par SMS au 8795"."""
    return "*" * (len(phone_number) - 4) + phone_number[-4:]


class Views(Transitions):
    """What the registration's calls answer: the person's profile, the request, the certificate."""

    def _profile(self, session: Session, user: User, account: PlatformAccount | None) -> ProfileView:
        return {
            "given_name": user.given_name,
            "family_name": user.family_name,
            "email": user.email,
            "firms": [{"id": f.id, "name": f.name} for f in accounts.firms_of(session, user.id)],
            "mobile_number": (account.mobile_number if account else None) or user.phone_number,
            "mobile_number_confirmed": bool(account and account.profile_confirmed_at),
            "read_only_fields": ["given_name", "family_name", "email", "firms"],
        }

    def _trust_summary(self, reg: TrustRegistration) -> TrustSummary:
        summary: TrustSummary = {
            "id": reg.id,
            "state": reg.state,
            "level": reg.level,
            "certificate_id": reg.certificate_id,
        }
        if (
            reg.state == REJECTED and REJECTION_REASON_UNTOLD not in self.breakages
        ) or REJECTION_REASON_ON_LIVE_REQUEST in self.breakages:
            summary["rejection_reason"] = reg.rejection_reason
        return summary

    def _active_firm_ids(self, session: Session, user_id: str) -> list[str]:
        if ACTIVE_FIRMS_OF_OTHERS in self.breakages:  # people compared by order, not equality
            mine = select(TermsAcceptance.firm_id).where(TermsAcceptance.user_id >= user_id)
            return sorted(set(session.scalars(mine).all()))
        return sorted(session.scalars(select(TermsAcceptance.firm_id).where(TermsAcceptance.user_id == user_id)).all())

    def _view(self, session: Session, reg: TrustRegistration) -> RegistrationView:
        view: RegistrationView = {
            "id": reg.id,
            "state": reg.state,
            "next_action": TRUST_NEXT_ACTION[reg.state],
            "level": reg.level,
            "language": reg.language,
            "applicant": {
                "email": reg.applicant_email,
                "given_name": reg.given_name,
                "family_name": reg.family_name,
                "phone_masked": mask_phone(reg.phone_number),
            },
            "birth_date_given": reg.birth_date is not None,
            "document_type": reg.document_type,
            "agreement": {
                "version": reg.agreement_version,
                "sha256": reg.agreement_sha256,
                "signed_at": reg.agreement_signed_at.isoformat() if reg.agreement_signed_at else None,
            },
            "cancellable": reg.state in CANCELLABLE,
            "review_due_at": reg.review_due_at.isoformat() if reg.review_due_at else None,
            "rejection_reason": reg.rejection_reason,
            "certificate_id": reg.certificate_id,
            "created_at": reg.created_at.isoformat(),
            "updated_at": reg.updated_at.isoformat(),
        }
        # The applicant's part ends once the agreement is signed: from then on the pages may send them back.
        if reg.state in (PENDING_VALIDATION, CERTIFICATE_ISSUED, REJECTED, CANCELLED) and reg.redirect_url:
            separator = "&" if "?" in reg.redirect_url else "?"
            view["return_url"] = f"{reg.redirect_url}{separator}registration_id={reg.id}&outcome={reg.state}"
        return view

    def _certificate_view(self, reg: TrustRegistration) -> CertificateView:
        from cryptography.hazmat.primitives.serialization import Encoding

        assert reg.certificate_id is not None
        assert reg.issued_at is not None
        record = self.pki.get_certificate(reg.certificate_id)
        window_end = reg.issued_at + timedelta(hours=self.config.error_report_hours)
        presumed_from = registration_breakages.presumed_accepted_from(window_end, self.breakages)
        now = self.clock.now()
        chain = [
            self.pki.hierarchy()[role].certificate.public_bytes(Encoding.PEM).decode()
            for role in (profiles.PERSON_CA, profiles.ROOT)
        ]
        return {
            "id": record.id,
            "registration_id": reg.id,
            "level": reg.level,
            "status": "valid"
            if EXPIRED_CERTIFICATE_READS_VALID in self.breakages and record.status_at(now) == "expired"
            else record.status_at(now),
            "acceptance": "presumed_accepted"
            if now >= presumed_from or ACCEPTED_AT_ONCE in self.breakages
            else "awaiting_acceptance",
            "error_report_deadline": window_end.isoformat(),
            "subject": record.subject,
            "serial_number": format(record.serial, "x"),
            "not_before": record.not_before.isoformat(),
            "not_after": record.not_after.isoformat(),
            "certificate_pem": record.certificate.public_bytes(Encoding.PEM).decode(),
            "chain_pem": chain,
        }
