"""Verify the webhooks the trust provider pushes: a detached JWS over the body, keys from its JWKS.

::

    from jesign_sdk.webhooks import JwksFetcher, MemoryReplayStore, verify

    keys = JwksFetcher("http://127.0.0.1:8400/trust/v1/webhooks/jwks.json")
    seen = MemoryReplayStore()

    def on_webhook(body: bytes, headers) -> None:          # your web framework's view
        event = verify(body, headers, keys, replay_store=seen)
        print(event.type, event.data)                      # "registration.pending_validation", {...}

:func:`verify` answers a typed :class:`WebhookEvent` or raises a
:class:`~jesign_sdk._errors.WebhookVerificationError` subclass; no error of the JOSE library escapes. What it
checks, in order:

1. the header :data:`SIGNATURE_HEADER` holds a compact JWS whose payload is detached (``<header>..<signature>``);
2. its ``alg`` is ES256 or RS256 (never ``none``, never HMAC) and its ``kid`` is a key of the JWKS: a ``kid`` the
   JWKS lacks makes a :class:`JwksFetcher` fetch it once more (the provider rotated its key), then it is refused;
3. the signature holds over the body exactly as received (verify before parsing: a re-serialised body fails);
4. its ``iat`` (seconds since the epoch, in the protected header) is within ``tolerance`` seconds of ``now``;
5. with a replay store, this very signature was not accepted before (a retry is signed anew, so it passes);
6. the body is the event envelope: ``id``, ``type``, ``created``, ``data``.

Which of it is Universign's published shape and which the mock's own: see docs/webhooks.md.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.registry import HeaderParameter

from jesign_sdk._errors import (
    WebhookPayloadError,
    WebhookReplayError,
    WebhookSignatureError,
    WebhookTimestampError,
    WebhookVerificationError,
)

__all__ = [
    "ALGORITHMS",
    "SIGNATURE_HEADER",
    "JwksFetcher",
    "MemoryReplayStore",
    "ReplayStore",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookReplayError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "WebhookVerificationError",
    "verify",
]

#: The header that carries the signature (the mock's own name: Universign publishes none).
SIGNATURE_HEADER = "Jesign-Signature"
#: The signature algorithms accepted: asymmetric only.
ALGORITHMS = ("ES256", "RS256")

_REGISTRY = jws.JWSRegistry(
    header_registry={"iat": HeaderParameter("Signing time, seconds since the epoch", "int", True)},
    algorithms=list(ALGORITHMS),
)


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event: its envelope, and when and with which key it was signed."""

    id: str
    type: str
    created: datetime
    data: dict[str, Any]
    signed_at: datetime
    key_id: str


class ReplayStore(Protocol):
    """Remembers the signatures accepted: :meth:`add` answers False for one already seen."""

    def add(self, signature: str, expires_at: float) -> bool: ...


class MemoryReplayStore:
    """A :class:`ReplayStore` in this process's memory, forgetting a signature once it is too old to pass anyway."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, signature: str, expires_at: float) -> bool:
        with self._lock:
            now = time.time()
            for old in [s for s, until in self._seen.items() if until < now]:
                del self._seen[old]
            if signature in self._seen:
                return False
            self._seen[signature] = expires_at
            return True


class JwksFetcher:
    """The provider's JWKS fetched from ``url`` when first needed, kept, and fetched again on an unknown ``kid``
    (at most once a ``min_interval`` seconds, so that forged ``kid`` values cannot make it hammer the provider)."""

    def __init__(
        self, url: str, *, session: requests.Session | None = None, timeout: float = 10, min_interval: float = 30
    ) -> None:
        self.url = url
        self._session = session
        self._timeout = timeout
        self._min_interval = min_interval
        self._jwks: Mapping[str, Any] | None = None
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def jwks(self, *, refresh: bool = False) -> Mapping[str, Any]:
        with self._lock:
            due = refresh and time.monotonic() - self._fetched_at >= self._min_interval
            if self._jwks is None or due:
                self._jwks = self._fetch()
                self._fetched_at = time.monotonic()
            return self._jwks

    def _fetch(self) -> Mapping[str, Any]:
        get = self._session.get if self._session is not None else requests.get
        try:
            answer = get(self.url, timeout=self._timeout)
            answer.raise_for_status()
            found = answer.json()
        except (requests.RequestException, OSError, ValueError) as exc:
            raise WebhookSignatureError(f"cannot fetch the webhooks' JWKS from {self.url}: {exc}") from exc
        if not isinstance(found, dict) or not isinstance(found.get("keys"), list):
            raise WebhookSignatureError(f"{self.url} is not a JWK Set")
        return found


JwksSource = Mapping[str, Any] | JwksFetcher | Callable[[], Mapping[str, Any]]


def verify(
    body: bytes,
    headers: Mapping[str, str],
    jwks: JwksSource,
    *,
    tolerance: float = 300,
    now: datetime | None = None,
    replay_store: ReplayStore | None = None,
) -> WebhookEvent:
    """The event a webhook delivery carries, once verified (see the module's docstring for the checks).

    ``jwks`` is the JWK Set itself, a :class:`JwksFetcher`, or a function answering it (called again once on an
    unknown ``kid``). ``now`` defaults to the wall clock; with the mock, give its clock's instant.
    """
    value = _header(headers, SIGNATURE_HEADER)
    if value is None:
        raise WebhookSignatureError(f"no {SIGNATURE_HEADER} header")
    try:
        parts = value.split(".")
        if len(parts) != 3 or parts[1]:
            raise WebhookSignatureError("the signature is not a detached compact JWS (<header>..<signature>)")
        protected = jws.extract_compact(value.encode(), payload=body, registry=_REGISTRY).headers()
    except JoseError as exc:
        raise WebhookSignatureError(f"malformed signature: {exc}") from exc
    alg, kid, iat = protected.get("alg"), protected.get("kid"), protected.get("iat")
    if alg not in ALGORITHMS:
        raise WebhookSignatureError(f"algorithm {alg!r} is not accepted (only {', '.join(ALGORITHMS)})")
    if not isinstance(kid, str) or not kid:
        raise WebhookSignatureError("the signature names no key (kid)")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise WebhookSignatureError("the signature carries no signing time (iat)")
    key = _key(jwks, kid)
    try:
        jws.deserialize_compact(value, key, payload=body, algorithms=[alg], registry=_REGISTRY)
    except JoseError as exc:
        raise WebhookSignatureError(f"the signature does not match the body: {exc}") from exc
    current = (now or datetime.now(UTC)).timestamp()
    if abs(current - iat) > tolerance:
        raise WebhookTimestampError(f"signed {current - iat:.0f} s from now: the tolerance is {tolerance:g} s")
    if replay_store is not None and not replay_store.add(value, iat + tolerance):
        raise WebhookReplayError("this signature was accepted before: a replayed delivery")
    return _event(body, iat, kid)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    found = headers.get(name)
    if found is None:
        lowered = name.lower()
        found = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return found


def _key(source: JwksSource, kid: str) -> ECKey | RSAKey:
    for refresh in (False, True):
        if isinstance(source, JwksFetcher):
            jwks = source.jwks(refresh=refresh)
        elif callable(source):
            jwks = source()
        else:
            jwks = source
            if refresh:
                break
        try:
            keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise WebhookSignatureError(f"the JWKS cannot be read: {exc}") from exc
        for key in keys.keys:
            if key.kid == kid and isinstance(key, ECKey | RSAKey):
                return key
    raise WebhookSignatureError(f"no key {kid!r} in the webhooks' JWKS")


def _event(body: bytes, iat: int, kid: str) -> WebhookEvent:
    try:
        envelope = json.loads(body)
        event = WebhookEvent(
            id=envelope["id"],
            type=envelope["type"],
            created=datetime.fromisoformat(envelope["created"]),
            data=envelope["data"],
            signed_at=datetime.fromtimestamp(iat, UTC),
            key_id=kid,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookPayloadError(f"the body is not an event envelope: {exc}") from exc
    if not all(isinstance(v, str) for v in (event.id, event.type)) or not isinstance(event.data, dict):
        raise WebhookPayloadError("the body is not an event envelope: id, type, created, data")
    return event
