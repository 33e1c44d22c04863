"""The registration's states, what comes next in each, and the moves between them (DESIGN.md section 2).

The trust provider's request runs ``created`` → ``identity_submitted`` → ``documents_submitted`` →
``agreement_signed`` → ``pending_validation`` → ``certificate_issued`` or ``rejected`` (``cancelled`` from the first
three, and ``expired`` from them too once the session is :data:`SESSION_DAYS` days old, as Universign's registration
sessions are); the platform adds ``authenticated``, ``profile_confirmed`` and ``active`` around it.
:class:`Transitions` is the base of every step's class: the caller holds the transaction,
:meth:`Transitions._move` records the move in the event log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mock_provider.core import events
from mock_provider.core.base import TrustService
from mock_provider.core.errors import Conflict, NotFound
from mock_provider.core.misbehaviour.areas.registration import SESSION_NEVER_EXPIRES
from mock_provider.core.models import (
    PlatformAccount,
    TrustRegistration,
)
from mock_provider.core.pki import profiles
from mock_provider.core.storage import locking
from mock_provider.core.webhooks import events as webhook_events

#: The trust provider's registration states. ``created``: handed over, identity not given yet.
CREATED, IDENTITY_SUBMITTED, DOCUMENTS_SUBMITTED = "created", "identity_submitted", "documents_submitted"

AGREEMENT_SIGNED, PENDING_VALIDATION = "agreement_signed", "pending_validation"

CERTIFICATE_ISSUED, REJECTED, CANCELLED = "certificate_issued", "rejected", "cancelled"

#: A session left unfinished for :data:`SESSION_DAYS` days (Universign: "a registration session is valid only for 7
#: days. Beyond this delay, you need to initiate another registration session").
EXPIRED = "expired"
SESSION_DAYS = 7

#: Platform-only states.
AUTHENTICATED, PROFILE_CONFIRMED, ACTIVE = "authenticated", "profile_confirmed", "active"
#: The person's certificate ended (revoked, or past its notAfter): a new request starts the registration again at
#: the trust provider (identity, document, agreement, review), the platform's profile and terms kept.
CERTIFICATE_REVOKED, CERTIFICATE_EXPIRED = "certificate_revoked", "certificate_expired"

CANCELLABLE = (CREATED, IDENTITY_SUBMITTED, DOCUMENTS_SUBMITTED)

LEVELS = profiles.LEVELS

#: Universign's 11 languages of the certificate agreement (ISO 639-1), ``fr`` by default.
LANGUAGES = ("bg", "ca", "de", "en", "es", "fr", "it", "nl", "pl", "pt", "ro")

#: Universign's ``fullname_type`` and ``phone_number_type``: may the applicant edit the value in the hosted page.
FULLNAME_TYPES = ("suggestion", "prerequisite")
PHONE_NUMBER_TYPES = ("suggestion", "flex_prerequisite", "prerequisite")
#: Universign's ``session_type``: ``standalone`` for a registration of its own (the only kind the mock opens).
SESSION_TYPES = ("standalone",)

#: Every trust state, for the operator's list filter.
TRUST_STATES = webhook_events.REGISTRATION_STATES  # each state is announced, the session's end (EXPIRED) too

#: What the person must do next, by platform state.
NEXT_ACTION = {
    AUTHENTICATED: "confirm_profile",
    PROFILE_CONFIRMED: "start_certificate_request",
    CREATED: "submit_identity",
    IDENTITY_SUBMITTED: "upload_identity_document",
    DOCUMENTS_SUBMITTED: "sign_subscription_agreement",
    PENDING_VALIDATION: "wait_for_review",
    CERTIFICATE_ISSUED: "accept_terms",
    REJECTED: "start_certificate_request",
    ACTIVE: None,
    CERTIFICATE_REVOKED: "start_certificate_request",
    CERTIFICATE_EXPIRED: "start_certificate_request",
}

#: What the applicant does next at the trust provider, by registration state.
TRUST_NEXT_ACTION = {
    CREATED: "submit_identity",
    IDENTITY_SUBMITTED: "upload_identity_document",
    DOCUMENTS_SUBMITTED: "sign_subscription_agreement",
    AGREEMENT_SIGNED: "wait_for_review",
    PENDING_VALIDATION: "wait_for_review",
    CERTIFICATE_ISSUED: "return_to_platform",
    REJECTED: "return_to_platform",
    CANCELLED: None,
    EXPIRED: None,
}


def session_expiry(reg: TrustRegistration) -> datetime:
    """When the registration's session ends: :data:`SESSION_DAYS` days after its creation, on the mock clock."""
    return reg.created_at + timedelta(days=SESSION_DAYS)


class Transitions(TrustService):
    """The moves every step makes: load a registration, check its state, move it and log the move."""

    def _load(self, session: Session, registration_id: str, *, lock: bool = False) -> TrustRegistration:
        reg = session.get(TrustRegistration, registration_id, with_for_update=lock and locking(session))
        if reg is None:
            raise NotFound(f"no registration {registration_id}", code="registration_not_found")
        return reg

    @staticmethod
    def _require_state(reg: TrustRegistration, allowed: tuple[str, ...], what: str) -> None:
        if reg.state not in allowed:
            raise Conflict(
                f"cannot {what}: the registration is {reg.state}",
                code="registration_wrong_state",
                extra={"state": reg.state},
            )

    def _move(
        self,
        session: Session,
        reg: TrustRegistration,
        to_state: str,
        *,
        actor: str,
        action: str,
        now: datetime,
        detail: dict[str, Any] | None = None,
    ) -> None:
        before = reg.state
        reg.state = to_state
        reg.updated_at = now
        events.record(
            session,
            subject_type="registration",
            subject_id=reg.id,
            actor=actor,
            action=action,
            from_state=before,
            to_state=to_state,
            at=now,
            detail=detail,
        )
        registration_event(session, reg, before, now)

    def _expire_if_due(self, session: Session, reg: TrustRegistration, now: datetime) -> bool:
        """Move an unfinished registration whose session is :data:`SESSION_DAYS` days old to ``expired``; the caller
        holds the row (locked). True when it is (or just became) expired."""
        if self._session_over(reg, now):
            self._move(session, reg, EXPIRED, actor="trust", action="session_expired", now=now)
        return reg.state == EXPIRED

    def _session_over(self, reg: TrustRegistration, now: datetime) -> bool:
        """Whether the registration is unfinished and its session :data:`SESSION_DAYS` days old (not moved yet)."""
        return reg.state in CANCELLABLE and now >= session_expiry(reg) and SESSION_NEVER_EXPIRES not in self.breakages

    @staticmethod
    def _trust_of(session: Session, account: PlatformAccount | None) -> TrustRegistration | None:
        if account is None or account.trust_registration_id is None:
            return None
        return session.get(TrustRegistration, account.trust_registration_id)

    @staticmethod
    def _platform_state(account: PlatformAccount | None, trust: TrustRegistration | None) -> str:
        if account is None or account.profile_confirmed_at is None:
            return AUTHENTICATED
        if account.activated_at is not None and (trust is None or trust.state == CERTIFICATE_ISSUED):
            return ACTIVE  # a renewal under way shows its own state until its certificate is issued
        if trust is None or trust.state in (CANCELLED, EXPIRED):
            return PROFILE_CONFIRMED
        if trust.state == CREATED:
            return PROFILE_CONFIRMED
        return trust.state


def registration_event(session: Session, reg: TrustRegistration, previous_state: str | None, now: datetime) -> None:
    """The webhook ``registration.<state>`` (the mock's own event) for the operator that created ``reg``."""
    name = f"registration.{reg.state}"
    if name not in webhook_events.EVENT_TYPES:
        return
    data = {"object": "registration", "id": reg.id, "state": reg.state, "previous_state": previous_state}
    webhook_events.emit(session, owner=reg.created_by, type=name, data=data, at=now)
