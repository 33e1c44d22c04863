"""Keys generated and held by the provider, encrypted at rest, decrypted once per process and kept.

Every private key (the hierarchy's and the subscribers') is stored as PKCS#8 DER sealed with AES-256-GCM under a
key derived (HKDF-SHA256) from the configured secret; the row id is the associated data, so a sealed key cannot
be swapped onto another row. Once opened, a key object is cached for the life of the process: signing never
re-parses or re-validates a key (pyHanko's SimpleSigner re-checks an RSA key on every signature, ~90 ms at 3072
bits; the signing path here pays that once).
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import TypeAlias

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from mock_provider.core.ids import new_id
from mock_provider.core.models import ProviderKey

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class KeyDecryptionError(RuntimeError):
    """A stored key could not be opened: the secret is not the one it was sealed with."""


def generate_private_key(algorithm: str) -> PrivateKey:
    """A new key: ``ec-p256``, ``rsa-2048`` or ``rsa-3072``."""
    if algorithm == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm in ("rsa-2048", "rsa-3072"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[4:]))
    raise ValueError(f"unknown key algorithm {algorithm!r}")


def key_algorithm_name(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"ec-{key.curve.name}"
    return f"rsa-{key.key_size}"


def sign(key: PrivateKey, data: bytes, hash_algorithm: hashes.HashAlgorithm | None = None) -> bytes:
    """Sign ``data``: ECDSA, or RSA PKCS#1 v1.5, with SHA-256 unless told otherwise."""
    algorithm = hash_algorithm or hashes.SHA256()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm))
    return key.sign(data, padding.PKCS1v15(), algorithm)


class KeyVault:
    """Seals keys for storage and keeps opened keys in memory, by id."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the key-encryption secret must be at least 16 bytes")
        kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"jesign-mock key vault v1").derive(secret)
        self._aead = AESGCM(kek)
        self._cache: dict[str, PrivateKey] = {}
        self._lock = threading.Lock()

    def create(self, session: Session, algorithm: str, now: datetime) -> tuple[str, PrivateKey]:
        """Generate a key, add its sealed form to ``session`` and return (id, key)."""
        key = generate_private_key(algorithm)
        key_id = new_id("key")
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, der, key_id.encode())
        session.add(ProviderKey(id=key_id, algorithm=algorithm, encrypted_pkcs8=sealed, created_at=now))
        session.flush()  # rows that reference the key (no ORM relationship orders the inserts) come after it
        with self._lock:
            self._cache[key_id] = key
        return key_id, key

    def load(self, session: Session, key_id: str) -> PrivateKey:
        """The key with that id, opened at most once per process."""
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        row = session.get(ProviderKey, key_id)
        if row is None:
            raise KeyError(key_id)
        key = self.open(key_id, row.encrypted_pkcs8)
        with self._lock:
            return self._cache.setdefault(key_id, key)

    def open(self, key_id: str, sealed: bytes) -> PrivateKey:
        from cryptography.exceptions import InvalidTag

        try:
            der = self._aead.decrypt(sealed[:12], sealed[12:], key_id.encode())
        except InvalidTag as exc:
            raise KeyDecryptionError(
                f"cannot open key {key_id}: the secret differs from the one it was sealed with"
            ) from exc
        key = serialization.load_der_private_key(der, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise KeyDecryptionError(f"key {key_id} is of an unsupported type")
        return key


def signature_algorithm_name(key: PrivateKey) -> str:
    """asn1crypto's name of the SHA-256 signature algorithm that :func:`sign` uses with ``key``."""
    return "sha256_ecdsa" if isinstance(key, ec.EllipticCurvePrivateKey) else "sha256_rsa"
