"""What the registration's calls answer, as typed dictionaries: the JSON bodies of the platform's and the trust
provider's APIs, which the screens read too.

They are :class:`~typing.TypedDict` rather than dataclasses because they *are* the wire format: an adapter returns
them as JSON unchanged, and mypy checks every key a caller reads or a view writes. Inputs go the other way: a core
call takes a value as received (typed ``object``, or a ``Mapping[str, object]`` for a submitted form) and checks it
itself (:mod:`mock_provider.core.registration.parsing`), so that the APIs and the screens refuse alike.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from mock_provider.core.accounts import FirmClaim

__all__ = [
    "AccountMatch",
    "AgreementView",
    "ApplicantView",
    "CertificateView",
    "CodeSent",
    "DelegationView",
    "FirmRef",
    "HandoffView",
    "MeView",
    "OperatorPage",
    "OperatorRegistrationView",
    "ProfileView",
    "RegistrationView",
    "StatusView",
    "TrustSummary",
]


class FirmRef(TypedDict):
    id: str
    name: str


class ProfileView(TypedDict):
    """Step 1's profile: the SSO's read-only fields and the mobile the person confirms."""

    given_name: str
    family_name: str
    email: str
    firms: list[FirmRef]
    mobile_number: str | None
    mobile_number_confirmed: bool
    read_only_fields: list[str]


class TrustSummary(TypedDict):
    """The trust provider's request, as the platform's status shows it."""

    id: str
    state: str
    level: str
    certificate_id: str | None
    rejection_reason: NotRequired[str | None]


class StatusView(TypedDict):
    """``GET /platform/api/v1/registration``."""

    state: str
    next_action: str | None
    profile: ProfileView
    certificate_request: TrustSummary | None
    active_firms: list[str]


class MeView(TypedDict):
    """``GET /platform/api/v1/me``."""

    id: str
    given_name: str
    family_name: str
    email: str
    identity_source: str
    mobile_number: str | None
    registration_state: str
    firms: list[FirmClaim]


class HandoffView(TypedDict):
    """A new (or resumed) request at the trust provider: where to send the applicant, with the session token.

    ``id``, ``state`` and ``url`` are Universign's answer to ``POST /v1/registrations``; the rest is the mock's.
    """

    id: str
    state: str
    level: str
    url: str
    session_token: str
    expires_at: str


class OperatorRegistrationView(TypedDict):
    """``GET /trust/v1/registrations/{id}`` with the operator's API key: the registration as its owner made it."""

    id: str
    state: str
    level: str
    applicant: str
    fullname: str | None
    fullname_type: str
    phone_number_type: str
    language: str
    session_type: str
    redirect_url: str | None
    certificate_id: str | None
    created_at: str
    updated_at: str
    expires_at: str


class OperatorPage(TypedDict):
    """``GET /trust/v1/registrations``: one page of the owner's registrations, newest first."""

    data: list[OperatorRegistrationView]
    has_more: bool
    next_cursor: str | None


class ApplicantView(TypedDict):
    email: str
    given_name: str
    family_name: str
    phone_masked: str


class AgreementView(TypedDict):
    version: str | None
    sha256: str | None
    signed_at: str | None


class RegistrationView(TypedDict):
    """``GET /trust/v1/registrations/{id}`` and what each of the applicant's steps answers."""

    id: str
    state: str
    next_action: str | None
    level: str
    language: str
    applicant: ApplicantView
    birth_date_given: bool
    document_type: str | None
    agreement: AgreementView
    cancellable: bool
    review_due_at: str | None
    rejection_reason: str | None
    certificate_id: str | None
    created_at: str
    updated_at: str
    return_url: NotRequired[str]


class CodeSent(TypedDict):
    """Step 4: an SMS code sent, to the mobile shown masked."""

    phone_masked: str
    phone_last_digits: str
    expires_at: str
    resend_available_at: str
    validity_seconds: int


class CertificateView(TypedDict):
    """The person's certificate, with its chain and where the 48-hour error report stands."""

    id: str
    registration_id: str
    level: str
    status: Literal["valid", "revoked", "expired"]
    acceptance: Literal["presumed_accepted", "awaiting_acceptance"]
    error_report_deadline: str
    subject: str
    serial_number: str
    not_before: str
    not_after: str
    certificate_pem: str
    chain_pem: list[str]


class AccountMatch(TypedDict):
    """Universign's ``matchAccount``: the certificate held by an e-mail address."""

    email: str
    level: str
    status: str
    registration_id: str


class DelegationView(TypedDict):
    id: str
    firm_id: str
    user_id: str
    kind: str
    granted_by: str
    granted_at: str


class CollaboratorView(TypedDict):
    """A firm's collaborator, as its chartered accountant's delegation screen lists them."""

    id: str
    given_name: str
    family_name: str
