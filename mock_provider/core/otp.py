"""One-time SMS codes: six digits, valid 30 minutes, single use, locked after 5 wrong tries, resend cooldown.

A guesser gets 5 tries per code, one new code per cooldown, and at most ``MAX_CODES`` codes per registration
(then the request must be cancelled and started again): at most 50 guesses out of a million, slowly. Signing codes
are sent for the whole life of a credential, so their limit is per window instead (``limit_window``, ``max_codes``:
30 an hour for signing).

Codes are never stored in clear: a row keeps an HMAC-SHA256 of (registration, purpose, code) under a key derived
from the mock's secret, and a submitted code is compared in constant time. Issuing a new code supersedes the
previous one. A wrong try is counted even though the call fails: :func:`verify` returns an outcome instead of
raising, so that the caller commits the count and only then raises the error.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mock_provider.config import MockConfig
from mock_provider.core.errors import InvalidInput, Locked, MockError, RateLimited
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.otp import (
    EXPIRED_OTP_ACCEPTED,
    NO_OTP_LOCKOUT,
    NO_RESEND_COOLDOWN,
    RETRY_AFTER_FROM_ANY_CODE,
    SUPERSEDED_OTP_ACCEPTED,
    WRONG_OTP_ACCEPTED,
)
from mock_provider.core.misbehaviour.switches import NONE_ON, SwitchesOn
from mock_provider.core.models import OneTimePassword, TrustRegistration
from mock_provider.core.storage import locking

#: Codes one registration may be sent for one purpose, whatever happened to them.
MAX_CODES = 10


@dataclass(frozen=True)
class OtpPolicy:
    validity: timedelta
    max_attempts: int
    resend_cooldown: timedelta

    @classmethod
    def from_config(cls, config: MockConfig) -> OtpPolicy:
        return cls(
            validity=timedelta(seconds=config.otp_validity_seconds),
            max_attempts=config.otp_max_attempts,
            resend_cooldown=timedelta(seconds=config.otp_resend_cooldown_seconds),
        )


@dataclass(frozen=True)
class IssuedCode:
    id: str
    code: str
    expires_at: datetime
    resend_available_at: datetime


@dataclass(frozen=True)
class Outcome:
    """The result of a verification: ``error`` is None when the code was right (and is now used)."""

    error: MockError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def _digest(key: bytes, registration_id: str, purpose: str, code: str) -> str:
    message = f"{registration_id}|{purpose}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _current(session: Session, registration_id: str, purpose: str) -> OneTimePassword | None:
    """The registration's current code for ``purpose``, read under the registration's row lock: every issue and
    verification of its codes takes turns (the count of codes sent, the cooldown, the attempts all hold)."""
    session.get(TrustRegistration, registration_id, with_for_update=locking(session))
    return session.scalars(
        select(OneTimePassword).where(
            OneTimePassword.registration_id == registration_id,
            OneTimePassword.purpose == purpose,
            OneTimePassword.superseded_at.is_(None),
        )
    ).first()


def issue(
    session: Session,
    *,
    key: bytes,
    policy: OtpPolicy,
    registration_id: str,
    purpose: str,
    phone_number: str,
    now: datetime,
    limit_window: timedelta | None = None,
    max_codes: int = MAX_CODES,
    breakages: SwitchesOn = NONE_ON,
) -> IssuedCode:
    """Make a new code (superseding the previous one), unless the previous one is too recent or too many were sent.

    At most ``max_codes`` codes are sent for one (registration, purpose): ever, or within ``limit_window``.
    """
    previous = _current(session, registration_id, purpose)  # first: it takes the registration's lock
    counted = select(func.count(OneTimePassword.id)).where(
        OneTimePassword.registration_id == registration_id, OneTimePassword.purpose == purpose
    )
    if limit_window is not None:
        counted = counted.where(OneTimePassword.created_at > now - limit_window)
    if (session.scalar(counted) or 0) >= max_codes:
        if limit_window is None:
            raise Locked(
                f"{max_codes} codes were sent for this request: cancel it and start a new one",
                code="otp_code_limit_reached",
            )
        within = [] if RETRY_AFTER_FROM_ANY_CODE in breakages else [OneTimePassword.created_at > now - limit_window]
        oldest = session.scalar(
            select(func.min(OneTimePassword.created_at)).where(
                OneTimePassword.registration_id == registration_id, OneTimePassword.purpose == purpose, *within
            )
        )
        wait = max(1, int(((oldest or now) + limit_window - now).total_seconds()))
        raise Locked(
            f"{max_codes} codes were sent in the last {int(limit_window.total_seconds()) // 60} minutes: "
            f"wait {wait} seconds",
            code="otp_code_limit_reached",
            extra={"retry_after": wait},
            headers={"Retry-After": str(wait)},
        )
    if previous is not None:
        available = previous.created_at + policy.resend_cooldown
        # A code already used leaves nothing to guess: the next operation may have its own code at once.
        if now < available and previous.used_at is None and NO_RESEND_COOLDOWN not in breakages:
            wait = max(1, int((available - now).total_seconds()))
            raise RateLimited(
                f"a code was sent less than {int(policy.resend_cooldown.total_seconds())} seconds ago",
                code="otp_resend_too_soon",
                extra={"retry_after": wait},
                headers={"Retry-After": str(wait)},
            )
        previous.superseded_at = now
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = OneTimePassword(
        id=new_id("otp"),
        registration_id=registration_id,
        purpose=purpose,
        phone_number=phone_number,
        code_hmac=_digest(key, registration_id, purpose, code),
        created_at=now,
        expires_at=now + policy.validity,
        attempts=0,
    )
    session.add(row)
    return IssuedCode(row.id, code, row.expires_at, now + policy.resend_cooldown)


def verify(
    session: Session,
    *,
    key: bytes,
    policy: OtpPolicy,
    registration_id: str,
    purpose: str,
    code: str,
    now: datetime,
    breakages: SwitchesOn = NONE_ON,
) -> Outcome:
    """Check a submitted code. Counts a wrong try, locks at the limit, marks a right code used."""
    row = _current(session, registration_id, purpose)
    if SUPERSEDED_OTP_ACCEPTED in breakages and row is not None:
        # An earlier, superseded code of the same registration that matches ``code``.
        digest = _digest(key, registration_id, purpose, code.strip() if isinstance(code, str) else "")
        earlier = session.scalars(
            select(OneTimePassword).where(
                OneTimePassword.registration_id == registration_id,
                OneTimePassword.purpose == purpose,
                OneTimePassword.code_hmac == digest,
                OneTimePassword.used_at.is_(None),
            )
        ).first()
        row = earlier or row
    if row is None or row.used_at is not None:
        return Outcome(InvalidInput("no code is waiting: ask for one first", code="otp_not_requested"))
    if row.locked_at is not None:
        return Outcome(_locked())
    if now >= row.expires_at and EXPIRED_OTP_ACCEPTED not in breakages:
        return Outcome(InvalidInput("the code has expired: ask for a new one", code="otp_expired"))
    candidate = code.strip() if isinstance(code, str) else ""
    if (
        not hmac.compare_digest(_digest(key, registration_id, purpose, candidate), row.code_hmac)
        and WRONG_OTP_ACCEPTED not in breakages
    ):
        row.attempts += 1
        if row.attempts >= policy.max_attempts and NO_OTP_LOCKOUT not in breakages:
            row.locked_at = now
            return Outcome(_locked())
        remaining = policy.max_attempts - row.attempts
        return Outcome(
            InvalidInput(
                "the code is wrong",
                code="otp_invalid",
                extra={"attempts_remaining": remaining},
                errors=[{"field": "otp", "code": "otp_invalid", "detail": "wrong code"}],
            )
        )
    row.used_at = now
    return Outcome(None)


def _locked() -> Locked:
    return Locked("too many wrong codes: this code is locked, ask for a new one", code="otp_locked")


def key_from_secret(secret: bytes) -> bytes:
    """The HMAC key for codes, derived from (never equal to) the mock's secret."""
    return hmac.new(secret, b"jesign-mock otp v1", hashlib.sha256).digest()
