"""Typed views of what the APIs answer. Each keeps the decoded JSON in ``raw`` for fields added later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509

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


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class Tokens:
    """What the SSO's token endpoint answered, with the instant the access token expires."""

    access_token: str
    expires_at: datetime
    refresh_token: str | None = None
    id_token: str | None = None
    scope: str = ""
    #: The verified claims of the id_token (sub, names, email, firms …), when one came.
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: dict[str, Any], *, now: datetime, claims: dict[str, Any] | None = None) -> Tokens:
        return cls(
            access_token=str(body["access_token"]),
            expires_at=now + timedelta(seconds=int(body.get("expires_in", 3600))),
            refresh_token=body.get("refresh_token"),
            id_token=body.get("id_token"),
            scope=str(body.get("scope", "")),
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
            access_token=body["access_token"],
            expires_at=datetime.fromisoformat(body["expires_at"]),
            refresh_token=body.get("refresh_token"),
            id_token=body.get("id_token"),
            scope=body.get("scope", ""),
            claims=body.get("claims") or {},
        )


@dataclass(frozen=True)
class Firm:
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
            id=body["id"],
            name=body["name"],
            siren=body.get("siren"),
            siret=body.get("siret"),
            role=body.get("role"),
            delegations=tuple(body.get("delegations") or ()),
            service_open=body.get("service_open"),
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
            id=body["id"],
            given_name=body["given_name"],
            family_name=body["family_name"],
            email=body["email"],
            identity_source=body.get("identity_source", "comptexpert"),
            mobile_number=body.get("mobile_number"),
            registration_state=body["registration_state"],
            firms=tuple(Firm.from_json(f) for f in body.get("firms", [])),
            raw=body,
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
            given_name=body["given_name"],
            family_name=body["family_name"],
            email=body["email"],
            firms=tuple(Firm.from_json(f) for f in body.get("firms", [])),
            mobile_number=body.get("mobile_number"),
            mobile_number_confirmed=bool(body.get("mobile_number_confirmed")),
            read_only_fields=tuple(body.get("read_only_fields", ())),
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
            id=body["id"],
            state=body["state"],
            level=body["level"],
            certificate_id=body.get("certificate_id"),
            rejection_reason=body.get("rejection_reason"),
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
        request = body.get("certificate_request")
        return cls(
            state=body["state"],
            next_action=body.get("next_action"),
            profile=Profile.from_json(body["profile"]),
            certificate_request=CertificateRequest.from_json(request) if request else None,
            active_firms=tuple(body.get("active_firms", ())),
            raw=body,
        )


@dataclass(frozen=True)
class Handoff:
    """Step 2 hand-off: the trust provider's registration, the URL to send the person to, and its session."""

    id: str
    state: str
    level: str
    url: str
    session_token: str = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Handoff:
        return cls(
            id=body["id"],
            state=body["state"],
            level=body["level"],
            url=body["url"],
            session_token=body["session_token"],
        )


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
        agreement = body.get("agreement") or {}
        return cls(
            id=body["id"],
            state=body["state"],
            next_action=body.get("next_action"),
            level=body["level"],
            phone_masked=(body.get("applicant") or {}).get("phone_masked", ""),
            document_type=body.get("document_type"),
            agreement_version=agreement.get("version"),
            agreement_signed_at=_when(agreement.get("signed_at")),
            cancellable=bool(body.get("cancellable")),
            review_due_at=_when(body.get("review_due_at")),
            rejection_reason=body.get("rejection_reason"),
            certificate_id=body.get("certificate_id"),
            return_url=body.get("return_url"),
            raw=body,
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
        return cls(version=body["version"], sha256=body["sha256"], language=body["language"], text=body["text"])


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
            phone_masked=body["phone_masked"],
            phone_last_digits=body["phone_last_digits"],
            expires_at=datetime.fromisoformat(body["expires_at"]),
            resend_available_at=datetime.fromisoformat(body["resend_available_at"]),
            validity_seconds=int(body["validity_seconds"]),
        )


@dataclass(frozen=True)
class IssuedCertificate:
    """The person's signing certificate, with its chain and its status at the trust provider."""

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
        return cls(
            id=body["id"],
            level=body["level"],
            status=body["status"],
            acceptance=body["acceptance"],
            error_report_deadline=datetime.fromisoformat(body["error_report_deadline"]),
            subject=body["subject"],
            serial_number=body["serial_number"],
            not_before=datetime.fromisoformat(body["not_before"]),
            not_after=datetime.fromisoformat(body["not_after"]),
            certificate_pem=body["certificate_pem"],
            chain_pem=tuple(body.get("chain_pem", ())),
            registration_id=body.get("registration_id"),
        )

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())

    @property
    def chain(self) -> list[x509.Certificate]:
        return [x509.load_pem_x509_certificate(pem.encode()) for pem in self.chain_pem]


@dataclass(frozen=True)
class Delegation:
    id: str
    firm_id: str
    user_id: str
    kind: str
    granted_by: str
    granted_at: datetime

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Delegation:
        return cls(
            id=body["id"],
            firm_id=body["firm_id"],
            user_id=body["user_id"],
            kind=body["kind"],
            granted_by=body["granted_by"],
            granted_at=datetime.fromisoformat(body["granted_at"]),
        )
