"""The SSO's keys: the RSA key that signs ID tokens, and the secret of the browser session.

The signing key is an RSA-2048 key generated on first use and kept sealed in the key vault (like the PKI's keys);
the ``sso_settings`` row ``signing_key_id`` names it, so that every worker and every restart signs with the same
key. Its ``kid`` is its RFC 7638 thumbprint, hence stable. The JWKS publishes its public half.

The browser-session secret signs the SSO's session cookie (and so the login forms' anti-CSRF secret): derived
(HKDF) from the mock's own secret, the one keys are sealed under, so that every worker shares it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy.exc import IntegrityError

from mock_provider.core.sso_models import SsoSetting

if TYPE_CHECKING:
    from mock_provider.core.services import MockServices

SIGNING_ALGORITHM = "RS256"
_SIGNING_KEY_ID = "signing_key_id"


class SigningKey:
    """The ID-token signing key of one app, loaded (or made) once per process."""

    def __init__(self, services: MockServices) -> None:
        self._services = services
        self._lock = threading.Lock()
        self._key: RSAKey | None = None

    def private_jwk(self) -> RSAKey:
        """The private key as a JWK carrying ``kid``, ``alg`` and ``use``."""
        with self._lock:
            if self._key is None:
                self._key = self._load()
            return self._key

    @property
    def kid(self) -> str:
        kid = self.private_jwk().kid
        assert kid is not None
        return kid

    def public_jwks(self) -> dict[str, Any]:
        """The JWK Set served at ``/sso/jwks``."""
        return {"keys": [self.private_jwk().as_dict(private=False)]}

    def public_key_set(self) -> KeySet:
        return KeySet.import_key_set(self.public_jwks())  # type: ignore[arg-type]

    def _load(self) -> RSAKey:
        services = self._services
        vault = services.pki.vault
        try:
            with services.db.transaction() as session:
                row = session.get(SsoSetting, _SIGNING_KEY_ID)
                if row is not None:
                    key = vault.load(session, row.value)
                else:
                    key_id, key = vault.create(session, "rsa-2048", services.clock.now())
                    session.add(SsoSetting(name=_SIGNING_KEY_ID, value=key_id))
        except IntegrityError:  # another worker made the key first: use that one
            with services.db.transaction() as session:
                row = session.get(SsoSetting, _SIGNING_KEY_ID)
                assert row is not None
                key = vault.load(session, row.value)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise RuntimeError("the SSO's signing key is not an RSA key")
        thumbprint = RSAKey.import_key(key).thumbprint()
        return RSAKey.import_key(key, parameters={"kid": thumbprint, "alg": SIGNING_ALGORITHM, "use": "sig"})


def session_secret(services: MockServices) -> bytes:
    """The secret that signs the SSO's browser session (Flask's ``SECRET_KEY``)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"jesign-mock sso session v1")
    return hkdf.derive(services.secret)
