"""The certificate after step 5: e-mails before it expires; its holder revokes it, with an SMS code and a reason; once
it has ended (revoked, or past its notAfter) the person starts a new request, and the registration runs again at
the trust provider.

Expiry notices go out :data:`EXPIRY_NOTICE_DAYS` days before the notAfter of a personal certificate that is neither
revoked nor expired, on the mock clock, each once (a row per certificate and delay, taken under the registration's
lock): they are settled by every call, as the automatic review is (:meth:`CertificateLifecycle.settle`), and cost a
counter read while none is due.

Revocation is the holder's own act, as at Universign: a code sent by SMS to the certificate's mobile
(:meth:`CertificateLifecycle.send_revocation_code`), then the code and a reason
(:meth:`CertificateLifecycle.revoke_certificate`). The revocation is at once on the CRL and in OCSP, the personal
credential signs nothing more (``credential_revoked``), an e-mail confirms it, and the platform shows the person
``certificate_revoked`` with a new request as the next action. A wrong code counts as an attempt (the code locks
after ``otp_max_attempts``); at most :data:`REVOCATION_CODES_PER_WINDOW` codes an hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mock_provider.core import events, otp, outbox
from mock_provider.core.errors import Conflict, InvalidInput, NotFound
from mock_provider.core.misbehaviour.areas.registration import (
    EXPIRY_NOTICE_EVERY_CALL,
    HOLDER_REVOCATION_REASON_DROPPED,
    HOLDER_REVOCATION_WITHOUT_CODE,
)
from mock_provider.core.models import CertificateNotice, IssuedCertificate, PlatformAccount, TrustRegistration
from mock_provider.core.pki.authority import REVISION_COUNTER as PKI_REVISION
from mock_provider.core.registration.platform import PlatformSteps
from mock_provider.core.registration.shapes import CertificateView, CodeSent
from mock_provider.core.registration.states import CERTIFICATE_ISSUED
from mock_provider.core.registration.views import mask_phone
from mock_provider.core.storage import bump_counter

#: The reasons a holder may give (RFC 5280 §5.3.1 CRLReason; the others are the CA's own).
HOLDER_REVOCATION_REASONS = (
    "unspecified",
    "key_compromise",
    "affiliation_changed",
    "superseded",
    "cessation_of_operation",
)

#: Days before a personal certificate's notAfter when its holder is told by e-mail that it will expire.
EXPIRY_NOTICE_DAYS = (60, 15)
#: Moves whenever a notice is sent: with the PKI's revision (moved by each issuance and revocation), it tells a
#: process that its idea of the next notice due is still right.
NOTICES_COUNTER = "notices_revision"
_FAR = datetime.max.replace(tzinfo=UTC)

REVOCATION_CODE_WINDOW = timedelta(hours=1)
REVOCATION_CODES_PER_WINDOW = 10


class CertificateLifecycle(PlatformSteps):
    """Expiry notices and the holder's revocation (the new request after it is :meth:`start_certificate_request`)."""

    #: The counters' revision and the next notice due, as last worked out by this process.
    _next_notice: tuple[dict[str, int], datetime] | None = None

    def settle(self) -> None:
        """What the mock clock says is due: the automatic reviews, then the expiry notices."""
        super().settle()
        self._send_expiry_notices()

    def _send_expiry_notices(self) -> None:
        self.db.hot_counters.update((PKI_REVISION, NOTICES_COUNTER))  # read with the request's other counters
        revision = self.db.read_counters((PKI_REVISION, NOTICES_COUNTER))
        now = self._now()
        known = self._next_notice
        if (
            known is not None
            and known[0] == revision
            and now < known[1]
            and EXPIRY_NOTICE_EVERY_CALL not in self.breakages
        ):
            return  # nothing issued, revoked or sent since the next notice due was worked out, and it is not due
        horizon = now + timedelta(days=max(EXPIRY_NOTICE_DAYS))
        live = select(TrustRegistration.id, IssuedCertificate.id, IssuedCertificate.not_after).join(
            IssuedCertificate, IssuedCertificate.id == TrustRegistration.certificate_id
        )
        live = live.where(
            TrustRegistration.state == CERTIFICATE_ISSUED,
            IssuedCertificate.revoked_at.is_(None),
            IssuedCertificate.not_after > now,
        )
        with self.db.read() as session:
            near = session.execute(live.where(IssuedCertificate.not_after <= horizon)).all()
            later = session.scalar(
                live.with_only_columns(func.min(IssuedCertificate.not_after)).where(
                    IssuedCertificate.not_after > horizon
                )
            )
            sent: set[tuple[str, int]] = set(
                session.execute(
                    select(CertificateNotice.certificate_id, CertificateNotice.days).where(
                        CertificateNotice.certificate_id.in_([cert_id for _, cert_id, _ in near])
                    )
                )
            )
        pending = [
            (not_after - timedelta(days=days), reg_id, cert_id, days)
            for reg_id, cert_id, not_after in near
            for days in EXPIRY_NOTICE_DAYS
            if (cert_id, days) not in sent or EXPIRY_NOTICE_EVERY_CALL in self.breakages
        ]
        due = sorted((reg_id, cert_id, days) for when, reg_id, cert_id, days in pending if when <= now)
        if due:
            with self.db.transaction() as session:
                for reg_id, cert_id, days in due:  # in the order of the registrations' ids: locks taken in turn
                    self._notify_expiry(session, reg_id, cert_id, days, now)
                bump_counter(session, NOTICES_COUNTER)
            revision = self.db.read_counters((PKI_REVISION, NOTICES_COUNTER))
        upcoming = [when for when, *_ in pending if when > now]
        if later is not None:
            upcoming.append(later - timedelta(days=max(EXPIRY_NOTICE_DAYS)))
        self._next_notice = (revision, min(upcoming, default=_FAR))

    def _notify_expiry(self, session: Session, reg_id: str, cert_id: str, days: int, now: datetime) -> None:
        """One notice, once: checked again under the registration's lock (another process may have sent it)."""
        reg = self._load(session, reg_id, lock=True)
        if reg.certificate_id != cert_id:
            return
        if session.get(CertificateNotice, (cert_id, days)) is not None:
            if EXPIRY_NOTICE_EVERY_CALL not in self.breakages:
                return
        else:
            session.add(CertificateNotice(certificate_id=cert_id, days=days, sent_at=now))
        record = self.pki.get_certificate(cert_id, session=session)
        outbox.send(
            session,
            channel="email",
            recipient=reg.applicant_email,
            subject=f"Votre certificat expire dans {days} jours",
            body=(
                f"Bonjour {reg.given_name} {reg.family_name},\n\nVotre certificat de signature électronique (TEST) "
                f"expire le {record.not_after:%d/%m/%Y}. Demandez dès maintenant son renouvellement depuis votre "
                "espace privé de la plateforme : le tiers de confiance vérifiera de nouveau votre identité."
            ),
            related_id=reg.id,
            at=now,
        )

    def send_revocation_code(self, user_id: str) -> CodeSent:
        """An SMS code to confirm the revocation, sent to the certificate's mobile."""
        with self.db.transaction() as session:
            reg = self._held(session, user_id)
            now = self._now()
            issued = otp.issue(
                session,
                key=self.otp_key,
                policy=self.otp_policy,
                registration_id=reg.id,
                purpose=_purpose(reg),
                phone_number=reg.phone_number,
                now=now,
                limit_window=REVOCATION_CODE_WINDOW,
                max_codes=REVOCATION_CODES_PER_WINDOW,
                breakages=self.breakages,
            )
            minutes = self.config.otp_validity_seconds // 60
            outbox.send(
                session,
                channel="sms",
                recipient=reg.phone_number,
                body=f"Votre code de révocation de certificat : {issued.code}. Valable {minutes} minutes. "
                "Ne le communiquez à personne.",
                otp_code=issued.code,
                related_id=reg.certificate_id,
                at=now,
            )
            return {
                "phone_masked": mask_phone(reg.phone_number),
                "phone_last_digits": reg.phone_number[-4:],
                "expires_at": issued.expires_at.isoformat(),
                "resend_available_at": issued.resend_available_at.isoformat(),
                "validity_seconds": self.config.otp_validity_seconds,
            }

    def revoke_certificate(self, user_id: str, *, code: object, reason: object) -> CertificateView:
        """Revoke the person's certificate with the SMS code and a reason (:data:`HOLDER_REVOCATION_REASONS`)."""
        if not isinstance(reason, str) or reason not in HOLDER_REVOCATION_REASONS:
            raise InvalidInput(
                f"reason is one of {', '.join(HOLDER_REVOCATION_REASONS)}",
                code="invalid_revocation_reason",
                errors=[{"field": "reason", "code": "invalid_choice", "detail": "see the list"}],
            )
        if not isinstance(code, str) or not code.strip().isdigit() or len(code.strip()) != 6:
            raise InvalidInput(
                "the SMS code has six digits",
                code="otp_malformed",
                errors=[{"field": "otp", "code": "invalid_format", "detail": "six digits"}],
            )
        with self.db.transaction() as session:
            reg = self._held(session, user_id)
            now = self._now()
            outcome = (
                otp.Outcome(None)
                if HOLDER_REVOCATION_WITHOUT_CODE in self.breakages
                else otp.verify(
                    session,
                    key=self.otp_key,
                    policy=self.otp_policy,
                    registration_id=reg.id,
                    purpose=_purpose(reg),
                    code=code.strip(),
                    now=now,
                    breakages=self.breakages,
                )
            )
            if outcome.ok:
                assert reg.certificate_id is not None
                published = "unspecified" if HOLDER_REVOCATION_REASON_DROPPED in self.breakages else reason
                self.pki.revoke(reg.certificate_id, published, session=session)
                events.record(
                    session,
                    subject_type="certificate",
                    subject_id=reg.certificate_id,
                    actor=user_id,
                    action="revoked",
                    at=now,
                    detail={"reason": reason, "by": "holder", "registration": reg.id},
                    related_id=reg.id,
                )
                outbox.send(
                    session,
                    channel="email",
                    recipient=reg.applicant_email,
                    subject="Votre certificat a été révoqué",
                    body=(
                        f"Bonjour {reg.given_name} {reg.family_name},\n\nVotre certificat de signature électronique "
                        f"(TEST) a été révoqué à votre demande (motif : {reason}). Il ne peut plus servir à signer. "
                        "Vous pouvez demander un nouveau certificat depuis la plateforme."
                    ),
                    related_id=reg.id,
                    at=now,
                )
        if outcome.error is not None:
            raise outcome.error  # after the commit, so that the wrong try stays counted
        return self.current_certificate(user_id)

    def _held(self, session: Session, user_id: str) -> TrustRegistration:
        """The registration that issued the person's certificate (locked), while that certificate may be revoked."""
        reg = self._trust_of(session, session.get(PlatformAccount, user_id))
        if reg is None or reg.certificate_id is None:
            raise NotFound("no certificate has been issued to this person", code="certificate_not_issued")
        reg = self._load(session, reg.id, lock=True)
        assert reg.certificate_id is not None
        status = self.pki.get_certificate(reg.certificate_id, session=session).status_at(self.clock.now())
        if status != "valid":
            raise Conflict(f"the certificate is {status} already", code=f"certificate_{status}")
        return reg


def _purpose(reg: TrustRegistration) -> str:
    return f"revoke:{reg.certificate_id}"
