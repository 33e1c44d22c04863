"""The platform's steps (jesignexpert.com): status, step 1, the step 2 hand-off and step 6.

The platform knows the person from the SSO, has them confirm their profile and mobile number (step 1), hands them
over to the trust provider (step 2 hand-off), and opens the service to their firms once the terms are accepted
(step 6).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core import accounts, events, outbox, registration_breakages
from mock_provider.core.base import token_digest
from mock_provider.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from mock_provider.core.misbehaviour.areas.registration import (
    ANY_MOBILE_ACCEPTED,
    EXPIRED_CERTIFICATE_READS_VALID,
    HANDOFF_WITHOUT_PROFILE,
    MOBILE_OPTIONAL,
    PROFILE_NAME_EDITABLE,
    REGISTRATION_WITHOUT_SIGN_DELEGATION,
    SERVICE_OPEN_WITHOUT_DELEGATION,
    TERMS_ANY_VERSION,
    TERMS_BEFORE_CERTIFICATE,
    TERMS_DURING_REQUEST,
    TERMS_ONE_BOX,
    TERMS_OPEN_ALL_FIRMS,
)
from mock_provider.core.misbehaviour.areas.registration_limits import SERVICE_SHUT_FOR_ONE_FIRM, TERMS_SHARED_IN_FIRM
from mock_provider.core.models import (
    PlatformAccount,
    TermsAcceptance,
    TrustRegistration,
    User,
)
from mock_provider.core.registration.help_document import help_document
from mock_provider.core.registration.operator_calls import PLATFORM_OPERATOR, OperatorCalls
from mock_provider.core.registration.parsing import _firm_ids, normalise_mobile
from mock_provider.core.registration.shapes import CertificateView, HandoffView, MeView, StatusView
from mock_provider.core.registration.states import (
    ACTIVE,
    CANCELLABLE,
    CANCELLED,
    CERTIFICATE_EXPIRED,
    CERTIFICATE_ISSUED,
    CERTIFICATE_REVOKED,
    EXPIRED,
    NEXT_ACTION,
    REJECTED,
    TRUST_NEXT_ACTION,
)
from mock_provider.core.registration.texts import CGU, PRIVACY_POLICY, READ_ONLY_MESSAGE

#: The e-mail the platform sends when it hands the person over to the trust provider, the help document attached.
REGISTRATION_EMAIL_SUBJECT = "Votre enregistrement sur jesignexpert.com"


class PlatformSteps(OperatorCalls):
    """The platform's side of the registration: status, step 1, the step 2 hand-off, step 6."""

    def status(self, user_id: str) -> StatusView:
        """``GET /platform/api/v1/registration``: where the person stands and what comes next."""
        self.settle()
        with self.db.read() as session:
            user = accounts.get_user(session, user_id)
            account = session.get(PlatformAccount, user_id)
            trust = self._trust_of(session, account)
            unfinished = trust is not None and trust.state in CANCELLABLE
            over = trust.id if trust is not None and unfinished and self._session_over(trust, self._now()) else None
            if over is None:
                return self._status_view(session, user, account, trust)
        # The trust provider's session ended unseen (7 days): expired now (a rare write), then read again.
        with self.db.transaction() as session:
            self._expire_if_due(session, self._load(session, over, lock=True), self._now())
        return self.status(user_id)

    def _status_view(
        self, session: Session, user: User, account: PlatformAccount | None, trust: TrustRegistration | None
    ) -> StatusView:
        state = registration_breakages.platform_state(self._person_state(session, account, trust), self.breakages)
        next_action = NEXT_ACTION.get(state)
        if trust is not None and trust.state in CANCELLABLE:
            next_action = TRUST_NEXT_ACTION[trust.state]  # at the trust provider, reached through the hand-off
        return {
            "state": state,
            "next_action": next_action,
            "profile": self._profile(session, user, account),
            "certificate_request": self._trust_summary(trust) if trust else None,
            "active_firms": self._active_firm_ids(session, user.id),
        }

    def current_certificate(self, user_id: str) -> CertificateView:
        """The person's certificate, as the platform has it from the trust provider (after step 5)."""
        self.settle()
        with self.db.read() as session:
            trust = self._trust_of(session, session.get(PlatformAccount, user_id))
            if trust is None or trust.certificate_id is None:
                raise NotFound("no certificate has been issued to this person yet", code="certificate_not_issued")
            return self._certificate_view(trust)

    def me(self, user_id: str) -> MeView:
        """``GET /platform/api/v1/me``: the person, their firms, what they may do in each."""
        self.settle()
        with self.db.read() as session:
            user = accounts.get_user(session, user_id)
            account = session.get(PlatformAccount, user_id)
            state = self._person_state(session, account, self._trust_of(session, account))
            opened = accounts.opened_firm_ids(session)
            firms = []
            mine = accounts.firms_of(session, user_id)
            if len(mine) < 2 and SERVICE_SHUT_FOR_ONE_FIRM in self.breakages:
                opened = set()
            for firm in mine:
                claim = firm.as_claim()
                claim["service_open"] = firm.id in opened and (
                    firm.role == accounts.ACCOUNTANT
                    or bool(firm.delegations)
                    or SERVICE_OPEN_WITHOUT_DELEGATION in self.breakages
                )
                firms.append(claim)
            return {
                "id": user.id,
                "given_name": user.given_name,
                "family_name": user.family_name,
                "email": user.email,
                "identity_source": user.identity_source,
                "mobile_number": (account.mobile_number if account else None) or user.phone_number,
                "registration_state": state,
                "firms": firms,
            }

    def confirm_profile(self, user_id: str, submitted: Mapping[str, object]) -> StatusView:
        """Step 1, "pré-validation des informations Comptexpert": the mobile is mandatory, the rest read-only."""
        with self.db.transaction() as session:
            user = accounts.get_user(session, user_id)
            firms = accounts.firms_of(session, user_id)
            errors = []
            read_only = {
                "given_name": user.given_name,
                "family_name": user.family_name,
                "email": user.email,
            }
            read_only = registration_breakages.read_only_profile(read_only, self.breakages)
            for field, value in read_only.items():
                if (
                    field in submitted
                    and submitted[field] != value
                    and PROFILE_NAME_EDITABLE not in self.breakages
                    and not registration_breakages.later_value_tolerated(submitted[field], value, self.breakages)
                ):
                    errors.append({"field": field, "code": "read_only_field", "detail": READ_ONLY_MESSAGE})
            if (
                "firms" in submitted
                and sorted(_firm_ids(submitted["firms"])) != sorted(f.id for f in firms)
                and (PROFILE_NAME_EDITABLE not in self.breakages)
            ):
                errors.append({"field": "firms", "code": "read_only_field", "detail": READ_ONLY_MESSAGE})
            if errors:
                raise InvalidInput(READ_ONLY_MESSAGE, code="read_only_field", errors=errors)
            raw_mobile = submitted.get("mobile_number")
            if MOBILE_OPTIONAL in self.breakages and not raw_mobile:
                raw_mobile = user.phone_number or "+33600000000"
            if not isinstance(raw_mobile, str) or not raw_mobile.strip():
                raise InvalidInput(
                    "Votre numéro de téléphone mobile est obligatoire.",
                    code="mobile_number_required",
                    errors=[{"field": "mobile_number", "code": "required", "detail": "required"}],
                )
            mobile = raw_mobile if ANY_MOBILE_ACCEPTED in self.breakages else normalise_mobile(raw_mobile)
            account = session.get(PlatformAccount, user_id, with_for_update=True)
            trust = self._trust_of(session, account)
            if trust is not None and trust.state not in (REJECTED, CANCELLED):
                raise Conflict(
                    "the profile cannot change while a certificate request is under way",
                    code="registration_in_progress",
                )
            now = self._now()
            before = self._platform_state(account, trust)
            if account is None:
                account = PlatformAccount(user_id=user_id)
                session.add(account)
            account.mobile_number = mobile
            account.profile_confirmed_at = now
            events.record(
                session,
                subject_type="account",
                subject_id=user_id,
                actor=user_id,
                action="profile_confirmed",
                from_state=before,
                to_state=self._platform_state(account, trust),
                at=now,
            )
        return self.status(user_id)

    def start_certificate_request(
        self, user_id: str, *, level: str = "qcpnqscd", redirect_url: str | None = None, language: str = "fr"
    ) -> tuple[HandoffView, bool]:
        """Step 2 hand-off: the platform creates the trust provider's registration and sends the person there.

        While a request is still under way before its agreement is signed, the same call resumes it: the trust
        provider gives that registration a fresh session (the previous token stops working), so that a person who
        lost the page can go on. Answers (hand-off, created).
        """
        with self.db.transaction() as session:
            user = accounts.get_user(session, user_id)
            account = session.get(PlatformAccount, user_id, with_for_update=True)
            if account is None and HANDOFF_WITHOUT_PROFILE in self.breakages:
                account = PlatformAccount(user_id=user_id, mobile_number=user.phone_number or "+33600000000")
                session.add(account)
            elif account is None or account.profile_confirmed_at is None or account.mobile_number is None:
                raise Conflict("confirm the profile first (step 1)", code="profile_not_confirmed")
            if (
                not accounts.may_hold_personal_certificate(accounts.firms_of(session, user_id))
                and REGISTRATION_WITHOUT_SIGN_DELEGATION not in self.breakages
            ):
                raise Forbidden(
                    "the personal certificate is for chartered accountants and for collaborators holding a firm's "
                    "sign delegation: ask your chartered accountant for it",
                    code="sign_delegation_required",
                )
            assert account.mobile_number is not None
            current = self._trust_of(session, account)
            if current is not None:
                self._expire_if_due(session, current, self._now())  # a session past its 7 days is not resumed
            if current is not None and current.state in CANCELLABLE:
                token = secrets.token_urlsafe(32)
                current.session_token_hash = token_digest(token)
                events.record(
                    session,
                    subject_type="registration",
                    subject_id=current.id,
                    actor=user_id,
                    action="session_renewed",
                    at=self._now(),
                )
                return self._handoff_view(current, token), False
            reopenable = (REJECTED, CANCELLED, EXPIRED, *registration_breakages.reopenable_states(self.breakages))
            # DESIGN.md §3: a new request once the certificate is revoked or expired, not while it is valid.
            ended = self._certificate_ended(session, current) and registration_breakages.renewable(self.breakages)
            if current is not None and current.state not in reopenable and not ended:
                raise Conflict(f"a certificate request is already {current.state}", code="certificate_request_exists")
            created, token = self._create_registration(
                session,
                operator=PLATFORM_OPERATOR,
                user=user,
                email=user.email,
                phone_number=account.mobile_number,
                level=level,
                redirect_url=redirect_url,
                language=language,
            )
            account.trust_registration_id = created.id
            view = self._handoff_view(created, token)
            outbox.send(
                session,
                channel="email",
                recipient=user.email,
                subject=REGISTRATION_EMAIL_SUBJECT,
                body=(
                    f"Bonjour {user.given_name} {user.family_name},\n\nVotre enregistrement sur jesignexpert.com "
                    "(TEST) est en cours : le tiers de confiance va vérifier votre identité et émettre votre "
                    "certificat. Munissez-vous d'une pièce d'identité et de votre smartphone.\nPour vous aider à "
                    "télécharger correctement votre pièce d'identité, appuyez-vous sur le document joint « comment "
                    "télécharger sa pièce d'identité »."
                ),
                related_id=created.id,
                at=self._now(),
                attachments=(help_document(self.config.max_document_bytes),),
            )
        return view, True

    def accept_terms(
        self, user_id: str, *, firms: list[dict[str, Any]], cgu_version: str, privacy_policy_version: str
    ) -> StatusView:
        """Step 6, "validation des CGU et RGPD": both boxes for each firm; opens the service to those firms."""
        if not isinstance(firms, list) or not firms:
            raise InvalidInput(
                "name at least one firm",
                code="invalid_input",
                errors=[{"field": "firms", "code": "required", "detail": "a non-empty list"}],
            )
        self.settle()
        with self.db.transaction() as session:
            account = session.get(PlatformAccount, user_id, with_for_update=True)
            trust = self._trust_of(session, account)
            if (
                (account is None or trust is None or trust.state != CERTIFICATE_ISSUED)
                and (TERMS_BEFORE_CERTIFICATE not in self.breakages or account is None)
                and (TERMS_DURING_REQUEST not in self.breakages or trust is None)
            ):
                raise Conflict(
                    "the terms come once the certificate is issued (step 5)",
                    code="registration_wrong_state",
                    extra={"state": self._platform_state(account, trust)},
                )
            assert account is not None  # refused above, whatever the switches
            outdated = cgu_version != CGU.version or privacy_policy_version != PRIVACY_POLICY.version
            newer = registration_breakages.newer_terms_tolerated(
                (cgu_version, privacy_policy_version), (CGU.version, PRIVACY_POLICY.version), self.breakages
            )
            if outdated and TERMS_ANY_VERSION not in self.breakages and not newer:
                raise Conflict(
                    f"the current versions are CGU {CGU.version} and privacy policy {PRIVACY_POLICY.version}",
                    code="terms_version_outdated",
                )
            member_of = {f.id for f in accounts.firms_of(session, user_id)}
            errors = []
            for index, entry in enumerate(firms):
                firm_id = entry.get("firm_id") if isinstance(entry, dict) else None
                if firm_id not in member_of:
                    raise NotFound(f"no firm {firm_id} among yours", code="firm_not_found")
                boxes: tuple[str, ...] = ("cgu_accepted", "privacy_policy_accepted")
                if TERMS_ONE_BOX in self.breakages and any(entry.get(box) is True for box in boxes):
                    boxes = ()
                boxes = registration_breakages.terms_boxes(boxes, index, self.breakages)
                for box in boxes:
                    if entry.get(box) is not True:
                        errors.append({"field": f"firms[{index}].{box}", "code": "required", "detail": "tick the box"})
            if errors:
                raise InvalidInput(
                    "Cochez « lu et accepté » pour les CGU et la politique de protection des données de chaque "
                    "cabinet.",
                    code="terms_not_accepted",
                    errors=errors,
                )
            now = self._now()
            before = self._platform_state(account, trust)
            if TERMS_OPEN_ALL_FIRMS in self.breakages:
                firms = [{"firm_id": firm_id} for firm_id in sorted(member_of)]
            for entry in firms:
                existing = session.scalar(
                    select(TermsAcceptance).where(
                        TermsAcceptance.user_id == user_id, TermsAcceptance.firm_id == entry["firm_id"]
                    )
                )
                if existing is None and TERMS_SHARED_IN_FIRM in self.breakages:
                    existing = session.scalars(
                        select(TermsAcceptance)
                        .where(TermsAcceptance.firm_id == entry["firm_id"])
                        .order_by(TermsAcceptance.user_id)
                    ).first()
                if existing is None:
                    session.add(
                        TermsAcceptance(
                            user_id=user_id,
                            firm_id=entry["firm_id"],
                            cgu_version=cgu_version,
                            privacy_policy_version=privacy_policy_version,
                            accepted_at=now,
                        )
                    )
                else:
                    existing.cgu_version, existing.privacy_policy_version = cgu_version, privacy_policy_version
                    existing.accepted_at = now
            if account.activated_at is None:
                account.activated_at = now
            events.record(
                session,
                subject_type="account",
                subject_id=user_id,
                actor=user_id,
                action="terms_accepted",
                from_state=before,
                to_state=ACTIVE,
                at=now,
                detail={
                    "firms": [e["firm_id"] for e in firms],
                    "cgu_version": cgu_version,
                    "privacy_policy_version": privacy_policy_version,
                },
            )
        return self.status(user_id)

    def _person_state(self, session: Session, account: PlatformAccount | None, trust: TrustRegistration | None) -> str:
        """The platform state, with ``certificate_revoked`` or ``certificate_expired`` once the certificate the person
        holds has ended (the mock clock's now): the next step is then a new request."""
        state = self._platform_state(account, trust)
        if state not in (ACTIVE, CERTIFICATE_ISSUED) or not self._certificate_ended(session, trust):
            return state
        assert trust is not None
        assert trust.certificate_id is not None
        record = self.pki.get_certificate(trust.certificate_id, session=session)
        if record.revoked_at is not None:
            return CERTIFICATE_REVOKED
        return state if EXPIRED_CERTIFICATE_READS_VALID in self.breakages else CERTIFICATE_EXPIRED

    def _certificate_ended(self, session: Session, reg: TrustRegistration | None) -> bool:
        """Whether ``reg`` issued a certificate that is now revoked or expired (the mock clock's now)."""
        if reg is None or reg.state != CERTIFICATE_ISSUED or reg.certificate_id is None:
            return False
        record = self.pki.get_certificate(reg.certificate_id, session=session)
        now = self.clock.now()
        return (
            record.revoked_at is not None and record.revoked_at <= now
        ) or record.not_after < now  # valid through notAfter
