"""The tables of the mock provider.

Portable column types only (no SQLite- or PostgreSQL-specific SQL). Binary values (DER, encrypted keys) are
``LargeBinary``; instants are :class:`~mock_provider.core.storage.UtcDateTime`; serial numbers, which exceed
64 bits, are lower-case hexadecimal strings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mock_provider.core.storage import Base, UtcDateTime


class ProviderKey(Base):
    """A private key generated and held by the provider, encrypted at rest (AES-256-GCM, see pki.keys)."""

    __tablename__ = "provider_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    encrypted_pkcs8: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Authority(Base):
    """One certificate of the provider's own hierarchy: root, issuing CAs, OCSP responder, TSA.

    A hierarchy is one ``generation``; regenerating retires every authority of the current generation.
    """

    __tablename__ = "pki_authorities"
    __table_args__ = (UniqueConstraint("generation", "role"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, index=True)
    role: Mapped[str] = mapped_column(String(16))
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(ForeignKey("provider_keys.id"))
    #: Number of the last CRL issued by this authority (RFC 5280 section 5.2.3), 0 before the first.
    crl_number: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class IssuedCertificate(Base):
    """An end-entity certificate issued by one of the issuing CAs, with its revocation status."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("issuer_id", "serial"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("pki_authorities.id"), index=True)
    serial: Mapped[str] = mapped_column(String(64))
    #: ``natural_person`` or ``seal``.
    profile: Mapped[str] = mapped_column(String(24))
    #: lcp, qcp, qcpnqscd for a natural person; qcp-l for a seal.
    level: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(1024))
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    not_after: Mapped[datetime] = mapped_column(UtcDateTime)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(ForeignKey("provider_keys.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: An RFC 5280 CRLReason name in snake_case (key_compromise, superseded, …).
    revocation_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Counter(Base):
    """A named counter shared by every worker process (for example the PKI revision that OCSP caches track)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# -- people and firms (seeded from the SSO's directory) ------------------------------------------------------------


class User(Base):
    """A person known to the profession's SSO (Comptexpert or ExpertPass)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The name typed on the SSO's login page, and accepted as ``login_hint``.
    login: Mapped[str] = mapped_column(String(120), unique=True)
    given_name: Mapped[str] = mapped_column(String(120))
    family_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(320))
    #: E.164, or None when the SSO has no mobile number on file.
    phone_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: ``comptexpert`` or ``expertpass``.
    identity_source: Mapped[str] = mapped_column(String(16))


class Firm(Base):
    """A chartered-accountant firm (cabinet)."""

    __tablename__ = "firms"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siren: Mapped[str] = mapped_column(String(9))
    siret: Mapped[str] = mapped_column(String(14))


class Membership(Base):
    """A person's place in a firm: ``expert-comptable`` (may grant delegations) or ``collaborateur``."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "firm_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))


class Delegation(Base):
    """A delegation (``sign``, ``seal`` or ``prepare``) that a firm's accountant granted to a collaborator."""

    __tablename__ = "delegations"
    __table_args__ = (UniqueConstraint("firm_id", "user_id", "kind"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: The user id of the accountant who granted it, or ``seed``.
    granted_by: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OAuthClient(Base):
    """A client registered with the SSO: confidential (client_secret_basic) or public (PKCE only)."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    #: None for a public client.
    client_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Space-separated exact redirect URIs.
    redirect_uris: Mapped[str] = mapped_column(String(2000))
    name: Mapped[str] = mapped_column(String(200))
