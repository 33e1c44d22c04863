"""The rule switches of the SMS codes: expiry, attempts, cooldown, the cap on codes.

Declarations only, listed by :mod:`mock_provider.core.misbehaviour.catalogue`; each section says where its switches
are honoured, with one guard style: ``if SWITCH in breakages:``.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.switch import declare

# -- honoured in mock_provider/core/otp.py -----------------------------------------------------------------------------

# Rule breakages (mock_provider.core.misbehaviour), honoured when the caller passes its ``breakages``.
WRONG_OTP_ACCEPTED = declare(
    "wrong_otp_accepted",
    rule="A wrong SMS code is refused and counted.",
    check="registration.otp.wrong_code",
)
EXPIRED_OTP_ACCEPTED = declare(
    "expired_otp_accepted",
    rule="An SMS code is refused once its 30 minutes have passed.",
    check="registration.otp.expiry",
)
RETRY_AFTER_FROM_ANY_CODE = declare(
    "retry_after_from_any_code",
    rule="The Retry-After of a signing code refused for the hourly cap is the time until the oldest code of the "
    "last hour leaves it, not counted from an older code (here: from the credential's first code ever).",
    check="signing.codes.hourly_cap",
)
SUPERSEDED_OTP_ACCEPTED = declare(
    "superseded_otp_accepted",
    rule="Sending a new SMS code voids the previous one: only the latest code works.",
    check="registration.otp.superseded",
)
NO_OTP_LOCKOUT = declare(
    "no_otp_lockout",
    rule="After 5 wrong SMS codes the code is locked: even the right one is refused.",
    check="registration.otp.lockout",
)
NO_RESEND_COOLDOWN = declare(
    "no_resend_cooldown",
    rule="A new SMS code is sent only once the resend cooldown has passed.",
    check="registration.otp.resend_cooldown",
)
