"""Signing PDFs (PAdES) through any backend, jesign's trust provider first; sealing; validation.

::

    from jesign_sdk import Client, MockOutboxOtpSource

    client = Client("http://127.0.0.1:8400")
    client.login_with_hint("marie.dupont")
    otp = MockOutboxOtpSource(client.requestor, "+33612345678")
    client.signing.sign_pdf("lettre.pdf", "lettre-signée.pdf", level="B-LT", otp_source=otp)
    for report in client.signing.validate_pdf("lettre-signée.pdf"):
        print(report)

The same surface signs through any Cloud Signature Consortium provider (:class:`CscProvider`, CSC 1.0.4 or 2.0)
or a local key (:class:`LocalKeyProvider`, a PKCS#12 file), and through any backend a user writes
(:mod:`~jesign_sdk.signing.backend`). The split follows pyHanko's remote-signing design:
:mod:`~jesign_sdk.signing.backend` (the seam), :mod:`~jesign_sdk.signing.csc` (the CSC API, both versions),
:mod:`~jesign_sdk.signing.authorization` (a CSC signing operation: the code, the SAD, ``signHash``),
:mod:`~jesign_sdk.signing.signer` (a pyHanko signer over a backend's session, and time-stampers),
:mod:`~jesign_sdk.signing.documents` (checks and interrupted signing), :mod:`~jesign_sdk.signing.batch` (the steps
of one signature, as a coroutine), :mod:`~jesign_sdk.signing.provider` (the surface),
:mod:`~jesign_sdk.signing.resource` (``client.signing``), :mod:`~jesign_sdk.signing.validation`. Each call has a
coroutine twin (``async_sign_pdf``, ``async_validate_pdf``...).
"""

from jesign_sdk.signing.backend import Credential, SigningBackend, SigningSession
from jesign_sdk.signing.batch import ProgressCallback, SigningProgress
from jesign_sdk.signing.csc import CscApi, CscInfo
from jesign_sdk.signing.csc_oauth2 import CscOAuth2, CscToken, mock_authorize
from jesign_sdk.signing.documents import LEVELS, MAX_PDF_BYTES, PadesLevel, PdfRefusedError, VisibleSignature
from jesign_sdk.signing.local import LocalKeyBackend, LocalKeyProvider
from jesign_sdk.signing.provider import CscBackend, CscProvider, SigningProvider, UrlTimeStamper
from jesign_sdk.signing.resource import Signing
from jesign_sdk.signing.signer import CscTimeStamper, RemoteSigner
from jesign_sdk.signing.validation import SignatureReport, TrustRootSource, certificate_level, load_trust_roots

__all__ = [
    "LEVELS",
    "MAX_PDF_BYTES",
    "Credential",
    "CscApi",
    "CscBackend",
    "CscInfo",
    "CscOAuth2",
    "CscProvider",
    "CscTimeStamper",
    "CscToken",
    "LocalKeyBackend",
    "LocalKeyProvider",
    "PadesLevel",
    "PdfRefusedError",
    "ProgressCallback",
    "RemoteSigner",
    "SignatureReport",
    "Signing",
    "SigningBackend",
    "SigningProgress",
    "SigningProvider",
    "SigningSession",
    "TrustRootSource",
    "UrlTimeStamper",
    "VisibleSignature",
    "certificate_level",
    "load_trust_roots",
    "mock_authorize",
]
