"""The authorization step of remote signing: obtaining the Signature Activation Data (SAD).

A SCAL2 credential (the person's certificate) is authorized for exactly the hashes to sign, with the SMS code the
trust provider sends for it: one ``sendOTP`` (:func:`request_code`, which the signing resource calls while pyHanko
digests the documents), the code from the caller's :class:`~jesign_sdk.OtpSource`, one ``authorize`` carrying every
hash of the batch. A SCAL1 credential (a firm's seal) is authorized for a number of
signatures, without a code.

A wrong code is asked for again (the same code stays valid), up to ``max_code_attempts`` times; the last
:class:`~jesign_sdk.OtpInvalidError` then propagates. An expired or locked code propagates at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from jesign_sdk._errors import OtpInvalidError, OtpUnavailableError, RateLimitError
from jesign_sdk.otp import OtpRequest, OtpSource
from jesign_sdk.signing.csc import Credential, CscApi

__all__ = ["authorize", "request_code"]


def request_code(api: CscApi, credential: Credential) -> OtpRequest | None:
    """Have the SMS code sent for a SCAL2 credential (``sendOTP``); None for a SCAL1 one, which needs none.

    It names no hash, so the caller may send it while the documents are being digested.
    """
    if credential.scal < 2:
        return None
    # A 429 means a code was sent less than a minute ago (an earlier attempt): it is still valid.
    with contextlib.suppress(RateLimitError):
        api.send_otp(credential.id)
    last_digits = credential.otp_last_digits or ""
    # The CSC API names no registration: the request carries the credential's id in its place.
    return OtpRequest(credential.id, "** ** ** " + last_digits[:2] + " " + last_digits[2:], last_digits)


def authorize(
    api: CscApi,
    credential: Credential,
    digests: Sequence[bytes],
    otp_source: OtpSource | None,
    *,
    code_request: OtpRequest | None = None,
    first_code: str | None = None,
    max_code_attempts: int = 3,
) -> str:
    """The SAD that lets ``signHash`` sign ``digests`` (SHA-256 of each signature's signed attributes).

    ``code_request`` is what :func:`request_code` answered, when the caller had the code sent already, and
    ``first_code`` the code its source gave meanwhile (a non-interactive source), tried before asking again.
    """
    if credential.scal < 2:
        return api.authorize(credential.id, num_signatures=len(digests))
    if otp_source is None:
        raise OtpUnavailableError(f"the credential {credential.id} is authorized with an SMS code: give an otp_source")
    request = code_request or request_code(api, credential)
    assert request is not None
    attempts_left = max(1, max_code_attempts)
    while True:
        code, first_code = first_code or otp_source.get_code(request), None
        try:
            return api.authorize(credential.id, num_signatures=len(digests), hashes=digests, otp=code)
        except OtpInvalidError:
            attempts_left -= 1
            if attempts_left == 0:
                raise
