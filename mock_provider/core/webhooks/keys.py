"""The key that signs webhooks, and the signature itself: a detached compact JWS (RFC 7515) over the body.

The key is an ECDSA P-256 key (``ES256``) generated on first use and kept sealed in the key vault, as the SSO's
signing key is; the ``webhook_settings`` row ``signing_key_id`` names it, so that every worker and every restart
signs with the same key. Its ``kid`` is its RFC 7638 thumbprint. The JWKS at ``/trust/v1/webhooks/jwks.json``
publishes its public half.

The signature (the mock's own shape: Universign publishes none) is the compact JWS of the body with its payload
left out, ``<protected header>..<signature>`` (RFC 7515 appendix F), sent in :data:`SIGNATURE_HEADER`. The
protected header carries ``alg``, ``kid``, ``typ`` and ``iat``, the signing instant in seconds since the epoch on
the mock clock, so that a receiver can refuse a replayed old delivery.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.jwk import ECKey
from joserfc.registry import HeaderParameter
from sqlalchemy.exc import IntegrityError

from mock_provider.core.webhooks.models import WebhookSetting

if TYPE_CHECKING:
    from mock_provider.core.pki.keys import KeyVault
    from mock_provider.core.storage import Database

SIGNING_ALGORITHM = "ES256"
#: The HTTP header that carries the detached JWS (the mock's own name).
SIGNATURE_HEADER = "Jesign-Signature"
_SIGNING_KEY_ID = "signing_key_id"

#: joserfc's JWS registry, taught the ``iat`` header parameter (the signing instant).
REGISTRY = jws.JWSRegistry(
    header_registry={"iat": HeaderParameter("Signing time, seconds since the epoch", "int", True)},
    algorithms=[SIGNING_ALGORITHM],
)


class WebhookSigningKey:
    """The webhook signing key of one app, loaded (or made) once per process."""

    def __init__(self, db: Database, vault: KeyVault) -> None:
        self._db = db
        self._vault = vault
        self._lock = threading.Lock()
        self._key: ECKey | None = None

    def private_jwk(self, now: datetime) -> ECKey:
        with self._lock:
            if self._key is None:
                self._key = self._load(now)
            return self._key

    def public_jwks(self, now: datetime) -> dict[str, Any]:
        """The JWK Set served at ``/trust/v1/webhooks/jwks.json``."""
        return {"keys": [self.private_jwk(now).as_dict(private=False)]}

    def sign(self, body: bytes, now: datetime) -> str:
        """The detached compact JWS of ``body``, signed at ``now``: ``<header>..<signature>``."""
        key = self.private_jwk(now)
        protected = {"alg": SIGNING_ALGORITHM, "kid": key.kid, "typ": "JOSE", "iat": int(now.timestamp())}
        return jws.detach_content(jws.serialize_compact(protected, body, key, registry=REGISTRY))

    def _load(self, now: datetime) -> ECKey:
        try:
            with self._db.transaction() as session:
                row = session.get(WebhookSetting, _SIGNING_KEY_ID)
                if row is not None:
                    key = self._vault.load(session, row.value)
                else:
                    key_id, key = self._vault.create(session, "ec-p256", now)
                    session.add(WebhookSetting(name=_SIGNING_KEY_ID, value=key_id))
        except IntegrityError:  # another worker made the key first: use that one
            with self._db.transaction() as session:
                row = session.get(WebhookSetting, _SIGNING_KEY_ID)
                assert row is not None
                key = self._vault.load(session, row.value)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise RuntimeError("the webhook signing key is not an EC key")
        thumbprint = ECKey.import_key(key).thumbprint()
        return ECKey.import_key(key, parameters={"kid": thumbprint, "alg": SIGNING_ALGORITHM, "use": "sig"})
