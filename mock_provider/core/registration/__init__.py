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

The package, one concept a module (this module is the façade: :class:`Registrations` and today's names):

- :mod:`~mock_provider.core.registration.states`: the states, what comes next in each, the moves between them;
- :mod:`~mock_provider.core.registration.texts`: the guide's messages and the versioned texts (agreement, CGU, privacy);
- :mod:`~mock_provider.core.registration.parsing`: the input parsing shared by the APIs and the screens;
- :mod:`~mock_provider.core.registration.platform`: the platform's steps (status, step 1, hand-off, step 6);
- :mod:`~mock_provider.core.registration.delegations`: a firm's delegations;
- :mod:`~mock_provider.core.registration.operator_calls`: the trust provider's operator calls;
- :mod:`~mock_provider.core.registration.applicant`: the applicant's steps 2 and 4, cancellation, error report;
- :mod:`~mock_provider.core.registration.identity_document`: the applicant's step 3;
- :mod:`~mock_provider.core.registration.review`: step 5, the review and the issuance;
- :mod:`~mock_provider.core.registration.views`: what the calls answer;
- :mod:`~mock_provider.core.registration.shapes`: the answers' typed shapes;
- :mod:`~mock_provider.core.registration.lifecycle`: the certificate after step 5 (expiry notices, the holder's
  revocation).

Each module declares the rule-breakage switches it honours, next to the rules they break.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.areas.registration import (
    ACCEPTED_AT_ONCE,
    ACCOUNTANT_OF_ANY_FIRM,
    ACTIVE_FIRMS_OF_OTHERS,
    AGREEMENT_HASH_UNCHECKED,
    AGREEMENT_VERSION_UNCHECKED,
    ANY_DOCUMENT_TYPE_ACCEPTED,
    ANY_LEVEL_ACCEPTED,
    ANY_MOBILE_ACCEPTED,
    BACK_SIDE_OPTIONAL,
    BAD_MRZ_ACCEPTED,
    BIRTH_DATE_OPTIONAL,
    BLANK_ERROR_REPORT_ACCEPTED,
    CANCEL_AFTER_SIGNING,
    CANCEL_RACE,
    CANCELLATION_REFUSED,
    COLLABORATOR_MANAGES_DELEGATIONS,
    CONSENT_RACE,
    CONSENTS_OPTIONAL,
    CROSS_FIRM_DELEGATIONS,
    DELEGATION_HELD_BY_COLLEAGUE,
    DELEGATION_KINDS_BY_ORDER,
    DELEGATION_RACE,
    DELEGATION_REVOKE_IGNORED,
    DELEGATION_REVOKED_ELSEWHERE,
    DELEGATION_TO_ACCOUNTANT,
    DELEGATION_TO_MEMBER_OF_OTHER_FIRM,
    DELEGATION_TO_NON_MEMBER,
    DELEGATIONS_LISTED_ACROSS_FIRMS,
    DOCUMENT_JUDGED_BY_NAME,
    DOCUMENT_REPLACED,
    ERROR_REPORT_AFTER_WINDOW,
    ERROR_REPORT_KEEPS_CERTIFICATE,
    ERROR_REPORT_RACE,
    EVENT_LOG_INCOMPLETE,
    GREYSCALE_ACCEPTED,
    HANDOFF_WITHOUT_PROFILE,
    IDENTITY_RESUBMITTED,
    ILLEGAL_TRANSITION_ACCEPTED,
    MALFORMED_OTP_COUNTED,
    MATCHED_BY_ORDER,
    MINOR_ACCEPTED,
    MOBILE_OPTIONAL,
    NO_DECISION_EMAIL,
    OPERATOR_READS_ANY_REGISTRATION,
    OTHER_REGISTRATION_VISIBLE,
    OVERSIZE_ACCEPTED,
    PDF_REFUSED,
    PHONE_UNMASKED,
    PROFILE_NAME_EDITABLE,
    REJECTION_REASON_ON_LIVE_REQUEST,
    REJECTION_REASON_UNTOLD,
    REVIEW_OVERDUE,
    RIGHT_CODE_RACE,
    SERVICE_OPEN_WITHOUT_DELEGATION,
    SESSION_NEVER_EXPIRES,
    TERMS_ANY_VERSION,
    TERMS_BEFORE_CERTIFICATE,
    TERMS_DURING_REQUEST,
    TERMS_ONE_BOX,
    TERMS_OPEN_ALL_FIRMS,
    WRONG_CODES_RACE,
)
from mock_provider.core.registration.applicant import EARLIEST_BIRTH_DATE, ApplicantSteps
from mock_provider.core.registration.delegations import Delegations
from mock_provider.core.registration.identity_document import IdentityDocumentStep
from mock_provider.core.registration.lifecycle import HOLDER_REVOCATION_REASONS, CertificateLifecycle
from mock_provider.core.registration.parsing import normalise_mobile
from mock_provider.core.registration.platform import PlatformSteps
from mock_provider.core.registration.states import (
    ACTIVE,
    AGREEMENT_SIGNED,
    AUTHENTICATED,
    CANCELLABLE,
    CANCELLED,
    CERTIFICATE_ISSUED,
    CREATED,
    DOCUMENTS_SUBMITTED,
    IDENTITY_SUBMITTED,
    LANGUAGES,
    LEVELS,
    NEXT_ACTION,
    PENDING_VALIDATION,
    PROFILE_CONFIRMED,
    REJECTED,
    TRUST_NEXT_ACTION,
)
from mock_provider.core.registration.texts import (
    AGREEMENT,
    AGREEMENT_PURPOSE,
    AGREEMENT_VERSION,
    APPROVAL_SUBJECT,
    CGU,
    IDENTITY_INCOMPLETE_MESSAGE,
    PRIVACY_POLICY,
    READ_ONLY_MESSAGE,
    TERMS_VERSION,
    VersionedText,
)
from mock_provider.core.registration.views import mask_phone

__all__ = [
    "ACCEPTED_AT_ONCE",
    "ACCOUNTANT_OF_ANY_FIRM",
    "ACTIVE",
    "ACTIVE_FIRMS_OF_OTHERS",
    "AGREEMENT",
    "AGREEMENT_HASH_UNCHECKED",
    "AGREEMENT_PURPOSE",
    "AGREEMENT_SIGNED",
    "AGREEMENT_VERSION",
    "AGREEMENT_VERSION_UNCHECKED",
    "ANY_DOCUMENT_TYPE_ACCEPTED",
    "ANY_LEVEL_ACCEPTED",
    "ANY_MOBILE_ACCEPTED",
    "APPROVAL_SUBJECT",
    "AUTHENTICATED",
    "BACK_SIDE_OPTIONAL",
    "BAD_MRZ_ACCEPTED",
    "BIRTH_DATE_OPTIONAL",
    "BLANK_ERROR_REPORT_ACCEPTED",
    "CANCELLABLE",
    "CANCELLATION_REFUSED",
    "CANCELLED",
    "CANCEL_AFTER_SIGNING",
    "CANCEL_RACE",
    "CERTIFICATE_ISSUED",
    "CGU",
    "COLLABORATOR_MANAGES_DELEGATIONS",
    "CONSENTS_OPTIONAL",
    "CONSENT_RACE",
    "CREATED",
    "CROSS_FIRM_DELEGATIONS",
    "DELEGATIONS_LISTED_ACROSS_FIRMS",
    "DELEGATION_HELD_BY_COLLEAGUE",
    "DELEGATION_KINDS_BY_ORDER",
    "DELEGATION_RACE",
    "DELEGATION_REVOKED_ELSEWHERE",
    "DELEGATION_REVOKE_IGNORED",
    "DELEGATION_TO_ACCOUNTANT",
    "DELEGATION_TO_MEMBER_OF_OTHER_FIRM",
    "DELEGATION_TO_NON_MEMBER",
    "DOCUMENTS_SUBMITTED",
    "DOCUMENT_JUDGED_BY_NAME",
    "DOCUMENT_REPLACED",
    "EARLIEST_BIRTH_DATE",
    "ERROR_REPORT_AFTER_WINDOW",
    "ERROR_REPORT_KEEPS_CERTIFICATE",
    "ERROR_REPORT_RACE",
    "EVENT_LOG_INCOMPLETE",
    "GREYSCALE_ACCEPTED",
    "HANDOFF_WITHOUT_PROFILE",
    "HOLDER_REVOCATION_REASONS",
    "IDENTITY_INCOMPLETE_MESSAGE",
    "IDENTITY_RESUBMITTED",
    "IDENTITY_SUBMITTED",
    "ILLEGAL_TRANSITION_ACCEPTED",
    "LANGUAGES",
    "LEVELS",
    "MALFORMED_OTP_COUNTED",
    "MATCHED_BY_ORDER",
    "MINOR_ACCEPTED",
    "MOBILE_OPTIONAL",
    "NEXT_ACTION",
    "NO_DECISION_EMAIL",
    "OPERATOR_READS_ANY_REGISTRATION",
    "OTHER_REGISTRATION_VISIBLE",
    "OVERSIZE_ACCEPTED",
    "PDF_REFUSED",
    "PENDING_VALIDATION",
    "PHONE_UNMASKED",
    "PRIVACY_POLICY",
    "PROFILE_CONFIRMED",
    "PROFILE_NAME_EDITABLE",
    "READ_ONLY_MESSAGE",
    "REJECTED",
    "REJECTION_REASON_ON_LIVE_REQUEST",
    "REJECTION_REASON_UNTOLD",
    "REVIEW_OVERDUE",
    "RIGHT_CODE_RACE",
    "SERVICE_OPEN_WITHOUT_DELEGATION",
    "SESSION_NEVER_EXPIRES",
    "TERMS_ANY_VERSION",
    "TERMS_BEFORE_CERTIFICATE",
    "TERMS_DURING_REQUEST",
    "TERMS_ONE_BOX",
    "TERMS_OPEN_ALL_FIRMS",
    "TERMS_VERSION",
    "TRUST_NEXT_ACTION",
    "WRONG_CODES_RACE",
    "CertificateLifecycle",
    "PlatformSteps",
    "Registrations",
    "VersionedText",
    "mask_phone",
    "normalise_mobile",
]


class Registrations(CertificateLifecycle, Delegations, ApplicantSteps, IdentityDocumentStep):
    """The registration's transitions and views, over storage, the clock and the PKI."""
