"""Typed views of what the APIs answer. Each keeps the decoded JSON in ``raw`` for fields added later.

``from_json`` reads each field with its type (:mod:`jesign_sdk._json`): a field missing or of another type raises
``KeyError`` or ``TypeError``, which the requestor's ``read_json`` turns into
:class:`~jesign_sdk.APIResponseValidationError`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from jesign_sdk._json import field as _field
from jesign_sdk._json import json_object, objects, optional, optional_time, strings, time

__all__ = [
    "Agreement",
    "CertificateRequest",
    "CodeSent",
    "Delegation",
    "Firm",
    "Handoff",
    "IssuedCertificate",
    "Me",
    "Profile",
    "RegistrationStatus",
    "Tokens",
    "TrustRegistration",
]


@dataclass(frozen=True)
class Tokens:
    """What the SSO's token endpoint answered, with the instant the access token expires.

    Its repr leaves the tokens out (as every model of the SDK leaves its secrets out), so that a log line or a
    traceback that shows it gives nothing away.
    """

    access_token: str = field(repr=False)
    expires_at: datetime
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    scope: str = ""
    #: The verified claims of the id_token (sub, names, email, firms …), when one came.
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: dict[str, Any], *, now: datetime, claims: dict[str, Any] | None = None) -> Tokens:
        expires_in = optional(body, "expires_in", int)
        return cls(
            access_token=_field(body, "access_token", str),
            expires_at=now + timedelta(seconds=3600 if expires_in is None else expires_in),
            refresh_token=optional(body, "refresh_token", str),
            id_token=optional(body, "id_token", str),
            scope=optional(body, "scope", str) or "",
            claims=claims or {},
        )

    def expired(self, *, margin: timedelta = timedelta(seconds=30)) -> bool:
        return datetime.now(UTC) + margin >= self.expires_at

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at.isoformat(),
            "refresh_token": self.refresh_token,
            "id_token": self.id_token,
            "scope": self.scope,
            "claims": self.claims,
        }

    @classmethod
    def from_stored(cls, body: dict[str, Any]) -> Tokens:
        return cls(
            access_token=_field(body, "access_token", str),
            expires_at=time(body, "expires_at"),
            refresh_token=optional(body, "refresh_token", str),
            id_token=optional(body, "id_token", str),
            scope=optional(body, "scope", str) or "",
            claims=optional(body, "claims", dict) or {},
        )


@dataclass(frozen=True)
class Firm:
    """A firm the person belongs to (``Me.firms``): its ids, the person's ``role`` in it (``expert-comptable`` or
    ``collaborateur``), the ``delegations`` the person holds there (``sign``, ``seal``, ``prepare``), and whether
    the signing service is open to the person there (``service_open``: the terms accepted at step 6)."""

    id: str
    name: str
    siren: str | None = None
    siret: str | None = None
    role: str | None = None
    delegations: tuple[str, ...] = ()
    service_open: bool | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Firm:
        return cls(
            id=_field(body, "id", str),
            name=_field(body, "name", str),
            siren=optional(body, "siren", str),
            siret=optional(body, "siret", str),
            role=optional(body, "role", str),
            delegations=strings(body, "delegations"),
            service_open=optional(body, "service_open", bool),
        )


@dataclass(frozen=True)
class Me:
    """The person logged in, their firms and what they may do in each."""

    id: str
    given_name: str
    family_name: str
    email: str
    identity_source: str
    mobile_number: str | None
    registration_state: str
    firms: tuple[Firm, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Me:
        return cls(
            id=_field(body, "id", str),
            given_name=_field(body, "given_name", str),
            family_name=_field(body, "family_name", str),
            email=_field(body, "email", str),
            identity_source=optional(body, "identity_source", str) or "comptexpert",
            mobile_number=optional(body, "mobile_number", str),
            registration_state=_field(body, "registration_state", str),
            firms=tuple(Firm.from_json(f) for f in objects(body, "firms")),
            raw=json_object(body),
        )


@dataclass(frozen=True)
class Profile:
    """Step 1: what the SSO says of the person (read-only) and the mobile number (theirs to confirm)."""

    given_name: str
    family_name: str
    email: str
    firms: tuple[Firm, ...]
    mobile_number: str | None
    mobile_number_confirmed: bool
    read_only_fields: tuple[str, ...]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Profile:
        return cls(
            given_name=_field(body, "given_name", str),
            family_name=_field(body, "family_name", str),
            email=_field(body, "email", str),
            firms=tuple(Firm.from_json(f) for f in objects(body, "firms")),
            mobile_number=optional(body, "mobile_number", str),
            mobile_number_confirmed=bool(optional(body, "mobile_number_confirmed", bool)),
            read_only_fields=strings(body, "read_only_fields"),
        )


@dataclass(frozen=True)
class CertificateRequest:
    """The trust provider's registration, as the platform sees it."""

    id: str
    state: str
    level: str
    certificate_id: str | None = None
    rejection_reason: str | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> CertificateRequest:
        return cls(
            id=_field(body, "id", str),
            state=_field(body, "state", str),
            level=_field(body, "level", str),
            certificate_id=optional(body, "certificate_id", str),
            rejection_reason=optional(body, "rejection_reason", str),
        )


@dataclass(frozen=True)
class RegistrationStatus:
    """Where the person stands in the six steps, and what comes next (``None`` once active)."""

    state: str
    next_action: str | None
    profile: Profile
    certificate_request: CertificateRequest | None
    active_firms: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RegistrationStatus:
        request = optional(body, "certificate_request", dict)
        return cls(
            state=_field(body, "state", str),
            next_action=optional(body, "next_action", str),
            profile=Profile.from_json(_field(body, "profile", dict)),
            certificate_request=CertificateRequest.from_json(request) if request else None,
            active_firms=strings(body, "active_firms"),
            raw=json_object(body),
        )


@dataclass(frozen=True)
class Handoff:
    """Step 2 hand-off: the trust provider's registration, the URL to send the person to, and its session.

    The URL carries the session token: the repr leaves both out.
    """

    id: str
    state: str
    level: str
    url: str = field(repr=False)
    session_token: str = field(repr=False)
    #: When the session ends (7 days after the registration was opened), if the server says.
    expires_at: datetime | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Handoff:
        return cls(
            id=_field(body, "id", str),
            state=_field(body, "state", str),
            level=_field(body, "level", str),
            url=_field(body, "url", str),
            session_token=_field(body, "session_token", str),
            expires_at=optional_time(body, "expires_at"),
        )

    def as_json(self) -> dict[str, Any]:
        """The hand-off as the server answered it (what :meth:`from_json` reads back), for a token store."""
        body: dict[str, Any] = dataclasses.asdict(self)
        body["expires_at"] = self.expires_at.isoformat() if self.expires_at is not None else None
        return body


@dataclass(frozen=True)
class TrustRegistration:
    """The trust provider's view of a registration (steps 2 to 5)."""

    id: str
    state: str
    next_action: str | None
    level: str
    phone_masked: str
    document_type: str | None
    agreement_version: str | None
    agreement_signed_at: datetime | None
    cancellable: bool
    review_due_at: datetime | None
    rejection_reason: str | None
    certificate_id: str | None
    return_url: str | None
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> TrustRegistration:
        agreement = optional(body, "agreement", dict) or {}
        applicant = optional(body, "applicant", dict) or {}
        return cls(
            id=_field(body, "id", str),
            state=_field(body, "state", str),
            next_action=optional(body, "next_action", str),
            level=_field(body, "level", str),
            phone_masked=optional(applicant, "phone_masked", str) or "",
            document_type=optional(body, "document_type", str),
            agreement_version=optional(agreement, "version", str),
            agreement_signed_at=optional_time(agreement, "signed_at"),
            cancellable=bool(optional(body, "cancellable", bool)),
            review_due_at=optional_time(body, "review_due_at"),
            rejection_reason=optional(body, "rejection_reason", str),
            certificate_id=optional(body, "certificate_id", str),
            return_url=optional(body, "return_url", str),
            raw=json_object(body),
        )


@dataclass(frozen=True)
class Agreement:
    """The subscription agreement presented at step 4, with its version and SHA-256."""

    version: str
    sha256: str
    language: str
    text: str = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Agreement:
        return cls(
            version=_field(body, "version", str),
            sha256=_field(body, "sha256", str),
            language=_field(body, "language", str),
            text=_field(body, "text", str),
        )


@dataclass(frozen=True)
class CodeSent:
    """An SMS code was sent: to which (masked) number, until when, and when another may be asked."""

    phone_masked: str
    phone_last_digits: str
    expires_at: datetime
    resend_available_at: datetime
    validity_seconds: int

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> CodeSent:
        return cls(
            phone_masked=_field(body, "phone_masked", str),
            phone_last_digits=_field(body, "phone_last_digits", str),
            expires_at=time(body, "expires_at"),
            resend_available_at=time(body, "resend_available_at"),
            validity_seconds=_field(body, "validity_seconds", int),
        )


#: How a certificate's name spells the attributes RFC 4514 gives no short name, which cryptography would print as
#: their OIDs (``2.5.4.5=...``): by their X.520 names.
NAME_ATTRIBUTES = {
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.SURNAME: "surname",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.TITLE: "title",
    NameOID.PSEUDONYM: "pseudonym",
}


def readable_name(name: x509.Name) -> str:
    """``name`` in RFC 4514 form, every attribute by its name: ``CN=Marie Dupont,serialNumber=IDCFR-X4RTBPFW4,...``."""
    return name.rfc4514_string(NAME_ATTRIBUTES)


@dataclass(frozen=True)
class IssuedCertificate:
    """The person's signing certificate, with its chain and its status at the trust provider.

    ``subject`` is read from the certificate itself, every attribute by its name (:func:`readable_name`).
    """

    id: str
    level: str
    status: str
    acceptance: str
    error_report_deadline: datetime
    subject: str
    serial_number: str
    not_before: datetime
    not_after: datetime
    certificate_pem: str = field(repr=False)
    chain_pem: tuple[str, ...] = field(repr=False, default=())
    registration_id: str | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> IssuedCertificate:
        certificate_pem = _field(body, "certificate_pem", str)
        chain_pem = strings(body, "chain_pem")
        # A ValueError now, not when a property is read.
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
        for pem in chain_pem:
            x509.load_pem_x509_certificate(pem.encode())
        return cls(
            id=_field(body, "id", str),
            level=_field(body, "level", str),
            status=_field(body, "status", str),
            acceptance=_field(body, "acceptance", str),
            error_report_deadline=time(body, "error_report_deadline"),
            subject=readable_name(certificate.subject),
            serial_number=_field(body, "serial_number", str),
            not_before=time(body, "not_before"),
            not_after=time(body, "not_after"),
            certificate_pem=certificate_pem,
            chain_pem=chain_pem,
            registration_id=optional(body, "registration_id", str),
        )

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())

    @property
    def chain(self) -> list[x509.Certificate]:
        return [x509.load_pem_x509_certificate(pem.encode()) for pem in self.chain_pem]


@dataclass(frozen=True)
class Delegation:
    """A delegation a chartered accountant gave a collaborator of the firm: ``kind`` is ``sign``, ``seal`` or
    ``prepare``; ``granted_by`` the accountant's user id."""

    id: str
    firm_id: str
    user_id: str
    kind: str
    granted_by: str
    granted_at: datetime

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Delegation:
        return cls(
            id=_field(body, "id", str),
            firm_id=_field(body, "firm_id", str),
            user_id=_field(body, "user_id", str),
            kind=_field(body, "kind", str),
            granted_by=_field(body, "granted_by", str),
            granted_at=time(body, "granted_at"),
        )
