"""The SSO's codes and tokens in storage: issue, redeem, rotate, revoke, and check a Bearer access token.

Framework-free: the SSO's Authlib wiring (:mod:`mock_provider.sso.server`) and the APIs and screens that take its
access tokens call into it. It lives in the core, beside the SSO's tables (:mod:`mock_provider.core.sso_models`),
so that those adapters and the control plane's reset need not import the SSO. Secrets (codes, access and refresh
tokens) are opaque random strings stored as SHA-256 digests. Lifetimes follow the mock clock: a code lives 10
minutes and is single use, an access token 1 hour, a refresh token 30 days and is single use (each refresh
returns a new one). Replaying a used code or a used refresh token revokes every token of that grant (RFC 6749
section 4.1.2, RFC 9700 section 4.14.2).

The caller's job: run each function inside one ``with services.db.transaction() as session:`` block.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mock_provider.core import errors
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.sso import BEARER_ANY_SCHEME, EXPIRED_TOKENS_CACHED, REVOKED_TOKENS_CACHED
from mock_provider.core.sso_models import SsoAuthorizationCode, SsoToken
from mock_provider.core.storage import Database, bump_counter, redeem_once, rows_changed

if TYPE_CHECKING:
    from mock_provider.core.services import MockServices

CODE_LIFETIME = timedelta(minutes=10)
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
#: Moves whenever tokens are revoked or deleted, so that each process drops its cache of valid access tokens.
REVOCATION_COUNTER = "sso_revocations"


class Unauthenticated(errors.Unauthenticated):
    """No access token, or one that this SSO did not issue, or that expired or was revoked.

    A kind of the core's :class:`~mock_provider.core.errors.Unauthenticated`: the API that calls
    :func:`authenticate_bearer` adds its own ``WWW-Authenticate`` challenge.
    """

    code = "invalid_token"
    status = 401
    title = "Missing or invalid access token"


def storable(text: str) -> bool:
    """Whether a caller's text may reach the database (PostgreSQL refuses NUL characters in text)."""
    return "\x00" not in text


def digest(secret: str) -> str:
    """How a code or token is stored: its SHA-256, in hexadecimal."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


# -- authorization codes -------------------------------------------------------------------------------------------


def save_code(
    session: Session,
    code: str,
    *,
    client_id: str,
    user_id: str,
    redirect_uri: str,
    scope: str,
    nonce: str | None,
    auth_time: datetime,
    code_challenge: str,
    code_challenge_method: str,
    now: datetime,
    lifetime: timedelta = CODE_LIFETIME,
) -> SsoAuthorizationCode:
    row = SsoAuthorizationCode(
        id=new_id("grt"),
        code_hash=digest(code),
        client_id=client_id,
        user_id=user_id,
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=nonce,
        auth_time=auth_time,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return row


def find_code(
    session: Session, code: str, client_id: str | None, now: datetime, *, revoke_replayed: bool = True
) -> SsoAuthorizationCode | None:
    """The unused, unexpired code issued to ``client_id`` (to any client when None); a used one revokes its
    grant's tokens (unless ``revoke_replayed`` is false) and gives None."""
    row = session.scalar(select(SsoAuthorizationCode).where(SsoAuthorizationCode.code_hash == digest(code)))
    if row is None or client_id not in (None, row.client_id):
        return None
    if row.used_at is not None:
        if revoke_replayed:
            revoke_grant(session, row.id, now)
        return None
    return row if row.expires_at > now else None


def nonce_used(session: Session, client_id: str, nonce: str) -> bool:
    """Whether a code was already issued to ``client_id`` with this nonce (a replayed authentication request)."""
    query = select(SsoAuthorizationCode.id).where(
        SsoAuthorizationCode.client_id == client_id, SsoAuthorizationCode.nonce == nonce
    )
    return session.scalar(query.limit(1)) is not None


def redeem_code(session: Session, code_id: str, now: datetime) -> bool:
    """Mark the code used; False if it already was (another request won the race) or has expired."""
    return redeem_once(session, SsoAuthorizationCode, code_id, now)


# -- tokens --------------------------------------------------------------------------------------------------------


def save_tokens(
    session: Session,
    *,
    grant_id: str,
    client_id: str,
    user_id: str,
    scope: str,
    access_token: str,
    refresh_token: str | None,
    now: datetime,
    lifetime: timedelta = ACCESS_TOKEN_LIFETIME,
    refresh_lifetime: timedelta = REFRESH_TOKEN_LIFETIME,
) -> SsoToken:
    row = SsoToken(
        id=new_id("tok"),
        grant_id=grant_id,
        client_id=client_id,
        user_id=user_id,
        scope=scope,
        access_token_hash=digest(access_token),
        refresh_token_hash=digest(refresh_token) if refresh_token else None,
        issued_at=now,
        expires_at=now + lifetime,
        refresh_expires_at=now + refresh_lifetime if refresh_token else None,
    )
    session.add(row)
    session.flush()
    return row


def find_refresh_token(
    session: Session, refresh_token: str, now: datetime, *, revoke_replayed: bool = True
) -> SsoToken | None:
    """The live row of a refresh token; a used one revokes its grant's tokens (unless ``revoke_replayed`` is
    false) and gives None."""
    row = session.scalar(select(SsoToken).where(SsoToken.refresh_token_hash == digest(refresh_token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.refresh_used_at is not None:
        if revoke_replayed:
            revoke_grant(session, row.grant_id, now)
        return None
    if row.refresh_expires_at is None or row.refresh_expires_at <= now:
        return None
    return row


def use_refresh_token(session: Session, token_id: str, now: datetime) -> bool:
    """Mark a refresh token used; False if it already was, or was revoked, in the meantime."""
    statement = (
        update(SsoToken)
        .where(SsoToken.id == token_id, SsoToken.refresh_used_at.is_(None), SsoToken.revoked_at.is_(None))
        .values(refresh_used_at=now)
    )
    return rows_changed(session, statement) == 1


def active_access_token(session: Session, access_token: str, now: datetime) -> SsoToken:
    """The row of a valid access token, or :class:`Unauthenticated` saying why not."""
    row = session.scalar(select(SsoToken).where(SsoToken.access_token_hash == digest(access_token)))
    if row is None:
        raise Unauthenticated("The access token is unknown to this SSO.")
    if row.revoked_at is not None:
        raise Unauthenticated("The access token was revoked.")
    if row.expires_at <= now:
        raise Unauthenticated("The access token has expired.")
    return row


def revoke_grant(session: Session, grant_id: str, now: datetime) -> int:
    """Revoke every token descending from one authorization code; returns how many were live."""
    statement = (
        update(SsoToken).where(SsoToken.grant_id == grant_id, SsoToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    return _revoked(session, rows_changed(session, statement))


def revoke_user_tokens(session: Session, user_id: str | None, client_id: str, now: datetime) -> int:
    """Revoke every token of one person at one client (logout); returns how many were live. (``None`` for the
    person: everyone's, which only the ``logout_ends_everyone`` switch asks for.)"""
    where = [SsoToken.client_id == client_id, SsoToken.revoked_at.is_(None)]
    if user_id is not None:
        where.append(SsoToken.user_id == user_id)
    statement = update(SsoToken).where(*where).values(revoked_at=now)
    return _revoked(session, rows_changed(session, statement))


def tokens_forgotten(session: Session) -> None:
    """Tell every process that tokens were revoked or deleted (a reset): their caches of valid tokens go."""
    bump_counter(session, REVOCATION_COUNTER)


def _revoked(session: Session, count: int) -> int:
    if count:
        tokens_forgotten(session)
    return count


# -- Bearer authentication for the platform API --------------------------------------------------------------------


def bearer_token(authorization_header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 section 2.1)."""
    if not authorization_header:
        raise Unauthenticated("Send the SSO access token in an 'Authorization: Bearer' header.")
    scheme, _, token = authorization_header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthenticated("The Authorization header must be 'Bearer <access token>'.")
    return token


def authenticate_bearer(services: MockServices, authorization_header: str | None) -> str:
    """The user id (``sub``) behind a valid, unexpired, unrevoked access token issued by this SSO.

    Raises :class:`Unauthenticated` (401, ``invalid_token``) otherwise; the detail says why.
    """
    breakages = services.breakages.snapshot()
    if BEARER_ANY_SCHEME in breakages and authorization_header:
        authorization_header = "Bearer " + authorization_header.strip().partition(" ")[2]
    token = bearer_token(authorization_header)
    now = services.clock.now()
    cache = _caches.setdefault(services.db, _ValidTokens(services.db))
    revision = cache.revision()
    if REVOKED_TOKENS_CACHED in breakages and cache._revision >= 0:
        revision = cache._revision  # the revision the cache holds tokens for: revocations since go unseen
    known = cache.get(token, revision)
    if EXPIRED_TOKENS_CACHED in breakages and known is not None:
        return known[0]
    if known is not None and now < known[1]:
        return known[0]
    with services.db.transaction() as session:
        row = active_access_token(session, token, now)
        cache.put(token, revision, row.user_id, row.expires_at)
        return row.user_id


class _ValidTokens:
    """The access tokens found valid, by digest, while no token was revoked since (one counter read per call).

    Every call checks a token; a cached one costs a counter read instead of a transaction. Expiry is still
    checked against the clock on each call, and any revocation (logout, a replayed code or refresh token, a
    reset) moves the counter and empties the cache.
    """

    LIMIT = 10_000

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._revision = -1
        self._known: dict[str, tuple[str, datetime]] = {}

    def revision(self) -> int:
        return self.db.read_counter(REVOCATION_COUNTER)

    def get(self, token: str, revision: int) -> tuple[str, datetime] | None:
        with self._lock:
            if revision != self._revision:
                self._known.clear()
                self._revision = revision
                return None
            return self._known.get(digest(token))

    def put(self, token: str, revision: int, user_id: str, expires_at: datetime) -> None:
        with self._lock:
            if revision != self._revision:  # a revocation happened meanwhile: cache nothing read before it
                return
            if len(self._known) >= self.LIMIT:
                self._known.clear()
            self._known[digest(token)] = (user_id, expires_at)


_caches: WeakKeyDictionary[Database, _ValidTokens] = WeakKeyDictionary()
