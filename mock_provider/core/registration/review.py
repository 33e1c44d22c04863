"""Step 5, "vérification de l'identité": the review of a signed request, then the certificate or the refusal.

A review is decided by the control plane (:meth:`Review.decide`) or, in ``auto`` mode, once its delay has passed on
the mock clock: every call first settles what is due (:meth:`Review.settle`), there is no background thread. The
approval issues the certificate and e-mails the applicant; the refusal names its reason.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core import events, outbox, registration_breakages
from mock_provider.core.documents import parse_document_type
from mock_provider.core.errors import InvalidInput
from mock_provider.core.misbehaviour import scenarios
from mock_provider.core.misbehaviour.areas.registration import NO_DECISION_EMAIL, REVIEW_OVERDUE
from mock_provider.core.misbehaviour.areas.registration_limits import NO_REJECTION_EMAIL, REVIEW_NEVER_SETTLED
from mock_provider.core.models import TrustRegistration
from mock_provider.core.pki import profiles
from mock_provider.core.registration.shapes import RegistrationView
from mock_provider.core.registration.states import CERTIFICATE_ISSUED, PENDING_VALIDATION, REJECTED
from mock_provider.core.registration.texts import APPROVAL_SUBJECT
from mock_provider.core.registration.views import Views
from mock_provider.core.storage import AbsenceLatch, bump_counter
from mock_provider.core.webhooks import events as webhook_events

#: Moves whenever a registration goes to review, so that :meth:`Review.settle` skips looking while none waits.
REVIEWS_COUNTER = "reviews_revision"


class Review(Views):
    """Step 5: the review queue, the automatic decision when it is due, and the certificate's issuance."""

    def pending_reviews(self) -> list[RegistrationView]:
        self.settle()
        with self.db.read() as session:
            rows = session.scalars(
                select(TrustRegistration)
                .where(TrustRegistration.state == PENDING_VALIDATION)
                .order_by(TrustRegistration.updated_at)
            ).all()
            return [self._view(session, r) for r in rows]

    def decide(self, registration_id: str, *, approve: bool, reason: str | None, actor: str) -> RegistrationView:
        """A manual decision from the control plane's review queue."""
        if not approve and reason not in scenarios.REJECTION_REASONS:
            raise InvalidInput(
                f"reason must be one of {', '.join(scenarios.REJECTION_REASONS)}",
                code="invalid_rejection_reason",
                errors=[{"field": "reason", "code": "invalid_choice", "detail": "see the list"}],
            )
        with self.db.transaction() as session:
            reg = self._load(session, registration_id, lock=True)
            self._require_state(reg, (PENDING_VALIDATION,), "decide the review")
            now = self._now()
            if approve:
                self._approve(session, reg, now, actor=actor)
            else:
                assert reason is not None
                self._reject(session, reg, now, reason=reason, actor=actor)
            return self._view(session, reg)

    def settle(self) -> None:
        """Decide the automatic reviews whose delay has passed on the mock clock."""
        if self.config.review_mode != "auto" or REVIEW_NEVER_SETTLED in self.breakages:
            return
        latch = self._reviews_latch
        revision = latch.revision()
        if latch.known_absent(revision):
            return  # no registration waits for its review: nothing can be due
        now = self._now()
        due = select(TrustRegistration).where(
            TrustRegistration.state == PENDING_VALIDATION,
            TrustRegistration.review_due_at <= registration_breakages.reviewed_until(now, self.breakages),
        )
        # Most calls find nothing due: a read says so without taking the write lock (every platform GET settles).
        with self.db.read() as session:
            waiting = select(TrustRegistration.id).where(TrustRegistration.state == PENDING_VALIDATION).limit(1)
            if session.scalar(waiting) is None:
                latch.mark_absent(revision)
                return
            if session.scalar(due.with_only_columns(TrustRegistration.id).limit(1)) is None:
                return
        with self.db.transaction() as session:
            for reg in session.scalars(due.with_for_update()).all():
                self._auto_decide(session, reg, now)

    @functools.cached_property
    def _reviews_latch(self) -> AbsenceLatch:
        """Whether no registration waits for its review, as of :data:`REVIEWS_COUNTER`'s revision."""
        return AbsenceLatch(self.db, REVIEWS_COUNTER)

    def _submit_for_review(self, session: Session, reg: TrustRegistration, now: datetime) -> None:
        auto = self.config.review_mode == "auto"
        delay = self.config.review_delay_seconds + (25 * 3600 if REVIEW_OVERDUE in self.breakages else 0)
        queued = scenarios.consume(session, "review_delay", now) if auto else None
        delay += queued.value if queued is not None and queued.value is not None else 0
        reg.review_due_at = now + timedelta(seconds=delay) if auto else None
        bump_counter(session, REVIEWS_COUNTER)  # a registration waits for its review: settle must look again
        self._move(
            session,
            reg,
            PENDING_VALIDATION,
            actor="trust",
            action="submitted_for_review",
            now=now,
            detail={"review_due_at": reg.review_due_at.isoformat() if reg.review_due_at else None},
        )
        outbox.send(
            session,
            channel="email",
            recipient=reg.applicant_email,
            subject="Demande en cours de traitement",
            body=(
                f"Bonjour {reg.given_name} {reg.family_name},\n\nVotre demande de certificat est en cours de "
                "traitement par le tiers de confiance. Cela peut prendre jusqu'à 24 heures."
            ),
            related_id=reg.id,
            at=now,
        )
        decided_until = registration_breakages.reviewed_until(now, self.breakages)
        if reg.review_due_at is not None and reg.review_due_at <= decided_until:
            self._auto_decide(session, reg, now)

    def _auto_decide(self, session: Session, reg: TrustRegistration, now: datetime) -> None:
        forced = scenarios.consume(session, "review_reject", now)
        reason = (forced.target or "document_unreadable") if forced else None
        reason = reason or scenarios.review_rejection(reg.family_name, reg.document_number, reg.birth_date)
        if reason:
            self._reject(session, reg, now, reason=reason, actor="review")
        else:
            self._approve(session, reg, now, actor="review")

    def _approve(self, session: Session, reg: TrustRegistration, now: datetime, *, actor: str) -> None:
        _identity_processed(session, reg, now, reason=None)
        self._issue(session, reg, now, action="approved", actor=actor)
        if NO_DECISION_EMAIL in self.breakages:
            return
        outbox.send(
            session,
            channel="email",
            recipient=reg.applicant_email,
            subject=registration_breakages.approval_subject(APPROVAL_SUBJECT, self.breakages),
            body=(
                f"Bonjour {reg.given_name} {reg.family_name},\n\nVotre identité a été validée et vous disposez "
                "maintenant d'un certificat de signature électronique de l'ordre (TEST).\nVérifiez ses "
                f"informations : vous pouvez signaler une erreur pendant {self.config.error_report_hours} heures."
            ),
            related_id=reg.id,
            at=now,
        )

    def _reject(self, session: Session, reg: TrustRegistration, now: datetime, *, reason: str, actor: str) -> None:
        reg.decided_at = now
        reg.rejection_reason = reason
        _identity_processed(session, reg, now, reason=reason)
        self._move(session, reg, REJECTED, actor=actor, action="rejected", now=now, detail={"reason": reason})
        if NO_REJECTION_EMAIL in self.breakages:
            return
        outbox.send(
            session,
            channel="email",
            recipient=reg.applicant_email,
            subject="Votre demande de certificat n'a pas pu aboutir",
            body=(
                f"Bonjour {reg.given_name} {reg.family_name},\n\nVotre demande de certificat a été refusée "
                f"(motif : {reason}). Vous pouvez présenter une nouvelle demande depuis la plateforme."
            ),
            related_id=reg.id,
            at=now,
        )

    def _issue(
        self, session: Session, reg: TrustRegistration, now: datetime, *, action: str, actor: str = "trust"
    ) -> None:
        assert reg.document_type is not None
        assert reg.document_number is not None
        kind = parse_document_type(reg.document_type)
        identity = profiles.NaturalPersonIdentity(
            given_name=reg.given_name,
            surname=reg.family_name,
            serial_number=profiles.document_serial_number(kind.kind, kind.alpha2, reg.document_number),
            country="FR",
        )
        record = self.pki.issue_natural_person(identity, level=reg.level, session=session)
        reg.certificate_id = record.id
        reg.issued_at = record.created_at
        reg.decided_at = reg.decided_at or now
        events.record(
            session,
            subject_type="certificate",
            subject_id=record.id,
            actor=actor,
            action="issued",
            at=now,
            detail={"registration": reg.id, "level": reg.level, "serial": format(record.serial, "x")},
            related_id=reg.id,
        )
        if reg.state != CERTIFICATE_ISSUED:
            self._move(session, reg, CERTIFICATE_ISSUED, actor=actor, action=action, now=now)
        else:
            events.record(
                session,
                subject_type="registration",
                subject_id=reg.id,
                actor=actor,
                action=action,
                from_state=reg.state,
                to_state=reg.state,
                at=now,
                detail={"certificate": record.id},
            )


def _identity_processed(session: Session, reg: TrustRegistration, now: datetime, *, reason: str | None) -> None:
    """Universign's ``identity-validation.processed`` for the operator: the identity check is decided."""
    data = {
        "object": "identity_validation",
        "registration_id": reg.id,
        "status": "invalid" if reason else "valid",
        "reason": reason,
    }
    webhook_events.emit(
        session, owner=reg.created_by, type=webhook_events.IDENTITY_VALIDATION_PROCESSED, data=data, at=now
    )
