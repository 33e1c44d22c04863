"""The trust provider's operator calls (the platform's credentials): create a registration, ``matchAccount``.

The platform's own hand-off (:meth:`~mock_provider.core.registration.platform.PlatformSteps.start_certificate_request`)
creates its registration through :meth:`OperatorCalls._create_registration` as well.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core import events, registration_breakages
from mock_provider.core.base import token_digest
from mock_provider.core.errors import InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.registration import ANY_LEVEL_ACCEPTED, MATCHED_BY_ORDER
from mock_provider.core.models import (
    TrustRegistration,
    User,
)
from mock_provider.core.registration.parsing import normalise_mobile
from mock_provider.core.registration.review import Review
from mock_provider.core.registration.shapes import AccountMatch, HandoffView
from mock_provider.core.registration.states import (
    CANCELLED,
    CREATED,
    DOCUMENTS_SUBMITTED,
    IDENTITY_SUBMITTED,
    LANGUAGES,
    LEVELS,
    PENDING_VALIDATION,
    REJECTED,
    registration_event,
)


class OperatorCalls(Review):
    """The trust provider's calls made with the platform's credentials: create a registration, matchAccount."""

    def create_registration(
        self,
        *,
        operator: str,
        email: str,
        level: str,
        phone_number: str,
        redirect_url: str | None,
        language: str,
    ) -> HandoffView:
        """``POST /trust/v1/registrations``: the applicant is found by e-mail among the SSO's people."""
        with self.db.transaction() as session:
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                raise InvalidInput(
                    "no person with this e-mail address is known to the platform",
                    code="applicant_unknown",
                    errors=[{"field": "email", "code": "unknown", "detail": "unknown applicant"}],
                )
            created, token = self._create_registration(
                session,
                operator=operator,
                user=user,
                email=email,
                phone_number=normalise_mobile(phone_number, field="phone_number"),
                level=level,
                redirect_url=redirect_url,
                language=language,
            )
            return self._handoff_view(created, token)

    def match_account(self, email: str) -> AccountMatch:
        """Universign's ``matchAccount``: the level and status of the certificate held by that e-mail address."""
        self.settle()
        with self.db.read() as session:
            reg = session.scalars(
                select(TrustRegistration)
                .where(TrustRegistration.applicant_email == email, TrustRegistration.state != CANCELLED)
                .order_by(TrustRegistration.created_at.desc())
            ).first()
            if MATCHED_BY_ORDER in self.breakages:  # e-mails compared by order, not equality
                reg = session.scalars(
                    select(TrustRegistration)
                    .where(TrustRegistration.applicant_email >= email, TrustRegistration.state != CANCELLED)
                    .order_by(TrustRegistration.created_at.desc())
                ).first()
            if reg is None or reg.state in (CREATED, IDENTITY_SUBMITTED, DOCUMENTS_SUBMITTED, REJECTED):
                raise NotFound("no certificate is held or requested for this e-mail", code="account_not_found")
            if reg.state == PENDING_VALIDATION:
                status = "awaiting-validation"
            else:
                assert reg.certificate_id is not None
                record = self.pki.get_certificate(reg.certificate_id)
                status = record.status_at(self.clock.now())
            status = registration_breakages.matched_status(status, self.breakages)
            return {"email": email, "level": reg.level, "status": status, "registration_id": reg.id}

    def _create_registration(
        self,
        session: Session,
        *,
        operator: str,
        user: User,
        email: str,
        phone_number: str,
        level: str,
        redirect_url: str | None,
        language: str,
    ) -> tuple[TrustRegistration, str]:
        errors = []
        if level not in LEVELS and ANY_LEVEL_ACCEPTED not in self.breakages:
            errors.append({"field": "level", "code": "invalid_choice", "detail": "lcp, qcp or qcpnqscd"})
        if language not in LANGUAGES:
            errors.append({"field": "language", "code": "invalid_choice", "detail": "fr or en"})
        checked_url = registration_breakages.redirect_url_as_checked(redirect_url, self.breakages)
        if checked_url is not None and not re.match(r"^https?://[^\s]+$", checked_url):
            errors.append({"field": "redirect_url", "code": "invalid_url", "detail": "an http(s) URL"})
        if errors:
            raise InvalidInput("the registration request is invalid", code="invalid_registration", errors=errors)
        now = self._now()
        token = secrets.token_urlsafe(32)
        reg = TrustRegistration(
            id=new_id("reg"),
            user_id=user.id,
            created_by=operator,
            state=CREATED,
            level=level,
            applicant_email=email,
            given_name=user.given_name,
            family_name=user.family_name,
            phone_number=phone_number,
            language=language,
            redirect_url=redirect_url,
            session_token_hash=token_digest(token),
            created_at=now,
            updated_at=now,
        )
        session.add(reg)
        events.record(
            session,
            subject_type="registration",
            subject_id=reg.id,
            actor=operator,
            action="created",
            to_state=CREATED,
            at=now,
            detail={"level": level},
        )
        registration_event(session, reg, None, now)
        return reg, token

    def _handoff_view(self, reg: TrustRegistration, token: str) -> HandoffView:
        return {
            "id": reg.id,
            "state": reg.state,
            "level": reg.level,
            "url": f"{self.config.base_url}/trust/enroll/{reg.id}?session={token}",
            "session_token": token,
        }
