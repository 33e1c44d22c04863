"""Every error the SDK raises, in one tree rooted at :class:`JesignError`.

::

    JesignError
    ├── APIConnectionError            no whole answer came: not sent, connection broken, redirect loop (after retries)
    │   └── APITimeoutError           ... or not in time
    ├── APIResponseValidationError    a success whose body is not what the API promises (not JSON, a field missing)
    ├── IdTokenError                  an SSO id_token failed verification (signature, iss, aud, exp, nonce)
    ├── OtpUnavailableError           an OTP source could not produce a code
    ├── PdfRefusedError               a document refused, before any SMS (code: not_a_pdf, pdf_damaged, …; source)
    ├── TrustRootError                a trust root for validation cannot be used, or none is at hand offline
    ├── WebhookVerificationError      a webhook delivery failed verification (jesign_sdk.webhooks.verify)
    │   ├── WebhookSignatureError     no signature, a malformed one, a tampered body, a wrong or unknown key
    │   ├── WebhookTimestampError     signed too long ago (or too far ahead): outside the tolerance
    │   ├── WebhookReplayError        this very signature was accepted before
    │   └── WebhookPayloadError       signed, but not an event envelope
    └── APIStatusError                the server answered an error status; carries status_code, code, request_id
        ├── BadRequestError           400 / 422
        │   ├── OtpInvalidError       wrong or malformed SMS code (attempts_remaining)
        │   ├── OtpExpiredError       the SMS code expired: ask for a new one
        │   └── DocumentRefusedError  identity document refused (reason: the wire code, field)
        ├── AuthenticationError       401
        ├── PermissionDeniedError     403
        ├── NotFoundError             404
        ├── ConflictError             409
        │   └── RegistrationStateError  the registration is not in a state that allows the call (state)
        ├── GoneError                 410
        │   └── RegistrationExpiredError  the registration's session ended, 7 days on (expired_at)
        ├── LockedError               423
        │   └── OtpLockedError        too many wrong codes, or too many codes sent (retry_after when waiting helps)
        ├── RateLimitError            429 (retry_after)
        └── InternalServerError       5xx

The OTP errors also derive from :class:`OtpError`, so ``except OtpError`` catches all three. ``str()`` of an API
error shows the status, the wire code, the message and the request id, which is what a support request needs.

Which transport failure becomes which class, and which are retried, is decided in :mod:`jesign_sdk._requestor`
(see docs/sdk/errors.md).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DocumentRefusedError",
    "GoneError",
    "IdTokenError",
    "InternalServerError",
    "JesignError",
    "LockedError",
    "NotFoundError",
    "OtpError",
    "OtpExpiredError",
    "OtpInvalidError",
    "OtpLockedError",
    "OtpUnavailableError",
    "PdfRefusedError",
    "PermissionDeniedError",
    "RateLimitError",
    "RegistrationExpiredError",
    "RegistrationStateError",
    "TrustRootError",
    "WebhookPayloadError",
    "WebhookReplayError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "WebhookVerificationError",
]


class JesignError(Exception):
    """Root of every error the SDK raises."""


class APIConnectionError(JesignError):
    """The request got no whole answer (after the retries allowed).

    It could not be sent (a URL or header the HTTP library refuses, DNS, refused connection, proxy, TLS), or the
    connection broke before the answer was whole (reset, truncated or undecodable body), or the redirects never
    ended. Whether the server acted on it is unknown unless it was never sent; a POST retried with its
    ``Idempotency-Key`` is safe either way.
    """


class APITimeoutError(APIConnectionError):
    """The server did not answer, or did not finish answering, within the timeout (after the retries allowed)."""


class APIResponseValidationError(JesignError):
    """The server answered a success, but not what the API promises: a body that is not JSON, a field missing or
    of the wrong type. Not retried: the same request would get the same answer.

    ``status_code`` and ``request_id`` are the answer's, ``body`` what could be decoded of it (the text when it
    is not JSON).
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, request_id: str | None = None, body: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.body = body

    def __str__(self) -> str:
        text = f"[{self.status_code}] {self.message}" if self.status_code is not None else self.message
        if self.request_id:
            text += f" (request {self.request_id})"
        return text


class IdTokenError(JesignError):
    """The SSO's id_token did not verify: bad signature, wrong issuer or audience, expired, or another nonce."""


class OtpUnavailableError(JesignError):
    """The OTP source could not give a code (no SMS arrived, or the person gave none)."""


class PdfRefusedError(JesignError):
    """The SDK refused a document; ``code`` says why, ``source`` names the file (None for bytes) and
    ``document`` is its position among the inputs of the call (0 for the first).

    Decided before any call, so before any SMS code is sent: ``file_unreadable`` (the file cannot be opened),
    ``pdf_too_large``, ``not_a_pdf`` (no PDF header), ``pdf_damaged`` (truncated, garbage, a broken cross-reference
    table or compressed stream: pyHanko cannot read it), ``pdf_unsupported`` (it needs what pyHanko does not read,
    an unsupported stream filter for instance), ``encrypted_pdf`` (it needs a password to open, is encrypted for
    certificates, or its permissions forbid signing), ``pdf_not_signable`` (no such page, the field is signed
    already or is not a signature field, the author's certification forbids any change), ``text_not_drawable`` (no
    font at hand has every character of a visible signature's text), ``batch_too_large`` (more documents than the
    credential's ``multisign``, the most one authorization signs; decided once the credential is read, before any
    SMS).

    Found while signing: ``pdf_not_signable`` still, when pyHanko fails on what the checks could not foresee (the
    SMS code sent meanwhile stays valid for the next try), and ``certificate_not_valid`` (B-LT and B-LTA: the
    signer's or the TSA's certificate does not validate against the provider's root, revoked for instance).
    """

    def __init__(self, message: str, *, code: str, source: str | None = None, document: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.source = source
        self.document = document

    def __str__(self) -> str:
        if self.source:
            where = f" ({self.source})"
        elif self.document is not None:
            where = f" (document {self.document + 1} of the call)"
        else:
            where = ""
        return f"[{self.code}] {self.message}{where}"


class TrustRootError(JesignError):
    """A trust root given for validation cannot be used (no such file, not a PEM or DER X.509 certificate), or an
    offline validation has none at hand (it fetches nothing, the provider's root included)."""


class WebhookVerificationError(JesignError):
    """A webhook delivery failed verification: do not act on it (answer 400 or 401)."""


class WebhookSignatureError(WebhookVerificationError):
    """The signature header is missing or malformed, does not match the body, or names a key the JWKS lacks."""


class WebhookTimestampError(WebhookVerificationError):
    """The signing instant is further from now than the tolerance: an old delivery replayed, or a clock off."""


class WebhookReplayError(WebhookVerificationError):
    """This very signature was accepted before (the replay store remembered it)."""


class WebhookPayloadError(WebhookVerificationError):
    """The signature holds, but the body is not an event envelope (``id``, ``type``, ``created``, ``data``)."""


class APIStatusError(JesignError):
    """The server answered with an error status.

    ``code`` is the stable wire code of the RFC 9457 problem (or the OAuth ``error``), ``message`` its detail,
    ``request_id`` the id to quote to support, ``errors`` the field errors, ``body`` the whole decoded answer.
    ``retry_after`` is the wait, in seconds, before the same call may succeed, when the server said: its
    ``Retry-After`` header, else the problem's ``retry_after`` member; None otherwise.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        request_id: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.errors = errors or []
        self.body = body
        if retry_after is None:
            member = self.member("retry_after")
            retry_after = float(member) if isinstance(member, int | float) and not isinstance(member, bool) else None
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [f"{self.status_code}"]
        if self.code:
            parts.append(self.code)
        text = f"[{' '.join(parts)}] {self.message}"
        if self.request_id:
            text += f" (request {self.request_id})"
        return text

    def member(self, name: str) -> Any:
        """An extension member of the problem (``attempts_remaining``, ``retry_after``, ``state`` …)."""
        return self.body.get(name) if isinstance(self.body, dict) else None


class BadRequestError(APIStatusError):
    """400 or 422: the request is wrong; ``errors`` names the fields."""


class AuthenticationError(APIStatusError):
    """401: missing, expired or unknown credentials."""


class PermissionDeniedError(APIStatusError):
    """403: known, but not allowed."""


class NotFoundError(APIStatusError):
    """404 (also what another user's resources look like)."""


class ConflictError(APIStatusError):
    """409: the resource's state forbids the call."""


class GoneError(APIStatusError):
    """410: the resource existed and is over."""


class LockedError(APIStatusError):
    """423."""


class RateLimitError(APIStatusError):
    """429: too many requests, or too soon; ``retry_after`` in seconds when the server said."""


class InternalServerError(APIStatusError):
    """5xx: the server failed (after the retries allowed)."""


class OtpError(APIStatusError):
    """Any refusal of an SMS code."""


class OtpInvalidError(BadRequestError, OtpError):
    """The code is wrong (or not six digits); ``attempts_remaining`` before it locks."""

    @property
    def attempts_remaining(self) -> int | None:
        value = self.member("attempts_remaining")
        return int(value) if isinstance(value, int) else None


class OtpExpiredError(BadRequestError, OtpError):
    """The code is no longer valid: ask for a new one."""


class OtpLockedError(LockedError, OtpError):
    """Too many wrong codes (``otp_locked``: ask for a new one), or too many codes sent
    (``otp_code_limit_reached``).

    ``retry_after`` is filled when waiting is the remedy: signing codes are limited per hour, and it says when the
    next may be sent. It is None when waiting does not help: a locked code stays locked (ask for a new one), and a
    registration whose ten codes were sent must be cancelled and started again.
    """


class DocumentRefusedError(BadRequestError):
    """The identity document was refused; ``reason`` is the wire code, ``field`` the side or field at fault."""

    @property
    def reason(self) -> str:
        return self.code or "document_refused"

    @property
    def field(self) -> str | None:
        return str(self.errors[0].get("field")) if self.errors else None


class RegistrationStateError(ConflictError):
    """The registration is not in a state that allows the call; ``state`` is the state it is in."""

    @property
    def state(self) -> str | None:
        value = self.member("state")
        return str(value) if value is not None else None


class RegistrationExpiredError(GoneError):
    """The registration's session ended, left unfinished 7 days after it was opened: ask for a new registration
    (the platform's hand-off opens one). ``expired_at`` is the instant it ended, as the server wrote it."""

    @property
    def expired_at(self) -> str | None:
        value = self.member("expired_at")
        return str(value) if value is not None else None


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: BadRequestError,
    423: LockedError,
    429: RateLimitError,
}

_BY_CODE: dict[str, type[APIStatusError]] = {
    "otp_invalid": OtpInvalidError,
    "otp_malformed": OtpInvalidError,
    "otp_expired": OtpExpiredError,
    "otp_locked": OtpLockedError,
    "otp_code_limit_reached": OtpLockedError,
    "registration_wrong_state": RegistrationStateError,
    "registration_expired": RegistrationExpiredError,
}

_DOCUMENT_PREFIXES = ("document_", "mrz_", "invalid_document_")


def error_for(status_code: int, code: str | None) -> type[APIStatusError]:
    """The exception class for an answer's status and wire code."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if status_code == 400 and code is not None and code.startswith(_DOCUMENT_PREFIXES):
        return DocumentRefusedError
    if status_code >= 500:
        return InternalServerError
    return _BY_STATUS.get(status_code, APIStatusError)
