"""Remote signing of PDFs (PAdES) through the trust provider's CSC API, sealing, and validation.

::

    from jesign_sdk import Client, MockOutboxOtpSource

    client = Client("http://127.0.0.1:8400")
    client.login_with_hint("marie.dupont")
    otp = MockOutboxOtpSource(client.requestor, "+33612345678")
    client.signing.sign_pdf("lettre.pdf", "lettre-signée.pdf", level="B-LT", otp_source=otp)
    for report in client.signing.validate_pdf("lettre-signée.pdf"):
        print(report)

The split follows pyHanko's remote-signing design: :mod:`~jesign_sdk.signing.csc` (the API and the credential's
information), :mod:`~jesign_sdk.signing.authorization` (the SMS step that yields the Signature Activation Data),
:mod:`~jesign_sdk.signing.signer` (a pyHanko signer that only calls ``signHash``, and a time-stamper),
:mod:`~jesign_sdk.signing.documents` (checks and interrupted signing), :mod:`~jesign_sdk.signing.batch` (the steps of
one signature, as a coroutine), :mod:`~jesign_sdk.signing.validation`. Each call of :class:`Signing` has a coroutine
twin (``async_sign_pdf``, ``async_validate_pdf``...).
"""

from jesign_sdk.signing.batch import ProgressCallback, SigningProgress
from jesign_sdk.signing.csc import Credential, CscApi
from jesign_sdk.signing.documents import LEVELS, MAX_PDF_BYTES, PadesLevel, PdfRefusedError, VisibleSignature
from jesign_sdk.signing.resource import Signing
from jesign_sdk.signing.signer import CscTimeStamper, RemoteSigner
from jesign_sdk.signing.validation import SignatureReport, TrustRootSource, certificate_level, load_trust_roots

__all__ = [
    "LEVELS",
    "MAX_PDF_BYTES",
    "Credential",
    "CscApi",
    "CscTimeStamper",
    "PadesLevel",
    "PdfRefusedError",
    "ProgressCallback",
    "RemoteSigner",
    "SignatureReport",
    "Signing",
    "SigningProgress",
    "TrustRootSource",
    "VisibleSignature",
    "certificate_level",
    "load_trust_roots",
]
