"""The tables of the mock provider.

Portable column types only (no SQLite- or PostgreSQL-specific SQL). Binary values (DER, encrypted keys) are
``LargeBinary``; instants are :class:`~mock_provider.core.storage.UtcDateTime`; serial numbers, which exceed
64 bits, are lower-case hexadecimal strings.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
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


# -- the registration (DESIGN.md section 2) -------------------------------------------------------------------------


class PlatformAccount(Base):
    """The platform's side of a person's registration: the confirmed profile (step 1) and activation (step 6)."""

    __tablename__ = "platform_accounts"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    mobile_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    profile_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: The trust provider's registration of the current certificate request.
    trust_registration_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class TermsAcceptance(Base):
    """Step 6: the CGU and the data-protection policy accepted for one firm, with the versions accepted."""

    __tablename__ = "terms_acceptances"
    __table_args__ = (UniqueConstraint("user_id", "firm_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), index=True)
    cgu_version: Mapped[str] = mapped_column(String(32))
    privacy_policy_version: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TrustRegistration(Base):
    """The trust provider's registration (Universign ``/v1/registrations``): steps 2 to 5 of the guide."""

    __tablename__ = "trust_registrations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The platform user it was created for (the applicant).
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    #: The operator client that created it (the platform).
    created_by: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    applicant_email: Mapped[str] = mapped_column(String(320))
    given_name: Mapped[str] = mapped_column(String(120))
    family_name: Mapped[str] = mapped_column(String(120))
    phone_number: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8))
    redirect_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: Universign's ``fullname`` as the operator gave it (None: the SSO's names), and whether the applicant may edit
    #: it (``fullname_type``) or their phone (``phone_number_type``) in the hosted page; ``session_type``.
    fullname: Mapped[str | None] = mapped_column(String(240), nullable=True)
    fullname_type: Mapped[str] = mapped_column(String(16), default="suggestion")
    phone_number_type: Mapped[str] = mapped_column(String(20), default="suggestion")
    session_type: Mapped[str] = mapped_column(String(16), default="standalone")
    #: SHA-256 of the applicant's session token (the token itself is only ever in the hand-off URL).
    session_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    document_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    document_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    agreement_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    agreement_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agreement_signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    review_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    certificate_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdentityDocument(Base):
    """One side of an identity document uploaded at step 3."""

    __tablename__ = "identity_documents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    registration_id: Mapped[str] = mapped_column(ForeignKey("trust_registrations.id"), index=True)
    side: Mapped[str] = mapped_column(String(8))
    media_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StagedRecto(Base):
    """The recto of step 3's first screen ("Veillez charger la photo recto"), judged and kept until the verso comes
    (the screens take the two sides on two pages; the API takes them in one call and never stages)."""

    __tablename__ = "staged_rectos"

    registration_id: Mapped[str] = mapped_column(ForeignKey("trust_registrations.id"), primary_key=True)
    document_type: Mapped[str] = mapped_column(String(40))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OneTimePassword(Base):
    """An SMS code: kept as an HMAC, valid for a while, single use, locked after too many wrong tries."""

    __tablename__ = "one_time_passwords"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    registration_id: Mapped[str] = mapped_column(ForeignKey("trust_registrations.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    phone_number: Mapped[str] = mapped_column(String(20))
    code_hmac: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class OutboxMessage(Base):
    """An SMS, e-mail or webhook the mock "sent": what the control plane's outbox shows."""

    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str | None] = mapped_column(String(300), nullable=True)
    body: Mapped[str] = mapped_column(String(20000))
    #: The one-time code an SMS carries, for automation (the control plane's latest-OTP look-up).
    otp_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    delivered: Mapped[bool] = mapped_column(Boolean)
    related_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class CertificateNotice(Base):
    """An expiry notice sent for a certificate (``days`` before its notAfter): each is sent once."""

    __tablename__ = "certificate_notices"

    certificate_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxAttachment(Base):
    """A file an e-mail of the outbox carries (the registration e-mail's help document, say)."""

    __tablename__ = "outbox_attachments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Event(Base):
    """The append-only event log: who did what, when, from which state to which."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(4000), nullable=True)
    #: The registration a certificate's event belongs to, so that one log shows both.
    related_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Insertion order, to list events in the order they happened even within one instant.
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class ScenarioEntry(Base):
    """A one-shot scenario queued through the control plane, consumed by the next matching call."""

    __tablename__ = "scenario_queue"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    #: A route pattern (``POST /trust/v1/registrations/*/identity``) or a reason, depending on the kind.
    target: Mapped[str | None] = mapped_column(String(300), nullable=True)
    value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RequestRecord(Base):
    """One HTTP request the mock answered (the control plane's request history; OCSP is left out)."""

    __tablename__ = "request_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(2000))
    status: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdempotencyRecord(Base):
    """The first answer to a POST or DELETE carrying an ``Idempotency-Key``, replayed to the key's retries.

    ``scope`` is the SHA-256 of the caller's ``Authorization`` header (never the header itself): the same key sent
    with other credentials is another record. ``in_progress`` marks a request still being answered: ``owner`` names
    that request (a random token) and ``lease_expires_at`` (wall clock, not the mock clock) is when another request
    with the key may take it over, should the first one never finish (its process killed).
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(2000))
    #: SHA-256 of the raw request body, hexadecimal.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    in_progress: Mapped[bool] = mapped_column(Boolean)
    owner: Mapped[str] = mapped_column(String(32))
    lease_expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FaultRule(Base):
    """One rule of the control plane's fault policy, applied by every worker: the standing rule (``id = "current"``,
    set by ``PUT /_mock/faults``) or one added beside it (``POST /_mock/faults``, or a deprecated route scenario)."""

    __tablename__ = "fault_rules"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The order in which the rules were added (the first failing rule answers the call).
    sequence: Mapped[int] = mapped_column(Integer)
    #: A new value on each change, so that each process reseeds its random sequence.
    revision: Mapped[str] = mapped_column(String(40))
    error_rate: Mapped[float] = mapped_column(Float)
    status: Mapped[int] = mapped_column(Integer)
    delay_ms_min: Mapped[int] = mapped_column(Integer)
    delay_ms_max: Mapped[int] = mapped_column(Integer)
    after_processing_rate: Mapped[float] = mapped_column(Float)
    #: The failures' Retry-After in seconds (None: 0 or 1 at random).
    retry_after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The route patterns, as a JSON array.
    routes: Mapped[str] = mapped_column(String(8000))
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: How many more matching calls the rule applies to (None: until cleared); taken by a conditional update.
    remaining: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The deprecated scenario kind that queued it (``route_error``, ``route_delay``), if any.
    alias: Mapped[str | None] = mapped_column(String(16), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BrokenRule(Base):
    """A rule breakage switched on through the control plane (see :mod:`mock_provider.core.misbehaviour.switch`)."""

    __tablename__ = "broken_rules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)


# -- remote signing (CSC) -------------------------------------------------------------------------------------------


class FirmSeal(Base):
    """A firm's electronic seal certificate, issued when the firm's service is first used for sealing."""

    __tablename__ = "firm_seals"

    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), primary_key=True)
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SignatureActivation(Base):
    """A Signature Activation Data (CSC ``credentials/authorize``): bound to a credential, a user and, for SCAL2,
    to the exact hashes authorized; spent as they are signed; expires."""

    __tablename__ = "signature_activations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    hash_algorithm: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: JSON list of the base64 hashes still to sign (SCAL2), or None (SCAL1: any hashes, up to the count).
    hashes: Mapped[str | None] = mapped_column(String(200000), nullable=True)
    signatures_left: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CscAuthorizationCode(Base):
    """An authorization code of the trust provider's own OAuth2 (CSC ``oauth2/authorize``), kept after use so that
    a replay is seen. For ``scope=credential`` it carries what the SAD will allow (credential, count, hashes)."""

    __tablename__ = "csc_oauth2_codes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[str] = mapped_column(String(40))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(20))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    credential_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    num_signatures: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hash_algorithm: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: JSON list of the base64 hashes authorized (SCAL2), or None.
    hashes: Mapped[str | None] = mapped_column(String(200000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CscAccessToken(Base):
    """An access token of the trust provider's own OAuth2 (and, for ``scope=service``, its refresh token)."""

    __tablename__ = "csc_oauth2_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The code this token descends from (a replayed code revokes them all).
    code_id: Mapped[str] = mapped_column(String(40), index=True)
    client_id: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    scope: Mapped[str] = mapped_column(String(20))
    credential_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    refresh_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


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


class ApiKey(Base):
    """An operator's API key at the trust provider (Universign's API keys): kept as its SHA-256 only, shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: Who the key authenticates: the owner of the registrations it creates (``created_by``).
    owner: Mapped[str] = mapped_column(String(120), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The key's first characters, to tell keys apart in a list.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OAuthClient(Base):
    """A client registered with the SSO: confidential (client_secret_basic) or public (PKCE only)."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    #: None for a public client.
    client_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Space-separated exact redirect URIs.
    redirect_uris: Mapped[str] = mapped_column(String(2000))
    name: Mapped[str] = mapped_column(String(200))


from mock_provider.core import sso_models as _sso_models  # noqa: E402, F401  (registers the SSO tables on Base)
from mock_provider.core.transactions import models as _transaction_models  # noqa: E402, F401  (the transactions' tables)
from mock_provider.core.webhooks import models as _webhook_models  # noqa: E402, F401  (the webhooks' tables)
