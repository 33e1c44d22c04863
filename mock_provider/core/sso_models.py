"""The SSO's tables: authorization codes, tokens and a few named settings.

Codes and tokens are stored as SHA-256 digests, never in clear: whoever reads the database cannot replay them.
No foreign key points at ``users`` or ``oauth_clients``, so that re-seeding the directory never fails on them.
``core/models.py`` imports this module, so that ``Database.create_schema`` creates these tables too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mock_provider.core.storage import Base, UtcDateTime


class SsoAuthorizationCode(Base):
    """An authorization code (RFC 6749 section 4.1.2), kept after use so that a replay can be detected.

    Its ``id`` also names the grant: every token issued from the code, and by refreshing those, carries it, so
    that a replayed code or refresh token revokes the whole family.
    """

    __tablename__ = "sso_authorization_codes"
    __table_args__ = (Index("ix_sso_codes_client_nonce", "client_id", "nonce"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[str] = mapped_column(String(40))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: When the person logged in at the SSO (the ID token's ``auth_time``).
    auth_time: Mapped[datetime] = mapped_column(UtcDateTime)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SsoToken(Base):
    """An access token and the refresh token issued with it (one row per token response)."""

    __tablename__ = "sso_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The authorization code (grant) this token descends from.
    grant_id: Mapped[str] = mapped_column(String(40), index=True)
    client_id: Mapped[str] = mapped_column(String(120), index=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    scope: Mapped[str] = mapped_column(String(500))
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: Set when the refresh token was exchanged (rotation: it is single use).
    refresh_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: Set on logout, or when the code or a refresh token of the same grant was replayed.
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SsoSetting(Base):
    """A named value of the SSO shared by every worker (the signing key's id)."""

    __tablename__ = "sso_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
