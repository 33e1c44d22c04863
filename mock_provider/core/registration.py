"""The registration: the six steps of the user guide as one state machine (DESIGN.md section 2).

Two parties share it, as in production:

- the **platform** (jesignexpert.com) knows the person from the SSO, has them confirm their profile and mobile
  number (step 1), hands them over to the trust provider (step 2 hand-off), and opens the service to their firms
  once the terms are accepted (step 6);
- the **trust provider** (Universign) runs the certificate request: identity (step 2), identity document (step 3),
  subscription agreement signed with an SMS code (step 4), review and issuance (step 5).

Each transition is one method here, one database transaction, and one or more rows of the event log. An illegal
transition raises :class:`~mock_provider.core.errors.Conflict` (409) and changes nothing; bad input raises
:class:`~mock_provider.core.errors.InvalidInput` (400) and changes nothing. The HTTP blueprints and the screens
call these methods and nothing else, so that every rule lives in one place.

Time-driven steps (the automatic review after its delay, the end of the 48-hour error-report window) are not run
by a background thread: every call first settles what the mock clock says is due (:meth:`Registrations.settle`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core import accounts, events, otp, outbox, registration_breakages, scenarios
from mock_provider.core.base import TrustService, token_digest
from mock_provider.core.breakages import declare
from mock_provider.core.documents import (
    DocumentError,
    InspectedFile,
    check_mrz,
    inspect_document,
    parse_document_type,
)
from mock_provider.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.models import (
    Delegation,
    Firm,
    IdentityDocument,
    Membership,
    PlatformAccount,
    TermsAcceptance,
    TrustRegistration,
    User,
)
from mock_provider.core.pki import profiles
from mock_provider.core.storage import locking

#: No applicant is born before this (step 2); a date such as 0001-01-01 is a typing error, not an identity.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# -- states --------------------------------------------------------------------------------------------------------

#: The trust provider's registration states. ``created``: handed over, identity not given yet.
CREATED, IDENTITY_SUBMITTED, DOCUMENTS_SUBMITTED = "created", "identity_submitted", "documents_submitted"
AGREEMENT_SIGNED, PENDING_VALIDATION = "agreement_signed", "pending_validation"
CERTIFICATE_ISSUED, REJECTED, CANCELLED = "certificate_issued", "rejected", "cancelled"
#: Platform-only states.
AUTHENTICATED, PROFILE_CONFIRMED, ACTIVE = "authenticated", "profile_confirmed", "active"

CANCELLABLE = (CREATED, IDENTITY_SUBMITTED, DOCUMENTS_SUBMITTED)
LEVELS = profiles.LEVELS
LANGUAGES = ("fr", "en")

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
}

#: The guide's own message when the birth date or a consent is missing (step 2).
IDENTITY_INCOMPLETE_MESSAGE = "Vous devez saisir votre date de naissance puis cocher les cases."
READ_ONLY_MESSAGE = (
    "Nom, prénom, adresse e-mail et cabinets viennent de Comptexpert : pour les modifier, "
    "rapprochez-vous de votre conseil régional de l'ordre (CROEC)."
)
AGREEMENT_PURPOSE = "subscription_agreement"
TERMS_VERSION = "2026-01"
APPROVAL_SUBJECT = "Félicitations ! Votre certificat est disponible"
AGREEMENT_VERSION = "2026-01"

# -- rule breakages (mock_provider.core.breakages): each one turns one rule below off, for the conformance suite -----

PROFILE_NAME_EDITABLE = declare(
    "profile_name_editable",
    rule="Names, e-mail and firms come from the SSO and are read-only at step 1.",
    check="registration.profile.read_only_fields",
)
MOBILE_OPTIONAL = declare(
    "mobile_optional",
    rule="Step 1 refuses a profile without a mobile number.",
    check="registration.profile.mobile_required",
)
ANY_MOBILE_ACCEPTED = declare(
    "any_mobile_accepted",
    rule="Step 1 accepts only a French mobile (06, 07) or an E.164 number.",
    check="registration.profile.mobile_format",
)
HANDOFF_WITHOUT_PROFILE = declare(
    "handoff_without_profile",
    rule="The certificate request starts only once the profile is confirmed (step 1 before step 2).",
    check="registration.handoff.requires_profile",
)
BIRTH_DATE_OPTIONAL = declare(
    "birth_date_optional",
    rule="Step 2 refuses an identity without a birth date.",
    check="registration.identity.birth_date_required",
)
CONSENTS_OPTIONAL = declare(
    "consents_optional",
    rule="Step 2 refuses an identity unless both consents (provider terms, data protection) are given.",
    check="registration.identity.consents_required",
)
MINOR_ACCEPTED = declare(
    "minor_accepted",
    rule="Step 2 refuses an applicant under 18.",
    check="registration.identity.adults_only",
)
DOCUMENT_JUDGED_BY_NAME = declare(
    "document_judged_by_name",
    rule="Step 3 judges a document by its content: a file that is not JPEG, PNG or PDF is refused whatever its name.",
    check="registration.documents.judged_by_content",
)
GREYSCALE_ACCEPTED = declare(
    "greyscale_accepted",
    rule="Step 3 refuses a greyscale picture of the document.",
    check="registration.documents.colour_required",
)
OVERSIZE_ACCEPTED = declare(
    "oversize_accepted",
    rule="Step 3 refuses a file over the size limit.",
    check="registration.documents.size_limit",
)
BACK_SIDE_OPTIONAL = declare(
    "back_side_optional",
    rule="Step 3 refuses an identity card without its back side.",
    check="registration.documents.back_required",
)
BAD_MRZ_ACCEPTED = declare(
    "bad_mrz_accepted",
    rule="Step 3 refuses a machine-readable zone whose check digits are wrong.",
    check="registration.documents.mrz_check_digits",
)
AGREEMENT_HASH_UNCHECKED = declare(
    "agreement_hash_unchecked",
    rule="Step 4 takes a consent only to the current agreement version, named with its SHA-256.",
    check="registration.agreement.versioned",
)
ILLEGAL_TRANSITION_ACCEPTED = declare(
    "illegal_transition_accepted",
    rule="A step out of order (the agreement before the identity document) is refused with 409 and changes nothing.",
    check="registration.agreement.steps_in_order",
)
CANCEL_AFTER_SIGNING = declare(
    "cancel_after_signing",
    rule="Once the subscription agreement is signed, the certificate request can no longer be cancelled.",
    check="registration.agreement.no_cancel_after_signing",
)
ERROR_REPORT_KEEPS_CERTIFICATE = declare(
    "error_report_keeps_certificate",
    rule="An error reported within 48 hours revokes the certificate before a new one is issued.",
    check="registration.review.error_report_revokes",
)
ERROR_REPORT_AFTER_WINDOW = declare(
    "error_report_after_window",
    rule="After 48 hours the certificate is presumed accepted: an error report is refused.",
    check="registration.review.error_report_window",
)
TERMS_BEFORE_CERTIFICATE = declare(
    "terms_before_certificate",
    rule="The terms (step 6) are accepted only once the certificate is issued (step 5).",
    check="registration.terms.after_certificate",
)
TERMS_DURING_REQUEST = declare(
    "terms_during_request",
    rule="The terms (step 6) are accepted only once the certificate is issued, not at any earlier state of the "
    "request (here: a request under way, at whatever state, lets them through).",
    check="registration.terms.after_certificate",
)
TERMS_ONE_BOX = declare(
    "terms_one_box",
    rule="Step 6 needs both boxes (terms of use and data-protection policy) for each firm.",
    check="registration.terms.both_boxes",
)
TERMS_OPEN_ALL_FIRMS = declare(
    "terms_open_all_firms",
    rule="Accepting the terms for one firm opens the service to that firm only.",
    check="registration.terms.per_firm",
)
TERMS_ANY_VERSION = declare(
    "terms_any_version",
    rule="Step 6 records the current versions of the texts: an outdated version is refused.",
    check="registration.terms.current_versions",
)
MATCHED_BY_ORDER = declare(
    "matched_by_order",
    rule="matchAccount answers the certificate of that very e-mail: another person's newer request changes nothing "
    "(here: the latest request of an e-mail sorting after it, or equal, is answered).",
    check="registration.review.match_account",
)
ACTIVE_FIRMS_OF_OTHERS = declare(
    "active_firms_of_others",
    rule="A person's active firms are those whose terms that person accepted, none accepted by someone else "
    "(here: the acceptances of the people whose user id sorts after theirs count as theirs).",
    check="registration.terms.per_person",
)
DELEGATION_TO_NON_MEMBER = declare(
    "delegation_to_non_member",
    rule="A delegation is granted only to a collaborator of the firm.",
    check="registration.delegations.members_only",
)
DELEGATION_TO_MEMBER_OF_OTHER_FIRM = declare(
    "delegation_to_member_of_other_firm",
    rule="A delegation is granted only to a collaborator of that very firm: a membership of another firm does not "
    "count (here: a membership looked up by order of the firm ids, of this firm or one sorting before it).",
    check="registration.delegations.members_only",
)
DELEGATION_TO_ACCOUNTANT = declare(
    "delegation_to_accountant",
    rule="A delegation is granted to a collaborator: a chartered accountant of the firm (oneself included) is refused.",
    check="registration.delegations.collaborators_only",
)
DELEGATION_HELD_BY_COLLEAGUE = declare(
    "delegation_held_by_colleague",
    rule="A delegation is held per person: a colleague holding that kind does not stop granting it (here: one held by "
    "a colleague whose user id sorts before is taken as already held).",
    check="registration.delegations.grant_and_revoke",
)
DELEGATION_KINDS_BY_ORDER = declare(
    "delegation_kinds_by_order",
    rule="A delegation is held per kind: holding one kind does not stop granting another (here: one of a kind "
    "sorting before is taken as already held).",
    check="registration.delegations.grant_and_revoke",
)
DELEGATIONS_LISTED_ACROSS_FIRMS = declare(
    "delegations_listed_across_firms",
    rule="A firm's list of delegations holds that firm's delegations only (here: those of the firms whose id sorts "
    "after it too).",
    check="registration.delegations.listed_per_firm",
)
COLLABORATOR_MANAGES_DELEGATIONS = declare(
    "collaborator_manages_delegations",
    rule="Only the firm's chartered accountant grants delegations.",
    check="registration.delegations.accountant_only",
)
SERVICE_OPEN_WITHOUT_DELEGATION = declare(
    "service_open_without_delegation",
    rule="Step 6 opens the service to the firm's collaborators holding a delegation, not to the others.",
    check="registration.delegations.service_follows_delegation",
)
# The once-only rules under concurrency: each switch drops the lock of one transition (a careless provider's
# check-then-act), so that parallel requests all pass the check before any of them acts.
MALFORMED_OTP_COUNTED = declare(
    "malformed_otp_counted",
    rule="A code that is not six digits is refused as malformed (400 otp_malformed), not compared and counted as a "
    "wrong try (here: any string is compared).",
    check="registration.otp.malformed",
)
RIGHT_CODE_RACE = declare(
    "right_code_race",
    rule="The right SMS code signs the agreement once: parallel submissions of it give one signature, one certificate.",
    check="concurrency.agreement.right_code_once",
)
WRONG_CODES_RACE = declare(
    "wrong_codes_race",
    rule="Parallel wrong SMS codes are counted one by one: at most 5 are compared, then the code is locked.",
    check="concurrency.agreement.wrong_codes_counted",
)
CONSENT_RACE = declare(
    "consent_race",
    rule="Parallel consents send one SMS code (the resend cooldown holds), and that code signs.",
    check="concurrency.agreement.consent_once",
)
CANCEL_RACE = declare(
    "cancel_race",
    rule="Cancel and sign at once: one of them wins, never both (no cancelled request with a certificate). "
    "The switch drops the lock of both transitions.",
    check="concurrency.registration.cancel_or_sign",
)
ERROR_REPORT_RACE = declare(
    "error_report_race",
    rule="Parallel error reports leave one valid certificate: each report revokes the one it replaces.",
    check="concurrency.certificate.error_reports_serialised",
)
DELEGATION_RACE = declare(
    "delegation_race",
    rule="A delegation is held once: parallel grants of the same one give one grant, the others 409.",
    check="concurrency.delegations.granted_once",
)
OTHER_REGISTRATION_VISIBLE = declare(
    "other_registration_visible",
    rule="A registration's session token opens that registration only.",
    check="registration.isolation.other_registration_invisible",
)
PHONE_UNMASKED = declare(
    "phone_unmasked",
    rule="Step 4 shows the mobile the SMS code went to masked, its last four digits only.",
    check="registration.otp.sent",
)
PDF_REFUSED = declare(
    "pdf_refused",
    rule="Step 3 accepts a PDF copy of the identity document.",
    check="registration.documents.accepted",
)
DELEGATION_REVOKED_ELSEWHERE = declare(
    "delegation_revoked_elsewhere",
    rule="A delegation is revoked through its own firm only: through another firm it is not found.",
    check="registration.delegations.revoked_in_its_firm_only",
)
DELEGATION_REVOKE_IGNORED = declare(
    "delegation_revoke_ignored",
    rule="A revoked delegation is gone.",
    check="registration.delegations.grant_and_revoke",
)
CANCELLATION_REFUSED = declare(
    "cancellation_refused",
    rule="Until the agreement is signed the applicant may cancel the certificate request.",
    check="registration.agreement.cancel_before_signing",
)
NO_DECISION_EMAIL = declare(
    "no_decision_email",
    rule="The applicant is e-mailed when the review decides.",
    check="registration.review.decision_email",
)
ACCEPTED_AT_ONCE = declare(
    "accepted_at_once",
    rule="A new certificate awaits its holder's acceptance for 48 hours (the error-report window).",
    check="registration.review.issued",
)
ANY_LEVEL_ACCEPTED = declare(
    "any_level_accepted",
    rule="A registration asks for one of the certificate levels lcp, qcp or qcpnqscd.",
    check="registration.handoff.levels",
)
IDENTITY_RESUBMITTED = declare(
    "identity_resubmitted",
    rule="Step 2 is done once: a second identity is refused (409), not written over the first.",
    check="registration.identity.given_once",
)
DOCUMENT_REPLACED = declare(
    "document_replaced",
    rule="Step 3 is done once: a second upload is refused (409), not written over the first document.",
    check="registration.documents.uploaded_once",
)
ANY_DOCUMENT_TYPE_ACCEPTED = declare(
    "any_document_type_accepted",
    rule="Step 3 accepts the document types id_card:fra, residence_permit:fra and passport:<ISO 3166 alpha-3> only.",
    check="registration.documents.document_type",
)
REVIEW_OVERDUE = declare(
    "review_overdue",
    rule="The identity review decides within 24 hours.",
    check="registration.review.within_24_hours",
)
EVENT_LOG_INCOMPLETE = declare(
    "event_log_incomplete",
    rule="Every transition of the registration is in its event log.",
    check="registration.events.lifecycle_log",
)
AGREEMENT_VERSION_UNCHECKED = declare(
    "agreement_version_unchecked",
    rule="Step 4's consent names the current version of the agreement as well as its hash: another version is "
    "refused (here: only the hash is compared).",
    check="registration.agreement.versioned",
)
BLANK_ERROR_REPORT_ACCEPTED = declare(
    "blank_error_report_accepted",
    rule="An error report says what is wrong: a blank detail is refused (error_report_incomplete).",
    check="registration.review.error_report_revokes",
)
REJECTION_REASON_ON_LIVE_REQUEST = declare(
    "rejection_reason_on_live_request",
    rule="The platform's certificate_request names a rejection_reason only once the request is rejected.",
    check="registration.terms.after_certificate",
)
REJECTION_REASON_UNTOLD = declare(
    "rejection_reason_untold",
    rule="The platform's certificate_request of a rejected request gives the rejection's reason.",
    check="registration.terms.after_certificate",
)
#: Document refusals that a breakage above tolerates: (code, field or None for any field) by switch.
_TOLERATED_DOCUMENT_ERRORS = {
    DOCUMENT_JUDGED_BY_NAME: ("unsupported_document_format", None),
    GREYSCALE_ACCEPTED: ("document_not_in_colour", None),
    OVERSIZE_ACCEPTED: ("document_too_large", None),
    registration_breakages.SMALL_IMAGE_ACCEPTED: ("document_too_small", None),
    BACK_SIDE_OPTIONAL: ("document_missing", "back"),
}

_FRENCH_MOBILE = re.compile(r"^0[67][0-9]{8}$")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{4,30}$")


def _text(name: str) -> str:
    return resources.files("mock_provider.texts").joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class VersionedText:
    name: str
    version: str
    language: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "language": self.language,
            "sha256": self.sha256,
            "text": self.text,
        }


AGREEMENT = VersionedText("subscription_agreement", AGREEMENT_VERSION, "fr", _text("subscription-agreement-fr.txt"))
CGU = VersionedText("cgu", TERMS_VERSION, "fr", _text("cgu-fr.txt"))
PRIVACY_POLICY = VersionedText("privacy_policy", TERMS_VERSION, "fr", _text("privacy-policy-fr.txt"))


def normalise_mobile(raw: str, *, field: str = "mobile_number") -> str:
    """A French mobile (06 12 34 56 78, +33 6 12 …) or any E.164 number, as E.164; else :class:`InvalidInput`."""
    compact = re.sub(r"[\s.\-()]", "", raw or "")
    if _FRENCH_MOBILE.match(compact):
        return "+33" + compact[1:]
    if compact.startswith("+33") and not re.fullmatch(r"\+33[67][0-9]{8}", compact):
        raise _bad_mobile(field)
    if _E164.match(compact):
        return compact
    raise _bad_mobile(field)


def _bad_mobile(field: str) -> InvalidInput:
    return InvalidInput(
        "a French mobile number (06 or 07) or an international number in E.164 form (+33612345678) is required",
        code="invalid_mobile_number",
        errors=[{"field": field, "code": "invalid_mobile_number", "detail": "not a mobile number"}],
    )


def mask_phone(phone_number: str) -> str:
    """Only the last four digits stay visible, as the guide's "envoyé par SMS au 8795"."""
    return "*" * (len(phone_number) - 4) + phone_number[-4:]


def _age(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


class Registrations(TrustService):
    """The registration's transitions and views, over storage, the clock and the PKI."""

    # ==============================================================================================================
    # platform: status, step 1, step 2 hand-off, step 6, delegations
    # ==============================================================================================================

    def status(self, user_id: str) -> dict[str, Any]:
        """``GET /platform/api/v1/registration``: where the person stands and what comes next."""
        self.settle()
        with self.db.read() as session:
            user = accounts.get_user(session, user_id)
            account = session.get(PlatformAccount, user_id)
            trust = self._trust_of(session, account)
            state = registration_breakages.platform_state(self._platform_state(account, trust), self.breakages)
            next_action = NEXT_ACTION.get(state)
            if trust is not None and trust.state in CANCELLABLE:
                next_action = TRUST_NEXT_ACTION[trust.state]  # at the trust provider, reached through the hand-off
            return {
                "state": state,
                "next_action": next_action,
                "profile": self._profile(session, user, account),
                "certificate_request": self._trust_summary(trust) if trust else None,
                "active_firms": self._active_firm_ids(session, user_id),
            }

    def current_certificate(self, user_id: str) -> dict[str, Any]:
        """The person's certificate, as the platform has it from the trust provider (after step 5)."""
        self.settle()
        with self.db.read() as session:
            trust = self._trust_of(session, session.get(PlatformAccount, user_id))
            if trust is None or trust.certificate_id is None:
                raise NotFound("no certificate has been issued to this person yet", code="certificate_not_issued")
            return self._certificate_view(trust)

    def me(self, user_id: str) -> dict[str, Any]:
        """``GET /platform/api/v1/me``: the person, their firms, what they may do in each."""
        self.settle()
        with self.db.read() as session:
            user = accounts.get_user(session, user_id)
            account = session.get(PlatformAccount, user_id)
            state = self._platform_state(account, self._trust_of(session, account))
            opened = accounts.opened_firm_ids(session)
            firms = []
            mine = accounts.firms_of(session, user_id)
            if len(mine) < 2 and registration_breakages.SERVICE_SHUT_FOR_ONE_FIRM in self.breakages:
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

    def confirm_profile(self, user_id: str, submitted: dict[str, Any]) -> dict[str, Any]:
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
    ) -> tuple[dict[str, Any], bool]:
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
            assert account.mobile_number is not None
            current = self._trust_of(session, account)
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
            reopenable = (REJECTED, CANCELLED, *registration_breakages.reopenable_states(self.breakages))
            # DESIGN.md §3: a new request once the certificate is revoked or expired, not while it is valid.
            ended = self._certificate_ended(session, current) and registration_breakages.renewable(self.breakages)
            if current is not None and current.state not in reopenable and not ended:
                raise Conflict(f"a certificate request is already {current.state}", code="certificate_request_exists")
            created, token = self._create_registration(
                session,
                operator="platform",
                user=user,
                email=user.email,
                phone_number=account.mobile_number,
                level=level,
                redirect_url=redirect_url,
                language=language,
            )
            account.trust_registration_id = created.id
            view = self._handoff_view(created, token)
        return view, True

    def accept_terms(
        self, user_id: str, *, firms: list[dict[str, Any]], cgu_version: str, privacy_policy_version: str
    ) -> dict[str, Any]:
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
                if existing is None and registration_breakages.TERMS_SHARED_IN_FIRM in self.breakages:
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

    # -- delegations -----------------------------------------------------------------------------------------------

    def list_delegations(self, user_id: str, firm_id: str) -> list[dict[str, Any]]:
        with self.db.read() as session:
            self._require_accountant(session, user_id, firm_id)
            rows = session.scalars(
                select(Delegation).where(Delegation.firm_id == firm_id).order_by(Delegation.granted_at)
            ).all()
            if DELEGATIONS_LISTED_ACROSS_FIRMS in self.breakages:  # the firm compared by order, not equality
                rows = session.scalars(
                    select(Delegation).where(Delegation.firm_id >= firm_id).order_by(Delegation.granted_at)
                ).all()
            rows = registration_breakages.listed_delegations(rows, self.breakages)
            return [_delegation_json(row) for row in rows]

    def grant_delegation(self, user_id: str, firm_id: str, *, collaborator_id: str, kind: str) -> dict[str, Any]:
        if not registration_breakages.known_delegation_kind(kind, accounts.DELEGATIONS, self.breakages):
            raise InvalidInput(
                f"kind must be one of {', '.join(accounts.DELEGATIONS)}",
                code="invalid_delegation_kind",
                errors=[{"field": "kind", "code": "invalid_choice", "detail": "sign, seal or prepare"}],
            )
        with self.db.transaction(lock=DELEGATION_RACE not in self.breakages) as session:
            self._lock_firm(session, firm_id)
            self._require_accountant(session, user_id, firm_id)
            member = session.scalar(
                select(Membership).where(Membership.firm_id == firm_id, Membership.user_id == collaborator_id)
            )
            if member is None and DELEGATION_TO_MEMBER_OF_OTHER_FIRM in self.breakages:  # firms compared by order
                member = session.scalar(
                    select(Membership).where(Membership.firm_id <= firm_id, Membership.user_id == collaborator_id)
                )
            if member is None and DELEGATION_TO_NON_MEMBER not in self.breakages:
                raise NotFound(f"no collaborator {collaborator_id} in this firm", code="collaborator_not_found")
            if member is not None and member.role != "collaborateur" and DELEGATION_TO_ACCOUNTANT not in self.breakages:
                raise InvalidInput("delegations are granted to collaborators", code="not_a_collaborator")
            exists = session.scalar(
                select(Delegation).where(
                    Delegation.firm_id == firm_id, Delegation.user_id == collaborator_id, Delegation.kind == kind
                )
            )
            if exists is None and DELEGATION_HELD_BY_COLLEAGUE in self.breakages:  # people compared by order
                exists = session.scalar(
                    select(Delegation).where(
                        Delegation.firm_id == firm_id, Delegation.user_id < collaborator_id, Delegation.kind == kind
                    )
                )
            if exists is None and DELEGATION_KINDS_BY_ORDER in self.breakages:  # kinds compared by order
                exists = session.scalar(
                    select(Delegation).where(
                        Delegation.firm_id == firm_id, Delegation.user_id == collaborator_id, Delegation.kind < kind
                    )
                )
            if exists is not None:
                raise Conflict("this delegation is already held", code="delegation_exists")
            now = self._now()
            row = Delegation(
                id=new_id("dlg"),
                firm_id=firm_id,
                user_id=collaborator_id,
                kind=kind,
                granted_by=user_id,
                granted_at=now,
            )
            session.add(row)
            events.record(
                session,
                subject_type="firm",
                subject_id=firm_id,
                actor=user_id,
                action="delegation_granted",
                at=now,
                detail={"delegation": row.id, "user": collaborator_id, "kind": kind},
            )
            return _delegation_json(row)

    def revoke_delegation(self, user_id: str, firm_id: str, delegation_id: str) -> None:
        with self.db.transaction() as session:
            self._lock_firm(session, firm_id)
            self._require_accountant(session, user_id, firm_id)
            row = session.get(Delegation, delegation_id)
            if row is None or (row.firm_id != firm_id and DELEGATION_REVOKED_ELSEWHERE not in self.breakages):
                raise NotFound(f"no delegation {delegation_id} in this firm", code="delegation_not_found")
            if DELEGATION_REVOKE_IGNORED not in self.breakages:
                session.delete(row)
            events.record(
                session,
                subject_type="firm",
                subject_id=firm_id,
                actor=user_id,
                action="delegation_revoked",
                at=self._now(),
                detail={"delegation": delegation_id, "user": row.user_id, "kind": row.kind},
            )

    def _certificate_ended(self, session: Session, reg: TrustRegistration | None) -> bool:
        """Whether ``reg`` issued a certificate that is now revoked or expired (the mock clock's now)."""
        if reg is None or reg.state != CERTIFICATE_ISSUED or reg.certificate_id is None:
            return False
        record = self.pki.get_certificate(reg.certificate_id, session=session)
        now = self.clock.now()
        return (
            record.revoked_at is not None and record.revoked_at <= now
        ) or record.not_after < now  # valid through notAfter

    @staticmethod
    def _lock_firm(session: Session, firm_id: str) -> None:
        """The firm's row lock: its delegations are granted and revoked one at a time (a new one has no row yet)."""
        session.get(Firm, firm_id, with_for_update=locking(session))

    def _require_accountant(self, session: Session, user_id: str, firm_id: str) -> None:
        if CROSS_FIRM_DELEGATIONS in self.breakages:
            return
        member = session.scalar(select(Membership).where(Membership.firm_id == firm_id, Membership.user_id == user_id))
        if member is None and ACCOUNTANT_OF_ANY_FIRM in self.breakages:
            member = session.scalar(
                select(Membership).where(Membership.user_id == user_id).order_by(Membership.firm_id)
            )
        if member is None:
            raise NotFound(f"no firm {firm_id} among yours", code="firm_not_found")
        if member.role != accounts.ACCOUNTANT and COLLABORATOR_MANAGES_DELEGATIONS not in self.breakages:
            raise Forbidden("only the firm's chartered accountant manages delegations", code="not_firm_accountant")

    # ==============================================================================================================
    # trust provider: operator calls (the platform's credentials)
    # ==============================================================================================================

    def create_registration(
        self,
        *,
        operator: str,
        email: str,
        level: str,
        phone_number: str,
        redirect_url: str | None,
        language: str,
    ) -> dict[str, Any]:
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

    def match_account(self, email: str) -> dict[str, Any]:
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
                status = "revoked" if record.revoked_at is not None else "valid"
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
        return reg, token

    def _handoff_view(self, reg: TrustRegistration, token: str) -> dict[str, Any]:
        return {
            "id": reg.id,
            "state": reg.state,
            "level": reg.level,
            "url": f"{self.config.base_url}/trust/enroll/{reg.id}?session={token}",
            "session_token": token,
        }

    # ==============================================================================================================
    # trust provider: the applicant's steps (authorised by the registration's session token)
    # ==============================================================================================================

    def authorise(self, registration_id: str, token: str | None) -> None:
        """Check that ``token`` is the session token of that registration; anything else is "not found"."""
        with self.db.transaction() as session:
            reg = session.get(TrustRegistration, registration_id)
            if reg is None or token is None or not secrets.compare_digest(reg.session_token_hash, token_digest(token)):
                if OTHER_REGISTRATION_VISIBLE in self.breakages and reg is not None and token is not None:
                    digest = token_digest(token)
                    opener = select(TrustRegistration.id).where(TrustRegistration.session_token_hash == digest)
                    if session.scalar(opener) is not None:  # any registration's session token opens every one
                        return
                raise NotFound(f"no registration {registration_id}", code="registration_not_found")

    def get(self, registration_id: str) -> dict[str, Any]:
        self.settle()
        with self.db.read() as session:
            return self._view(session, self._load(session, registration_id))

    def submit_identity(
        self, registration_id: str, *, birth_date: Any, accept_terms: Any, accept_privacy_policy: Any
    ) -> dict[str, Any]:
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

    def submit_documents(
        self,
        registration_id: str,
        *,
        document_type: str,
        document_number: str | None,
        front: bytes | None,
        back: bytes | None,
        mrz: str | None,
    ) -> dict[str, Any]:
        """Step 3, "pièce d'identité recto / verso": judged by content, colour only, MRZ checked when given.

        The MRZ and the document number are checked before the files, so that a document refused on them costs no
        image decode; then the sides, each on its header first and with one bounded decode
        (:func:`~mock_provider.core.documents.inspect_document`).
        """
        uploadable = (
            (IDENTITY_SUBMITTED, DOCUMENTS_SUBMITTED) if DOCUMENT_REPLACED in self.breakages else (IDENTITY_SUBMITTED,)
        )
        with self.db.read() as session:
            reg = self._load(session, registration_id)
            self._require_state(reg, uploadable, "upload the identity document")
            assert reg.birth_date is not None
            given_name, family_name, birth_date = reg.given_name, reg.family_name, reg.birth_date
        # A DocumentError is an InvalidInput carrying its field error: it goes out as is.
        try:
            kind = parse_document_type(
                registration_breakages.document_type_as_checked(document_type or "", self.breakages),
                allow_icao_specimen=registration_breakages.icao_specimen_allowed(self.breakages),
            )
        except DocumentError:
            if ANY_DOCUMENT_TYPE_ACCEPTED not in self.breakages:
                raise
            kind = parse_document_type("id_card:fra")
        kind = registration_breakages.document_kind(kind, back, self.breakages)
        mrz = registration_breakages.passport_mrz_as_checked(
            registration_breakages.mrz_as_checked(
                registration_breakages.mrz_charset_as_checked(
                    registration_breakages.name_digits_as_checked(mrz, self.breakages), self.breakages
                ),
                self.breakages,
            ),
            self.breakages,
        )
        mrz = registration_breakages.personal_filler_as_checked(
            registration_breakages.mrz_issuer_as_checked(mrz, kind.country, self.breakages), self.breakages
        )
        mrz = registration_breakages.mrz_code_as_checked(mrz, kind, self.breakages)
        mrz = registration_breakages.mrz_optional_data_as_checked(mrz, self.breakages)
        # The typed fields first: they cost nothing, and a document refused on them never costs an image decode.
        number = (document_number or "").strip().upper().replace(" ", "")
        if mrz and BAD_MRZ_ACCEPTED not in self.breakages:
            result = check_mrz(
                mrz,
                document_type=kind,
                given_name=given_name,
                surname=family_name,
                birth_date=registration_breakages.mrz_birth_date(birth_date, self.breakages),
                today=registration_breakages.expiry_reference(self.clock.now().date(), self.breakages),
            )
            if registration_breakages.long_number_refused(result.document_number, self.breakages):
                raise DocumentError("mrz_malformed", "the document number is longer than 9 characters", field="mrz")
            if (
                number
                and number != result.document_number
                and registration_breakages.MRZ_NUMBER_UNMATCHED not in self.breakages
            ):
                raise DocumentError(
                    "mrz_document_number_mismatch",
                    "the document number differs from the one in the MRZ",
                    field="document_number",
                )
            number = result.document_number
        if not _DOCUMENT_NUMBER.match(number):
            raise DocumentError(
                "invalid_document_number", "give the document number (4 to 30 letters and digits)", "document_number"
            )
        if scenarios.reported_stolen(number):
            raise DocumentError("document_reported_stolen", "this document is reported stolen", "document_number")
        try:
            front_info, back_info = inspect_document(
                kind,
                front=registration_breakages.side_as_checked(front, self.breakages),
                back=registration_breakages.side_as_checked(back, self.breakages),
                max_bytes=registration_breakages.document_limit(self.config.max_document_bytes, self.breakages),
                **registration_breakages.decode_limits(self.breakages),
            )
        except DocumentError as refused:
            if not self._tolerated(refused) or not front:
                raise
            front_info, back_info = _unjudged(front), _unjudged(back) if back else None
        assert front is not None  # inspect_document refused a missing front
        if PDF_REFUSED in self.breakages and front_info.media_type == "application/pdf":
            raise DocumentError("unsupported_document_format", "PDF files are not accepted", field="front")
        inspected = {"front": (front, front_info)}
        if back is not None and back_info is not None:
            inspected["back"] = (back, back_info)
        with self.db.transaction() as session:
            reg = self._load(session, registration_id, lock=True)
            # Checked again under the lock: the document was judged outside any transaction, and once uploaded it
            # is not replaced by a second upload.
            self._require_state(reg, uploadable, "upload the identity document")
            now = self._now()
            if DOCUMENT_REPLACED in self.breakages:  # else the state refuses a second upload: there is none to replace
                for old in session.scalars(select(IdentityDocument).where(IdentityDocument.registration_id == reg.id)):
                    session.delete(old)
            for side, (data, info) in inspected.items():
                session.add(
                    IdentityDocument(
                        id=new_id("doc"),
                        registration_id=reg.id,
                        side=side,
                        media_type=info.media_type,
                        sha256=info.sha256,
                        size=len(data),
                        content=data,
                        uploaded_at=now,
                    )
                )
            reg.document_type = document_type
            reg.document_number = number
            self._move(
                session,
                reg,
                DOCUMENTS_SUBMITTED,
                actor=reg.user_id,
                action="documents_submitted",
                now=now,
                detail={"document_type": document_type, "sides": sorted(inspected), "mrz_checked": bool(mrz)},
            )
            return self._view(session, reg)

    def consent_agreement(self, registration_id: str, *, version: Any, sha256: Any) -> dict[str, Any]:
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

    def resend_code(self, registration_id: str) -> dict[str, Any]:
        return self._send_code(registration_id, action="code_resent", require_consent=True)

    def _send_code(self, registration_id: str, *, action: str, require_consent: bool = False) -> dict[str, Any]:
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

    def sign_agreement(self, registration_id: str, *, code: Any) -> dict[str, Any]:
        """Step 4 end: the right code signs the agreement; the request goes to review and can't be cancelled."""
        if (not isinstance(code, str) or not re.fullmatch(r"\s*[0-9]{6}\s*", code)) and not (
            MALFORMED_OTP_COUNTED in self.breakages and isinstance(code, str)
        ):
            raise InvalidInput(
                "the SMS code has six digits",
                code="otp_malformed",
                errors=[{"field": "otp", "code": "invalid_format", "detail": "six digits"}],
            )
        unlocked = self.breakages.any_of(RIGHT_CODE_RACE, WRONG_CODES_RACE, CANCEL_RACE)
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

    def cancel(self, registration_id: str, *, actor: str) -> dict[str, Any]:
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

    def report_error(self, registration_id: str, *, detail: Any) -> dict[str, Any]:
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
            return self._view(session, reg)

    def certificate(self, registration_id: str) -> dict[str, Any]:
        self.settle()
        with self.db.read() as session:
            reg = self._load(session, registration_id)
            if reg.certificate_id is None:
                raise NotFound("no certificate has been issued for this registration", code="certificate_not_issued")
            return self._certificate_view(reg)

    def event_log(self, registration_id: str) -> list[dict[str, Any]]:
        with self.db.read() as session:
            reg = self._load(session, registration_id)
            logged = [e.as_json() for e in events.history(session, reg.id)]
            if EVENT_LOG_INCOMPLETE in self.breakages:
                logged = [e for e in logged if e["action"] != "agreement_signed"]
            return registration_breakages.logged(logged, self.breakages)

    # ==============================================================================================================
    # review (step 5)
    # ==============================================================================================================

    def pending_reviews(self) -> list[dict[str, Any]]:
        self.settle()
        with self.db.read() as session:
            rows = session.scalars(
                select(TrustRegistration)
                .where(TrustRegistration.state == PENDING_VALIDATION)
                .order_by(TrustRegistration.updated_at)
            ).all()
            return [self._view(session, r) for r in rows]

    def decide(self, registration_id: str, *, approve: bool, reason: str | None, actor: str) -> dict[str, Any]:
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
        if self.config.review_mode != "auto" or registration_breakages.REVIEW_NEVER_SETTLED in self.breakages:
            return
        now = self._now()
        with self.db.transaction() as session:
            due = session.scalars(
                select(TrustRegistration)
                .where(
                    TrustRegistration.state == PENDING_VALIDATION,
                    TrustRegistration.review_due_at <= registration_breakages.reviewed_until(now, self.breakages),
                )
                .with_for_update()
            ).all()
            for reg in due:
                self._auto_decide(session, reg, now)

    def _submit_for_review(self, session: Session, reg: TrustRegistration, now: datetime) -> None:
        auto = self.config.review_mode == "auto"
        delay = self.config.review_delay_seconds + (25 * 3600 if REVIEW_OVERDUE in self.breakages else 0)
        queued = scenarios.consume(session, "review_delay", now) if auto else None
        delay += queued.value if queued is not None and queued.value is not None else 0
        reg.review_due_at = now + timedelta(seconds=delay) if auto else None
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
        self._move(session, reg, REJECTED, actor=actor, action="rejected", now=now, detail={"reason": reason})
        if registration_breakages.NO_REJECTION_EMAIL in self.breakages:
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

    # ==============================================================================================================
    # helpers
    # ==============================================================================================================

    def _cancellable_states(self) -> tuple[str, ...]:
        """:data:`CANCELLABLE`, unless a rule breakage is on."""
        if CANCELLATION_REFUSED in self.breakages:
            return ()
        if CANCEL_AFTER_SIGNING in self.breakages:
            return (*CANCELLABLE, AGREEMENT_SIGNED, PENDING_VALIDATION, CERTIFICATE_ISSUED)
        return CANCELLABLE

    def _tolerated(self, refused: DocumentError) -> bool:
        """Whether a rule breakage that is on lets this document refusal through."""
        return any(
            breakage in self.breakages and refused.code == code and field in (None, refused.field)
            for breakage, (code, field) in _TOLERATED_DOCUMENT_ERRORS.items()
        )

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

    @staticmethod
    def _trust_of(session: Session, account: PlatformAccount | None) -> TrustRegistration | None:
        if account is None or account.trust_registration_id is None:
            return None
        return session.get(TrustRegistration, account.trust_registration_id)

    @staticmethod
    def _platform_state(account: PlatformAccount | None, trust: TrustRegistration | None) -> str:
        if account is None or account.profile_confirmed_at is None:
            return AUTHENTICATED
        if account.activated_at is not None:
            return ACTIVE
        if trust is None or trust.state == CANCELLED:
            return PROFILE_CONFIRMED
        if trust.state == CREATED:
            return PROFILE_CONFIRMED
        return trust.state

    def _profile(self, session: Session, user: User, account: PlatformAccount | None) -> dict[str, Any]:
        return {
            "given_name": user.given_name,
            "family_name": user.family_name,
            "email": user.email,
            "firms": [{"id": f.id, "name": f.name} for f in accounts.firms_of(session, user.id)],
            "mobile_number": (account.mobile_number if account else None) or user.phone_number,
            "mobile_number_confirmed": bool(account and account.profile_confirmed_at),
            "read_only_fields": ["given_name", "family_name", "email", "firms"],
        }

    def _trust_summary(self, reg: TrustRegistration) -> dict[str, Any]:
        summary = {"id": reg.id, "state": reg.state, "level": reg.level, "certificate_id": reg.certificate_id}
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

    def _view(self, session: Session, reg: TrustRegistration) -> dict[str, Any]:
        view: dict[str, Any] = {
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

    def _certificate_view(self, reg: TrustRegistration) -> dict[str, Any]:
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
            "status": "revoked" if record.revoked_at else "valid",
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


def _unjudged(data: bytes) -> InspectedFile:
    """A file let through by a rule breakage, recorded as the JPEG it claims to be."""
    return InspectedFile("image/jpeg", len(data), hashlib.sha256(data).hexdigest(), None, None, colour_checked=False)


def _firm_ids(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v.get("id")) if isinstance(v, dict) else str(v) for v in value]


def _delegation_json(row: Delegation) -> dict[str, Any]:
    return {
        "id": row.id,
        "firm_id": row.firm_id,
        "user_id": row.user_id,
        "kind": row.kind,
        "granted_by": row.granted_by,
        "granted_at": row.granted_at.isoformat(),
    }


# Rule-breakage switches (see mock_provider.core.breakages), honoured by Registrations._require_accountant.
CROSS_FIRM_DELEGATIONS = declare(
    "cross_firm_delegations",
    rule="A firm's delegations are seen and managed by its own chartered accountants only.",
    check="security.isolation.firm",
)
ACCOUNTANT_OF_ANY_FIRM = declare(
    "accountant_of_any_firm",
    rule="A chartered accountant manages the delegations of his own firms only: being a member of some firm does "
    "not open the others (here: a person's first membership stands for a firm he does not belong to).",
    check="registration.delegations.own_firms_only",
)
