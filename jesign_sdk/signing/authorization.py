"""One signing operation at a CSC provider: the authorization (the Signature Activation Data, SAD), then ``signHash``.

A credential that asks for a one-time code (``OTP.presence`` "true" in ``credentials/info``) is authorized with it:
when the provider sends it (``OTP.type`` "online", and ``credentials/sendOTP`` among its methods), one ``sendOTP``
in :meth:`CscSession.prepare`, which runs while pyHanko digests the documents, since it names no hash; else the
person has it (a token, an app) and the caller's :class:`~jesign_sdk.OtpSource` gives it. Then one ``authorize``
for the whole batch: a SCAL2 credential bound to every hash of it, a SCAL1 one (a firm's seal) for a number of
signatures. Then one ``signHash`` for all the hashes.

A wrong code is asked for again (the same code stays valid), up to ``max_code_attempts`` times, with the refusal
and the attempts left in the :class:`~jesign_sdk.OtpRequest`; the last :class:`~jesign_sdk.OtpInvalidError` then
propagates. An expired or locked code propagates at once.

Where the provider authorizes each operation through its own OAuth2 (``authMode`` ``oauth2code``, or the caller's
choice), ``credential_authorizer`` is given instead: it answers a ``scope=credential`` token for the credential and
exactly the hashes (the person goes through the provider's page, where any code is typed), and ``signHash`` carries
that token in place of the SAD (:class:`~jesign_sdk.signing.csc_oauth2.CscOAuth2`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence

from jesign_sdk._errors import JesignError, OtpInvalidError, OtpUnavailableError, RateLimitError
from jesign_sdk.otp import OtpRequest, OtpSource, is_interactive
from jesign_sdk.signing.backend import SIGN_ALGORITHMS, Credential
from jesign_sdk.signing.csc import CscApi

__all__ = ["CredentialAuthorizer", "CscSession", "sign_algorithm"]

#: A ``scope=credential`` access token for (credential id, the hashes), from a provider's own OAuth2.
CredentialAuthorizer = Callable[[str, Sequence[bytes]], str]


def sign_algorithm(credential: Credential) -> tuple[str, str]:
    """pyHanko's mechanism and the ``signAlgo`` OID for the credential's key (SHA-256 always)."""
    key_algorithm = credential.certificate.public_key.algorithm
    if key_algorithm not in SIGN_ALGORITHMS:
        raise JesignError(f"the credential's {key_algorithm} key is not supported (ECDSA or RSA)")
    mechanism, oid = SIGN_ALGORITHMS[key_algorithm]
    if credential.key_algorithms and oid not in credential.key_algorithms:
        raise JesignError(f"the credential {credential.id} does not offer {mechanism}")
    return mechanism, oid


class CscSession:
    """A :class:`~jesign_sdk.signing.backend.SigningSession` at a CSC provider (see the module's text)."""

    def __init__(
        self,
        api: CscApi,
        credential: Credential,
        *,
        otp_source: OtpSource | None,
        can_send_code: bool = True,
        max_code_attempts: int = 3,
        credential_authorizer: CredentialAuthorizer | None = None,
    ) -> None:
        self._authorizer = credential_authorizer
        if credential_authorizer is not None:
            credential = _no_code(credential)  # any code is typed on the provider's page
        if credential.needs_code and otp_source is None:
            # Refused before anything is sent (no SMS for nothing).
            raise OtpUnavailableError(
                f"the credential {credential.id} is authorized with a one-time code: give an otp_source"
            )
        self.api = api
        self.credential = credential
        self.otp_source = otp_source
        self.sign_algorithm = sign_algorithm(credential)[1]
        self._sends_code = credential.needs_code and credential.code_online and can_send_code
        self._max_code_attempts = max(1, max_code_attempts)
        self._request: OtpRequest | None = None
        self._first_code: str | None = None

    def prepare(self) -> None:
        """Have the code sent (``sendOTP``), and read it here from a source that needs no person (a person is
        asked in :meth:`sign`, in the caller's thread)."""
        if not self.credential.needs_code:
            return
        self._request = self._code_request()
        source = self.otp_source
        if source is not None and not is_interactive(source):
            self._first_code = source.get_code(self._request)

    def sign(self, digests: Sequence[bytes]) -> list[bytes]:
        """``authorize`` (with the code, when the credential asks for one), then ``signHash``; or, through the
        provider's OAuth2, a credential token for these hashes, then ``signHash`` with it."""
        if self._authorizer is not None:
            token = self._authorizer(self.credential.id, digests)
            return self.api.sign_hashes(self.credential.id, None, digests, self.sign_algorithm, credential_token=token)
        sad = self._authorize(digests)
        return self.api.sign_hashes(self.credential.id, sad, digests, self.sign_algorithm)

    def _code_request(self) -> OtpRequest:
        credential = self.credential
        if self._sends_code:
            # A 429 means a code was sent less than a minute ago (an earlier attempt): it is still valid.
            with contextlib.suppress(RateLimitError):
                self.api.send_otp(credential.id)
        last_digits = credential.otp_last_digits or ""
        masked = "** ** ** " + last_digits[:2] + " " + last_digits[2:] if last_digits else ""
        # The CSC API names no registration: the request carries the credential's id in its place.
        return OtpRequest(credential.id, masked, last_digits)

    def _authorize(self, digests: Sequence[bytes]) -> str:
        credential = self.credential
        hashes = digests if credential.scal >= 2 else None
        if not credential.needs_code:
            return self.api.authorize(credential.id, num_signatures=len(digests), hashes=hashes)
        assert self.otp_source is not None  # checked in __init__
        request = self._request or self._code_request()
        attempts_left = self._max_code_attempts
        code, self._first_code = self._first_code, None
        while True:
            code = code or self.otp_source.get_code(request)
            try:
                return self.api.authorize(credential.id, num_signatures=len(digests), hashes=hashes, otp=code)
            except OtpInvalidError as exc:
                attempts_left -= 1
                if attempts_left == 0:
                    raise
                # Asked again with why: the same code stays valid, nothing was sent.
                server_left = exc.attempts_remaining
                left = attempts_left if server_left is None else min(attempts_left, server_left)
                request = dataclasses.replace(request, refused=exc.code or "otp_invalid", attempts_remaining=left)
                code = None


def _no_code(credential: Credential) -> Credential:
    return dataclasses.replace(credential, needs_code=False, code_online=False)
