"""The seam between the PDF signing surface and where signatures come from.

pyHanko builds the signature around a key it never needs to hold: it asks for the signer's certificates, then for
a raw signature of the SHA-256 digest of each signature's signed attributes. A **backend** supplies exactly that:

- :meth:`SigningBackend.credential`: a key's certificates (the signer's first, then its chain) and what it can do;
- :meth:`SigningBackend.session`: one signing operation over that key, for one call of ``sign_pdfs``;
- :meth:`SigningSession.prepare`: called in a worker thread while pyHanko digests the documents, for what can
  start before the digests are known (a CSC provider sends the SMS code there); most backends do nothing;
- :meth:`SigningSession.sign`: the raw signatures of the digests, in order (a CSC provider authorizes them, once,
  then calls ``signHash``), called once per operation, in a worker thread.

The SDK ships two: :class:`~jesign_sdk.signing.provider.CscBackend` (any Cloud Signature Consortium provider,
1.0.4 or 2.0; jesign's ``client.signing`` is one) and :class:`~jesign_sdk.signing.local.LocalKeyBackend` (a key in
this process, from a PKCS#12 file: tests and offline pipelines). Another provider's own API plugs in by
implementing these two small protocols; :class:`~jesign_sdk.signing.provider.SigningProvider` then offers the whole
surface (levels B-B to B-LTA, batches, visible signatures, progress, the same refusals) over it.

Signatures are ECDSA (DER) or RSA PKCS#1 v1.5, always over SHA-256: see :data:`SIGN_ALGORITHMS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from asn1crypto import x509

from jesign_sdk.otp import OtpSource

__all__ = ["SIGN_ALGORITHMS", "Credential", "SigningBackend", "SigningSession"]

#: By the key's algorithm (asn1crypto's name): pyHanko's mechanism and the OID of the signature algorithm (as CSC's
#: ``signAlgo``), both with SHA-256.
SIGN_ALGORITHMS = {
    "ec": ("sha256_ecdsa", "1.2.840.10045.4.3.2"),
    "rsa": ("sha256_rsa", "1.2.840.113549.1.1.11"),  # RSA PKCS#1 v1.5
}


@dataclass(frozen=True)
class Credential:
    """A key that signs, as its backend describes it.

    ``certificates`` is the chain, the signer's certificate first (asn1crypto objects, as pyHanko wants them).
    ``key_algorithms`` lists the signature algorithms' OIDs the key offers (empty: any of :data:`SIGN_ALGORITHMS`).
    ``scal`` is CSC's Sole Control Assurance Level: 2 when each authorization is bound to the hashes it signs.
    ``needs_code`` says a one-time code authorizes each operation (``code_online``: the backend sends it, as an
    SMS, else the person has it, from a token or an app). ``multisign`` is the most signatures one authorization
    covers (None: no limit known). ``auth_mode`` is CSC's ``authMode``.
    """

    id: str
    certificates: tuple[x509.Certificate, ...]
    key_algorithms: tuple[str, ...] = ()
    key_length: int = 0
    scal: int = 1
    status: str = "valid"
    needs_code: bool = False
    code_online: bool = False
    otp_last_digits: str | None = None
    #: CSC's ``authMode``: ``implicit``, ``explicit`` (a code or PIN in ``authorize``), ``oauth2code`` (the
    #: provider's own OAuth2 authorizes each operation).
    auth_mode: str = "explicit"
    multisign: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def certificate(self) -> x509.Certificate:
        return self.certificates[0]


@runtime_checkable
class SigningSession(Protocol):
    """One signing operation over one credential (see the module's text)."""

    def prepare(self) -> None:
        """What can start before the digests are known (in a worker thread, while the documents are digested)."""

    def sign(self, digests: Sequence[bytes]) -> list[bytes]:
        """The raw signature of each SHA-256 digest, in order (ECDSA in DER, or RSA PKCS#1 v1.5)."""


@runtime_checkable
class SigningBackend(Protocol):
    """Where a :class:`~jesign_sdk.signing.provider.SigningProvider`'s signatures come from."""

    def credential(self, credential_id: str | None = None) -> Credential:
        """A credential's certificates and key; ``None``: the backend's default one."""

    def session(self, credential: Credential, *, otp_source: OtpSource | None) -> SigningSession:
        """A signing operation over ``credential``; ``otp_source`` gives the one-time code when it needs one."""
