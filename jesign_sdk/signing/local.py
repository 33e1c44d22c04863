"""A key in this process as a signing backend: tests and offline pipelines sign with no provider.

::

    from jesign_sdk.signing import LocalKeyProvider

    signer = LocalKeyProvider.from_pkcs12("cachet-test.p12", password=b"...")
    signer.sign_pdf("lettre.pdf", "lettre-signée.pdf", level="B-B")

The same surface as ``client.signing`` (:class:`~jesign_sdk.signing.provider.SigningProvider`): levels B-B to
B-LTA (B-T and up with a ``tsa_url`` or a ``timestamper``, B-LT and up with ``trust_roots``), batches, visible
signatures, progress, the same refusals. No code is ever asked for: ``otp_source`` is not needed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.timestamps import TimeStamper

from jesign_sdk._errors import JesignError
from jesign_sdk.otp import OtpSource
from jesign_sdk.signing.backend import SIGN_ALGORITHMS, Credential
from jesign_sdk.signing.csc import load_certificate
from jesign_sdk.signing.provider import DEFAULT_LEEWAY, SigningProvider, UrlTimeStamper
from jesign_sdk.signing.validation import TrustRootSource

__all__ = ["LocalKeyBackend", "LocalKeyError", "LocalKeyProvider"]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class LocalKeyError(JesignError):
    """A key file that cannot be used: unreadable, a wrong password, no key or certificate in it, a key of
    another algorithm than ECDSA or RSA, or a certificate of another key."""


class LocalKeyBackend:
    """A :class:`~jesign_sdk.signing.backend.SigningBackend` over a private key and its certificates (the signer's
    first, then its chain), all in this process. Its one credential's id is ``credential_id``."""

    def __init__(
        self, key: PrivateKey, certificates: Sequence[x509.Certificate], *, credential_id: str = "local"
    ) -> None:
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise LocalKeyError(f"a {type(key).__name__} cannot sign here: ECDSA or RSA keys only")
        if not certificates:
            raise LocalKeyError("the key comes with no certificate")
        own = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if certificates[0].public_key.dump() != own:
            raise LocalKeyError("the first certificate is not the key's")
        algorithm = "ec" if isinstance(key, ec.EllipticCurvePrivateKey) else "rsa"
        self._key = key
        self._credential = Credential(
            id=credential_id,
            certificates=tuple(certificates),
            key_algorithms=(SIGN_ALGORITHMS[algorithm][1],),
            key_length=key.key_size,
            scal=1,
        )

    @classmethod
    def from_pkcs12(
        cls,
        source: str | os.PathLike[str] | bytes,
        *,
        password: bytes | str | None = None,
        credential_id: str = "local",
    ) -> LocalKeyBackend:
        """The key and certificates of a PKCS#12 file (its path, or its bytes)."""
        try:
            data = source if isinstance(source, bytes) else Path(source).read_bytes()
        except OSError as exc:
            raise LocalKeyError(f"the PKCS#12 file cannot be read: {exc.strerror or exc}") from exc
        secret = password.encode() if isinstance(password, str) else password
        try:
            key, certificate, others = pkcs12.load_key_and_certificates(data, secret)
        except ValueError as exc:
            raise LocalKeyError("not a PKCS#12 file, or a wrong password") from exc
        if key is None or certificate is None:
            raise LocalKeyError("the PKCS#12 file holds no key and certificate")
        chain = [certificate, *others]
        return cls(
            key,  # type: ignore[arg-type]  # checked in __init__
            [load_certificate(c.public_bytes(serialization.Encoding.DER)) for c in chain],
            credential_id=credential_id,
        )

    def credential(self, credential_id: str | None = None) -> Credential:
        if credential_id not in (None, self._credential.id):
            raise LocalKeyError(f"this key is the credential {self._credential.id!r}, not {credential_id!r}")
        return self._credential

    def session(self, credential: Credential, *, otp_source: OtpSource | None) -> _LocalSession:
        return _LocalSession(self._key)


class _LocalSession:
    def __init__(self, key: PrivateKey) -> None:
        self._key = key

    def prepare(self) -> None:
        """Nothing to start: the key is here."""

    def sign(self, digests: Sequence[bytes]) -> list[bytes]:
        prehashed = Prehashed(hashes.SHA256())
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return [self._key.sign(d, ec.ECDSA(prehashed)) for d in digests]
        return [self._key.sign(d, padding.PKCS1v15(), prehashed) for d in digests]


class LocalKeyProvider(SigningProvider):
    """The signing surface over a :class:`LocalKeyBackend` (see the module's text)."""

    def __init__(
        self,
        backend: LocalKeyBackend,
        *,
        tsa_url: str | None = None,
        timestamper: TimeStamper | None = None,
        trust_roots: Sequence[TrustRootSource] | None = None,
        clock: Callable[[], datetime] | None = None,
        leeway: timedelta = DEFAULT_LEEWAY,
    ) -> None:
        if timestamper is None and tsa_url is not None:
            timestamper = UrlTimeStamper(tsa_url)
        super().__init__(backend, timestamper=timestamper, trust_roots=trust_roots, clock=clock, leeway=leeway)

    @classmethod
    def from_pkcs12(
        cls,
        source: str | os.PathLike[str] | bytes,
        *,
        password: bytes | str | None = None,
        tsa_url: str | None = None,
        timestamper: TimeStamper | None = None,
        trust_roots: Sequence[TrustRootSource] | None = None,
    ) -> LocalKeyProvider:
        """A provider signing with the key of a PKCS#12 file (see :meth:`LocalKeyBackend.from_pkcs12`)."""
        return cls(
            LocalKeyBackend.from_pkcs12(source, password=password),
            tsa_url=tsa_url,
            timestamper=timestamper,
            trust_roots=trust_roots,
        )
