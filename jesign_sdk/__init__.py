"""jesign's SDK: the integrator's client for jesignexpert.com.

::

    from jesign_sdk import Client

    client = Client("http://127.0.0.1:8400")          # the mock; a real deployment: endpoints + credentials
    client.login_with_hint("marie.dupont")             # the mock's non-interactive login
    print(client.registration.status().next_action)   # "confirm_profile"

The public surface is exactly ``__all__`` (a test pins it).
"""

from jesign_sdk._client import Client
from jesign_sdk._clock import ServerClock
from jesign_sdk._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DocumentRefusedError,
    GoneError,
    IdTokenError,
    InternalServerError,
    JesignError,
    LockedError,
    NotFoundError,
    OtpError,
    OtpExpiredError,
    OtpInvalidError,
    OtpLockedError,
    OtpUnavailableError,
    PermissionDeniedError,
    RateLimitError,
    RegistrationExpiredError,
    RegistrationStateError,
    TrustRootError,
)
from jesign_sdk._loopback import LOOPBACK_REDIRECT_URI
from jesign_sdk._models import (
    Agreement,
    CertificateRequest,
    CodeSent,
    Delegation,
    Firm,
    Handoff,
    IssuedCertificate,
    Me,
    Profile,
    RegistrationStatus,
    Tokens,
    TrustRegistration,
)
from jesign_sdk._requestor import Endpoints, RetryPolicy
from jesign_sdk._version import __version__
from jesign_sdk.otp import MockOutboxOtpSource, OtpRequest, OtpSource, PromptOtpSource
from jesign_sdk.resources.registration import Applicant, EnrollmentError, RegistrationRejectedError
from jesign_sdk.resources.sso import AuthorizationRequest
from jesign_sdk.resources.trust import DocumentSide, IdentityDocument, TrustBackend
from jesign_sdk.signing import PdfRefusedError, RemoteSigner, SignatureReport, SigningProgress, VisibleSignature

__all__ = [
    "LOOPBACK_REDIRECT_URI",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "Agreement",
    "Applicant",
    "AuthenticationError",
    "AuthorizationRequest",
    "BadRequestError",
    "CertificateRequest",
    "Client",
    "CodeSent",
    "ConflictError",
    "Delegation",
    "DocumentRefusedError",
    "DocumentSide",
    "Endpoints",
    "EnrollmentError",
    "Firm",
    "GoneError",
    "Handoff",
    "IdTokenError",
    "IdentityDocument",
    "InternalServerError",
    "IssuedCertificate",
    "JesignError",
    "LockedError",
    "Me",
    "MockOutboxOtpSource",
    "NotFoundError",
    "OtpError",
    "OtpExpiredError",
    "OtpInvalidError",
    "OtpLockedError",
    "OtpRequest",
    "OtpSource",
    "OtpUnavailableError",
    "PdfRefusedError",
    "PermissionDeniedError",
    "Profile",
    "PromptOtpSource",
    "RateLimitError",
    "RegistrationExpiredError",
    "RegistrationRejectedError",
    "RegistrationStateError",
    "RegistrationStatus",
    "RemoteSigner",
    "RetryPolicy",
    "ServerClock",
    "SignatureReport",
    "SigningProgress",
    "Tokens",
    "TrustBackend",
    "TrustRegistration",
    "TrustRootError",
    "VisibleSignature",
    "__version__",
]
