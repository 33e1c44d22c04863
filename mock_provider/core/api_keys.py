"""The trust provider's API keys (Universign's "API keys"): how an operator authenticates its ``/trust/v1`` calls.

A key is shown once, when it is issued (by the seed, or by the control plane's ``POST /_mock/api-keys``), and kept
as its SHA-256 only, as Universign says it keeps them ("Universign does not store API keys in clear text"). Each key
has an ``owner``: the operator it authenticates, who owns the registrations it creates and alone may read them.
The caller (the HTTP layer) reads the key from the request (``Authorization: Basic`` with the key as the username and
an empty password, or ``Authorization: Bearer <key>``) and asks :func:`owner_of`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mock_provider.core.base import token_digest
from mock_provider.core.errors import InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.models import ApiKey

#: Every key the mock issues starts so: a test key, never a real provider's.
KEY_PREFIX = "sk_test_"


class ApiKeyJson(TypedDict):
    id: str
    owner: str
    name: str
    prefix: str
    created_at: str


class IssuedKeyJson(ApiKeyJson):
    #: The key itself: in the answer that issues it, and nowhere else ever after.
    key: str


@dataclass(frozen=True)
class SeedApiKey:
    """A key named in the seed file, so that scripts and tests know it in advance."""

    id: str
    owner: str
    name: str
    key: str


def as_json(row: ApiKey) -> ApiKeyJson:
    return {
        "id": row.id,
        "owner": row.owner,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": row.created_at.isoformat(),
    }


def add(session: Session, *, key: str, owner: str, name: str, now: datetime, key_id: str | None = None) -> ApiKey:
    """Store ``key`` (its digest) for ``owner``, in the caller's transaction."""
    row = ApiKey(
        id=key_id or new_id("key"),
        owner=owner,
        name=name,
        key_hash=token_digest(key),
        prefix=key[: len(KEY_PREFIX) + 4],
        created_at=now,
    )
    session.add(row)
    return row


def issue(session: Session, *, owner: object, name: object, now: datetime) -> IssuedKeyJson:
    """A new key for ``owner`` (required: the operator's id), named ``name``: answered once, with the key."""
    errors = []
    if not isinstance(owner, str) or not owner.strip() or len(owner) > 120:
        errors.append({"field": "owner", "code": "required", "detail": "the operator's id, 1 to 120 characters"})
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        errors.append({"field": "name", "code": "invalid_type", "detail": "a string of 200 characters at most"})
    if errors:
        raise InvalidInput("the API key request is invalid", code="invalid_api_key_request", errors=errors)
    assert isinstance(owner, str)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = add(session, key=key, owner=owner.strip(), name=name if isinstance(name, str) else "", now=now)
    session.flush()
    return {**as_json(row), "key": key}


def listed(session: Session) -> list[ApiKeyJson]:
    return [as_json(row) for row in session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))]


def revoke(session: Session, key_id: str) -> None:
    """Delete the key: it authenticates nothing from now on."""
    if session.execute(delete(ApiKey).where(ApiKey.id == key_id)).rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"no API key {key_id}", code="api_key_not_found")


def owner_of(session: Session, key: str) -> str | None:
    """The owner the key authenticates, or None for an unknown (or deleted) key."""
    return session.scalar(select(ApiKey.owner).where(ApiKey.key_hash == token_digest(key)))
