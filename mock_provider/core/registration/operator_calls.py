"""The trust provider's operator calls (an API key's owner): create a registration, read and list its own,
``matchAccount``.

These are Universign's published ``POST /v1/registrations`` and ``GET /v1/registrations[/{id}]`` with its field
names (``applicant``, ``fullname``, ``fullname_type``, ``phone_number``, ``phone_number_type``, ``level``,
``language``, ``redirect_url``, ``session_type``). A registration belongs to the operator that created it (``owner``,
the caller's job to authenticate): another operator's is "not found". The platform's own hand-off
(:meth:`~mock_provider.core.registration.platform.PlatformSteps.start_certificate_request`) creates its registration
through :meth:`OperatorCalls._create_registration` as well, owned by :data:`PLATFORM_OPERATOR`.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core import events, registration_breakages
from mock_provider.core.base import token_digest
from mock_provider.core.errors import InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.registration import (
    ANY_LEVEL_ACCEPTED,
    MATCHED_BY_ORDER,
    OPERATOR_READS_ANY_REGISTRATION,
)
from mock_provider.core.models import (
    TrustRegistration,
    User,
)
from mock_provider.core.registration.parsing import normalise_mobile
from mock_provider.core.registration.review import Review
from mock_provider.core.registration.shapes import (
    AccountMatch,
    HandoffView,
    OperatorPage,
    OperatorRegistrationView,
)
from mock_provider.core.registration.states import (
    CANCELLABLE,
    CANCELLED,
    CREATED,
    DOCUMENTS_SUBMITTED,
    FULLNAME_TYPES,
    IDENTITY_SUBMITTED,
    LANGUAGES,
    LEVELS,
    PENDING_VALIDATION,
    PHONE_NUMBER_TYPES,
    REJECTED,
    SESSION_TYPES,
    TRUST_STATES,
    registration_event,
    session_expiry,
)

#: The operator the platform's own hand-off acts as: its confidential client and its seeded API key's owner.
PLATFORM_OPERATOR = "jesign-platform"

#: The operator's list: ``limit`` between 1 and :data:`MAX_PAGE`, :data:`DEFAULT_PAGE` by default.
DEFAULT_PAGE, MAX_PAGE = 20, 100


class OperatorCalls(Review):
    """The trust provider's calls made with the platform's credentials: create a registration, matchAccount."""

    def create_registration(
        self,
        *,
        operator: str,
        applicant: str,
        level: str,
        phone_number: str | None = None,
        redirect_url: str | None = None,
        language: str = "fr",
        fullname: str | None = None,
        fullname_type: str = "suggestion",
        phone_number_type: str = "suggestion",
        session_type: str = "standalone",
        applicant_field: str = "applicant",
    ) -> HandoffView:
        """``POST /trust/v1/registrations``: the applicant is found by e-mail among the SSO's people.

        Without ``phone_number`` (optional at Universign, whose hosted page then asks for it), the SMS codes go to the
        applicant's mobile as the SSO knows it; an applicant the SSO knows no mobile for must be given one.
        ``applicant_field`` names the field the caller read the e-mail from, for the field errors.
        """
        with self.db.transaction() as session:
            user = session.scalar(select(User).where(User.email == applicant))
            if user is None:
                raise InvalidInput(
                    "no person with this e-mail address is known to the platform",
                    code="applicant_unknown",
                    errors=[{"field": applicant_field, "code": "unknown", "detail": "unknown applicant"}],
                )
            if phone_number is None and user.phone_number is None:
                raise InvalidInput(
                    "no mobile number is known for this applicant: give phone_number",
                    code="invalid_registration",
                    errors=[{"field": "phone_number", "code": "required", "detail": "no mobile on file"}],
                )
            created, token = self._create_registration(
                session,
                operator=operator,
                user=user,
                email=applicant,
                phone_number=normalise_mobile(phone_number or user.phone_number or "", field="phone_number"),
                level=level,
                redirect_url=redirect_url,
                language=language,
                fullname=fullname,
                fullname_type=fullname_type,
                phone_number_type=phone_number_type,
                session_type=session_type,
            )
            return self._handoff_view(created, token)

    def operator_registration(self, owner: str, registration_id: str) -> OperatorRegistrationView:
        """``GET /trust/v1/registrations/{id}`` for its owner; any other operator's is "not found"."""
        self.settle()
        with self.db.transaction() as session:
            reg = self._load(session, registration_id, lock=True)
            if reg.created_by != owner and OPERATOR_READS_ANY_REGISTRATION not in self.breakages:
                raise NotFound(f"no registration {registration_id}", code="registration_not_found")
            self._expire_if_due(session, reg, self._now())
            return self._operator_view(reg)

    def operator_registrations(
        self,
        owner: str,
        *,
        limit: int = DEFAULT_PAGE,
        cursor: str | None = None,
        state: str | None = None,
        applicant: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> OperatorPage:
        """``GET /trust/v1/registrations``: the owner's registrations, newest first, ``limit`` a page; ``cursor`` is
        the ``next_cursor`` of the page before. Filters: ``state``, ``applicant`` (the e-mail), and the creation
        instant (``created_after`` inclusive, ``created_before`` exclusive)."""
        if state is not None and state not in TRUST_STATES:
            raise InvalidInput(
                f"state is one of {', '.join(TRUST_STATES)}",
                code="invalid_query",
                errors=[{"field": "state", "code": "invalid_choice", "detail": ", ".join(TRUST_STATES)}],
            )
        self.settle()
        now = self._now()
        with self.db.transaction() as session:
            mine = select(TrustRegistration).where(TrustRegistration.created_by == owner)
            # Sessions past their 7 days are expired before the list is read, so that the state filter sees them.
            for reg in session.scalars(mine.where(TrustRegistration.state.in_(CANCELLABLE)).with_for_update()).all():
                self._expire_if_due(session, reg, now)
            query = mine
            if cursor is not None:
                after = session.get(TrustRegistration, cursor)
                if after is None or after.created_by != owner:
                    raise InvalidInput(
                        "cursor is the next_cursor of a page before",
                        code="invalid_query",
                        errors=[{"field": "cursor", "code": "invalid_cursor", "detail": "unknown cursor"}],
                    )
                query = query.where(
                    (TrustRegistration.created_at < after.created_at)
                    | ((TrustRegistration.created_at == after.created_at) & (TrustRegistration.id < after.id))
                )
            if state is not None:
                query = query.where(TrustRegistration.state == state)
            if applicant is not None:
                query = query.where(TrustRegistration.applicant_email == applicant)
            if created_after is not None:
                query = query.where(TrustRegistration.created_at >= created_after)
            if created_before is not None:
                query = query.where(TrustRegistration.created_at < created_before)
            rows = session.scalars(
                query.order_by(TrustRegistration.created_at.desc(), TrustRegistration.id.desc()).limit(limit + 1)
            ).all()
            page = [self._operator_view(reg) for reg in rows[:limit]]
            more = len(rows) > limit
            return {"data": page, "has_more": more, "next_cursor": page[-1]["id"] if more else None}

    @staticmethod
    def _operator_view(reg: TrustRegistration) -> OperatorRegistrationView:
        return {
            "id": reg.id,
            "state": reg.state,
            "level": reg.level,
            "applicant": reg.applicant_email,
            "fullname": reg.fullname,
            "fullname_type": reg.fullname_type,
            "phone_number_type": reg.phone_number_type,
            "language": reg.language,
            "session_type": reg.session_type,
            "redirect_url": reg.redirect_url,
            "certificate_id": reg.certificate_id,
            "created_at": reg.created_at.isoformat(),
            "updated_at": reg.updated_at.isoformat(),
            "expires_at": session_expiry(reg).isoformat(),
        }

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
        fullname: str | None = None,
        fullname_type: str = "suggestion",
        phone_number_type: str = "suggestion",
        session_type: str = "standalone",
    ) -> tuple[TrustRegistration, str]:
        errors = []
        if level not in LEVELS and ANY_LEVEL_ACCEPTED not in self.breakages:
            errors.append({"field": "level", "code": "invalid_choice", "detail": "lcp, qcp or qcpnqscd"})
        if language not in LANGUAGES:
            errors.append({"field": "language", "code": "invalid_choice", "detail": ", ".join(LANGUAGES)})
        for name, value, allowed in (
            ("fullname_type", fullname_type, FULLNAME_TYPES),
            ("phone_number_type", phone_number_type, PHONE_NUMBER_TYPES),
            ("session_type", session_type, SESSION_TYPES),
        ):
            if value not in allowed:
                errors.append({"field": name, "code": "invalid_choice", "detail": ", ".join(allowed)})
        if fullname is not None and not 1 <= len(fullname.strip()) <= 240:
            errors.append({"field": "fullname", "code": "invalid_length", "detail": "1 to 240 characters"})
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
            fullname=fullname.strip() if fullname is not None else None,
            fullname_type=fullname_type,
            phone_number_type=phone_number_type,
            session_type=session_type,
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
            "expires_at": session_expiry(reg).isoformat(),
        }
