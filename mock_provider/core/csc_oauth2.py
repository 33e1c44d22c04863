"""The trust provider's own OAuth2 (CSC ``authType`` ``oauth2code``) in storage: codes, tokens, Bearer look-ups.

Framework-free: the Authlib wiring (:mod:`mock_provider.api.csc_oauth2_server`) and the CSC API call into it.
Codes and tokens are opaque random strings kept as SHA-256 digests. On the mock clock a code lives
:data:`CODE_LIFETIME` and is redeemed once; a ``service`` access token lives :data:`SERVICE_TOKEN_LIFETIME`, its
refresh token :data:`REFRESH_TOKEN_LIFETIME`, used once (each refresh gives a new one); a ``credential`` access
token has no refresh token and lives as long as the SAD it stands for (it *is* that SAD, under
:func:`sad_of`). A replayed code revokes every token issued from it (RFC 6749 section 4.1.2).

The caller's job: run each function inside one ``with services.db.transaction() as session:`` block.
"""

from __future__ import annotations

import weakref
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mock_provider.core.base import token_digest
from mock_provider.core.errors import Forbidden, Unauthenticated
from mock_provider.core.ids import new_id
from mock_provider.core.models import CscAccessToken, CscAuthorizationCode
from mock_provider.core.storage import AbsenceLatch, Database, bump_counter, redeem_once, rows_changed

#: The two scopes of CSC's authorization server (CSC 1.0.4 section 8.3.2, CSC 2.0 section 8.3.2).
SERVICE, CREDENTIAL = "service", "credential"
SCOPES = (SERVICE, CREDENTIAL)
#: Short: the code carries an SMS-confirmed authorization to sign.
CODE_LIFETIME = timedelta(minutes=2)
SERVICE_TOKEN_LIFETIME = timedelta(hours=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=1)
#: What the SAD of a credential-scope access token is derived with (never the token itself: a token sent as a
#: ``SAD`` member is not a SAD).
_SAD_PREFIX = "csc-oauth2-credential:"


class InvalidAccessToken(Unauthenticated):
    """An access token of the trust provider's OAuth2 that is unknown, expired or revoked."""

    code = "invalid_token"


class InsufficientScope(Forbidden):
    """A credential-scope token used for anything but ``signatures/signHash`` (RFC 6750 section 3.1)."""

    code = "insufficient_scope"


def sad_of(access_token: str) -> str:
    """The SAD that a credential-scope access token stands for."""
    return _SAD_PREFIX + access_token


# -- codes -----------------------------------------------------------------------------------------------------------


def save_code(session: Session, code: str, *, now: datetime, lifetime: timedelta, **fields: Any) -> None:
    session.add(
        CscAuthorizationCode(
            id=new_id("cgr"), code_hash=token_digest(code), created_at=now, expires_at=now + lifetime, **fields
        )
    )


def find_code(session: Session, code: str, client_id: str, now: datetime) -> CscAuthorizationCode | None:
    """The unused, unexpired code issued to ``client_id``; a used one revokes its tokens and gives None."""
    row = session.scalar(select(CscAuthorizationCode).where(CscAuthorizationCode.code_hash == token_digest(code)))
    if row is None or row.client_id != client_id:
        return None
    if row.used_at is not None:
        revoke_code_tokens(session, row.id, now)
        return None
    return row if row.expires_at > now else None


def redeem_code(session: Session, code_id: str, now: datetime) -> bool:
    """Mark the code used; False if it already was (another request won the race) or has expired."""
    return redeem_once(session, CscAuthorizationCode, code_id, now)


def revoke_code_tokens(session: Session, code_id: str, now: datetime) -> int:
    statement = (
        update(CscAccessToken)
        .where(CscAccessToken.code_id == code_id, CscAccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return rows_changed(session, statement)


# -- tokens ----------------------------------------------------------------------------------------------------------


#: Moves whenever a token of this authorization server is issued: while none was ever issued, a CSC call's bearer
#: is an SSO token and is not looked up here (see :func:`tokens_latch`).
TOKENS_COUNTER = "csc_oauth2_tokens_revision"
_LATCHES: weakref.WeakKeyDictionary[Database, AbsenceLatch] = weakref.WeakKeyDictionary()


def tokens_latch(db: Database) -> AbsenceLatch:
    """Whether no token of this authorization server exists, as of :data:`TOKENS_COUNTER` (one latch per database)."""
    latch = _LATCHES.get(db)
    if latch is None:
        latch = _LATCHES.setdefault(db, AbsenceLatch(db, TOKENS_COUNTER))
    return latch


def save_token(
    session: Session,
    *,
    code_id: str,
    client_id: str,
    user_id: str,
    scope: str,
    credential_id: str | None,
    access_token: str,
    refresh_token: str | None,
    now: datetime,
    lifetime: timedelta,
) -> None:
    session.add(
        CscAccessToken(
            id=new_id("ctk"),
            code_id=code_id,
            client_id=client_id,
            user_id=user_id,
            scope=scope,
            credential_id=credential_id,
            access_token_hash=token_digest(access_token),
            refresh_token_hash=token_digest(refresh_token) if refresh_token else None,
            issued_at=now,
            expires_at=now + lifetime,
            refresh_expires_at=now + REFRESH_TOKEN_LIFETIME if refresh_token else None,
        )
    )
    bump_counter(session, TOKENS_COUNTER)


def find_refresh_token(session: Session, refresh_token: str, now: datetime) -> CscAccessToken | None:
    """The live row of a refresh token; a used one revokes the tokens of its code and gives None."""
    row = session.scalar(select(CscAccessToken).where(CscAccessToken.refresh_token_hash == token_digest(refresh_token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.refresh_used_at is not None:
        revoke_code_tokens(session, row.code_id, now)
        return None
    if row.refresh_expires_at is None or row.refresh_expires_at <= now:
        return None
    return row


def use_refresh_token(session: Session, token_id: str, now: datetime) -> bool:
    statement = (
        update(CscAccessToken)
        .where(
            CscAccessToken.id == token_id,
            CscAccessToken.refresh_used_at.is_(None),
            CscAccessToken.revoked_at.is_(None),
        )
        .values(refresh_used_at=now)
    )
    return rows_changed(session, statement) == 1


def find_token(session: Session, token: str) -> CscAccessToken | None:
    """The row of an access or a refresh token, whatever its state (RFC 7009 revocation)."""
    digest = token_digest(token)
    return session.scalar(
        select(CscAccessToken).where(
            (CscAccessToken.access_token_hash == digest) | (CscAccessToken.refresh_token_hash == digest)
        )
    )


def revoke(session: Session, token_id: str, now: datetime) -> None:
    """Revoke a token pair (RFC 7009 section 2.1: revoking either half may revoke both)."""
    session.execute(
        update(CscAccessToken)
        .where(CscAccessToken.id == token_id, CscAccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def any_token(session: Session) -> bool:
    """Whether this authorization server ever issued a token that is still stored."""
    return session.scalar(select(CscAccessToken.id).limit(1)) is not None


def access_token(session: Session, token: str, now: datetime) -> CscAccessToken | None:
    """The row of a valid access token of this authorization server; None when it is not one of its tokens;
    :class:`InvalidAccessToken` when it is one, expired or revoked."""
    row = session.scalar(select(CscAccessToken).where(CscAccessToken.access_token_hash == token_digest(token)))
    if row is None:
        return None
    if row.revoked_at is not None:
        raise InvalidAccessToken("The access token was revoked.")
    if row.expires_at <= now:
        raise InvalidAccessToken("The access token has expired.")
    return row
