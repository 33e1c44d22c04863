"""How the switches of the registration's limits and lists bend them (declared in
:mod:`mock_provider.core.misbehaviour.areas.registration_limits`; see :mod:`mock_provider.core.misbehaviour.switch`).

Each of those switches moves one limit of the registration by a little, or drops one value of one of its lists, as a
provider does that a suite trying each rule on one side only (or on a sample of its list) lets through: an SMS code
that expires after 10 minutes where 30 are announced, an age check off by one day, a 47-hour error-report window,
the e-mail left out of the read-only profile fields, no decision e-mail on a rejection. Each ``check`` names the
conformance check that must fail while the switch is on, and that the suite before these checks missed.

The helpers here keep the guards in :mod:`mock_provider.core.registration` to one line: each answers the value a
rule uses (a limit, a list, a reference date), moved when its switch is on and unchanged otherwise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from mock_provider.core.documents import DocumentType, mrz_check_digit
from mock_provider.core.errors import MockError
from mock_provider.core.events import EventJson
from mock_provider.core.misbehaviour.areas.registration_limits import (
    AGE_BIRTHDAY_REFUSED,
    AGE_EVE_ACCEPTED,
    ANCIENT_BIRTH_DATE_ACCEPTED,
    ANY_DELEGATION_KIND,
    ANY_REDIRECT_URL_ACCEPTED,
    APPROVAL_EMAIL_SUBJECT_PENDING,
    ATTEMPTS_REMAINING_MISCOUNTED,
    CANCELLATION_NOT_LOGGED,
    CANCELLED_REQUEST_RESUMABLE,
    CARD_SCAN_REFUSED,
    DOCUMENT_AT_LIMIT_REFUSED,
    EMPTY_PERSONAL_NUMBER_FILLER_REFUSED,
    ERROR_REPORT_WINDOW_SHORT,
    EXPIRED_DOCUMENT_ACCEPTED,
    FOREIGN_ID_CARD_ACCEPTED,
    FUTURE_BIRTH_DATE_UNDER_AGE,
    ICAO_SPECIMEN_ACCEPTED,
    ISSUE_UNTOLD_TO_PLATFORM,
    LONG_DOCUMENT_NUMBER_REFUSED,
    MATCH_ACCOUNT_STALE,
    MRZ_BIRTH_YEAR_IN_1900S,
    MRZ_CHARSET_UNCHECKED,
    MRZ_COMPOSITE_UNCHECKED,
    MRZ_DOCUMENT_CODE_UNCHECKED,
    MRZ_ISSUER_UNCHECKED,
    MRZ_NAME_DIGITS_ACCEPTED,
    MRZ_OPTIONAL_DATA_READ_AS_NUMBER,
    NO_REQUEST_AFTER_REVOCATION,
    OTP_CLOCK_BEHIND,
    OTP_CODE_CAP_EARLY,
    OTP_CODE_CAP_MISSING,
    OTP_LOCKS_ONE_EARLY,
    OTP_VALIDITY_SHORT,
    PASSPORT_PERSONAL_NUMBER_UNCHECKED,
    PHONE_LAST_DIGITS_WRONG,
    PHONE_MASK_SHOWS_FIVE,
    PLATFORM_STATE_STALE,
    PRESUMED_ACCEPTED_EARLY,
    PROFILE_EMAIL_EDITABLE,
    READ_ONLY_LATER_VALUE_ACCEPTED,
    RESEND_COOLDOWN_LONG,
    RESEND_COOLDOWN_SHORT,
    RESIDENCE_PERMIT_BACK_OPTIONAL,
    REVIEW_LATER_THAN_ANNOUNCED,
    SEAL_DELEGATION_UNLISTED,
    SECOND_CERTIFICATE_REQUEST,
    SMS_VALIDITY_MISSTATED,
    TERMS_BOXES_FIRST_FIRM_ONLY,
    TERMS_NEWER_VERSION_ACCEPTED,
    TRUNCATED_PDF_ACCEPTED,
)
from mock_provider.core.misbehaviour.switches import Breakages
from mock_provider.core.models import Delegation
from mock_provider.core.otp import MAX_CODES, IssuedCode, OtpPolicy

# -- step 4: the SMS code ------------------------------------------------------------------------------------------


SHORT_OTP_VALIDITY = timedelta(minutes=10)
SHORT_RESEND_COOLDOWN = timedelta(seconds=10)
LONG_RESEND_COOLDOWN = timedelta(minutes=5)


def otp_policy(policy: OtpPolicy, breakages: Breakages) -> OtpPolicy:
    """The SMS-code policy the registration applies: shorter validity, one try fewer, another cooldown."""
    broken = breakages.snapshot()
    changes: dict[str, Any] = {}
    if OTP_VALIDITY_SHORT in broken:
        changes["validity"] = SHORT_OTP_VALIDITY
    if OTP_LOCKS_ONE_EARLY in broken:
        changes["max_attempts"] = policy.max_attempts - 1
    if RESEND_COOLDOWN_SHORT in broken:
        changes["resend_cooldown"] = SHORT_RESEND_COOLDOWN
    if RESEND_COOLDOWN_LONG in broken:
        changes["resend_cooldown"] = LONG_RESEND_COOLDOWN
    return dataclasses.replace(policy, **changes) if changes else policy


def otp_clock(now: datetime, breakages: Breakages) -> datetime:
    """The time the SMS codes are issued and checked at: one second behind with the switch on."""
    return now - timedelta(seconds=1) if OTP_CLOCK_BEHIND in breakages else now


def otp_refusal(error: MockError, breakages: Breakages) -> MockError:
    """A refused SMS code's error as told: with the switch on, one try more left than there is."""
    if ATTEMPTS_REMAINING_MISCOUNTED in breakages and "attempts_remaining" in error.extra:
        error.extra["attempts_remaining"] += 1
    return error


def last_digits_shown(last_digits: str, phone_number: str, breakages: Breakages) -> str:
    """The digits shown as the mobile's last four: with the switch on, the four before them."""
    return phone_number[-5:-1] if PHONE_LAST_DIGITS_WRONG in breakages else last_digits


def masked_shown(masked: str, phone_number: str, breakages: Breakages) -> str:
    """The masked mobile as shown: with the switch on, its last five digits visible."""
    return masked[:-5] + phone_number[-5:] if PHONE_MASK_SHOWS_FIVE in breakages else masked


def sms_minutes(minutes: int, breakages: Breakages) -> int:
    """The validity the SMS announces, in minutes: one less with the switch on."""
    return minutes - 1 if SMS_VALIDITY_MISSTATED in breakages else minutes


def announced_expiry(issued: IssuedCode, policy: OtpPolicy, breakages: Breakages) -> str:
    """When the code is said to expire (ISO 8601): with a code shortened by a switch, still the full validity."""
    if OTP_VALIDITY_SHORT in breakages:
        return (issued.expires_at - SHORT_OTP_VALIDITY + policy.validity).isoformat()
    return issued.expires_at.isoformat()


def max_codes(breakages: Breakages) -> int:
    """How many SMS codes one request may be sent."""
    if OTP_CODE_CAP_MISSING in breakages:
        return 1_000_000
    return MAX_CODES - 1 if OTP_CODE_CAP_EARLY in breakages else MAX_CODES


# -- step 2: the identity ------------------------------------------------------------------------------------------


def earliest_birth_date(earliest: date, breakages: Breakages) -> date:
    """The earliest birth date accepted: none with the switch on."""
    return date.min if ANCIENT_BIRTH_DATE_ACCEPTED in breakages else earliest


def age_reference(today: date, breakages: Breakages) -> date:
    """The day the applicant's age is computed for: today, or a day off."""
    if AGE_EVE_ACCEPTED in breakages:
        return today + timedelta(days=1)
    return today - timedelta(days=1) if AGE_BIRTHDAY_REFUSED in breakages else today


def redirect_url_as_checked(url: str | None, breakages: Breakages) -> str | None:
    """The redirect_url as judged: none at all (so any is taken) with the switch on."""
    return None if ANY_REDIRECT_URL_ACCEPTED in breakages else url


# -- step 3: the identity document ---------------------------------------------------------------------------------


def document_limit(max_bytes: int, breakages: Breakages) -> int:
    """The largest side accepted, in bytes."""
    return max_bytes - 1 if DOCUMENT_AT_LIMIT_REFUSED in breakages else max_bytes


def document_kind(kind: DocumentType, back: bytes | None, breakages: Breakages) -> DocumentType:
    """The document type as judged: a residence permit sent without its back passes for a one-sided document."""
    if kind.kind == "residence_permit" and not back and RESIDENCE_PERMIT_BACK_OPTIONAL in breakages:
        return dataclasses.replace(kind, needs_back=False)
    return kind


def decode_limits(breakages: Breakages) -> dict[str, int]:
    """The decode budget the sides are judged within, when a switch sets one (else the default)."""
    return {"max_decode_bytes": 1024 * 1024} if CARD_SCAN_REFUSED in breakages else {}


def icao_specimen_allowed(breakages: Breakages) -> bool:
    """Whether a document type of the ICAO specimen state ``UTO`` is accepted (only with the switch on)."""
    return ICAO_SPECIMEN_ACCEPTED in breakages


def mrz_charset_as_checked(mrz: str | None, breakages: Breakages) -> str | None:
    """The MRZ as judged: every character other than A-Z, 0-9, ``<`` and blanks read as ``<`` with the switch on."""
    if not mrz or MRZ_CHARSET_UNCHECKED not in breakages:
        return mrz
    return re.sub(r"[^A-Za-z0-9<\s]", "<", mrz)


def personal_filler_as_checked(mrz: str | None, breakages: Breakages) -> str | None:
    """The MRZ as judged: a TD3's filler check digit of an unused personal number read as a wrong ``1``."""
    if not mrz or EMPTY_PERSONAL_NUMBER_FILLER_REFUSED not in breakages:
        return mrz
    lines = _typed_lines(mrz)
    if len(lines) != 2 or any(len(line) != 44 for line in lines) or lines[1][28:43] != "<" * 15:
        return mrz
    return "\n".join((lines[0], lines[1][:42] + "1" + lines[1][43]))


def _typed_lines(mrz: str) -> list[str]:
    """An MRZ as typed, cut into its non-blank lines, blanks dropped, in upper case (as the MRZ is read)."""
    return [line.replace(" ", "").upper() for line in mrz.splitlines() if line.strip()]


def mrz_issuer_as_checked(mrz: str | None, country: str, breakages: Breakages) -> str | None:
    """The MRZ as judged: its issuing state (line 1, columns 3 to 5) replaced by ``country`` with the switch on."""
    if not mrz or MRZ_ISSUER_UNCHECKED not in breakages:
        return mrz
    lines = _typed_lines(mrz)
    if not lines or len(lines[0]) < 5:
        return mrz
    return "\n".join((lines[0][:2] + country + lines[0][5:], *lines[1:]))


#: The document code :func:`mrz_code_as_checked` writes for each kind with its switch on.
_OWN_DOCUMENT_CODE = {"passport": "P<", "id_card": "ID", "residence_permit": "IR", "driving_licence": "D1"}


def mrz_code_as_checked(mrz: str | None, kind: DocumentType, breakages: Breakages) -> str | None:
    """The MRZ as judged: its document code (line 1, columns 1 and 2) replaced by the kind's own with the switch on."""
    if not mrz or MRZ_DOCUMENT_CODE_UNCHECKED not in breakages:
        return mrz
    lines = _typed_lines(mrz)
    if not lines or len(lines[0]) < 2:
        return mrz
    return "\n".join((_OWN_DOCUMENT_CODE[kind.kind] + lines[0][2:], *lines[1:]))


def mrz_optional_data_as_checked(mrz: str | None, breakages: Breakages) -> str | None:
    """The MRZ as judged: with the switch on, a TD1 whose optional data 1 is not empty has the check digit of its
    document number read as a filler, so that the number seems to go on in the optional data."""
    if not mrz or MRZ_OPTIONAL_DATA_READ_AS_NUMBER not in breakages:
        return mrz
    lines = _typed_lines(mrz)
    if len(lines) != 3 or len(lines[0]) != 30 or lines[0][15] == "<":
        return mrz
    return "\n".join((lines[0][:14] + "<" + lines[0][15:], *lines[1:]))


def mrz_birth_date(birth_date: date, breakages: Breakages) -> date:
    """The birth date an MRZ is compared with: the applicant's, or the same day of the 1900s with the switch on."""
    if MRZ_BIRTH_YEAR_IN_1900S not in breakages:
        return birth_date
    try:
        return birth_date.replace(year=1900 + birth_date.year % 100)
    except ValueError:  # 29 February of a year 1900 lacks
        return birth_date


def latest_birth_date(today: date, breakages: Breakages) -> date:
    """The latest birth date step 2 accepts as a date: today, or none (the age check alone) with the switch on."""
    return date.max if FUTURE_BIRTH_DATE_UNDER_AGE in breakages else today


def side_as_checked(data: bytes | None, breakages: Breakages) -> bytes | None:
    """A side as judged: a PDF cut after its last ``%%EOF``, wherever that is, with the switch on."""
    if not data or TRUNCATED_PDF_ACCEPTED not in breakages or not data.startswith(b"%PDF-") or b"%%EOF" not in data:
        return data
    return data[: data.rindex(b"%%EOF") + 5]


def name_digits_as_checked(mrz: str | None, breakages: Breakages) -> str | None:
    """The MRZ as judged: the digits of a TD1's name line (line 3) read as fillers with the switch on."""
    if not mrz or MRZ_NAME_DIGITS_ACCEPTED not in breakages:
        return mrz
    lines = _typed_lines(mrz)
    if len(lines) != 3:
        return mrz
    return "\n".join((lines[0], lines[1], re.sub(r"[0-9]", "<", lines[2])))


def mrz_as_checked(mrz: str | None, breakages: Breakages) -> str | None:
    """The MRZ as judged: a TD1 whose composite check digit is put right first, as if it were never read."""
    if not mrz or MRZ_COMPOSITE_UNCHECKED not in breakages:
        return mrz
    lines = _typed_lines(mrz)
    if len(lines) != 3 or any(len(line) != 30 for line in lines):
        return mrz
    first, second = lines[0], lines[1]
    composite = mrz_check_digit(first[5:30] + second[0:7] + second[8:15] + second[18:29])
    return "\n".join((first, second[:29] + composite, lines[2]))


def passport_mrz_as_checked(mrz: str | None, breakages: Breakages) -> str | None:
    """The MRZ as judged: a TD3 whose personal-number check digit (and so the composite) is put right first."""
    if not mrz or PASSPORT_PERSONAL_NUMBER_UNCHECKED not in breakages:
        return mrz
    lines = _typed_lines(mrz)
    if len(lines) != 2 or any(len(line) != 44 for line in lines):
        return mrz
    second = lines[1][:42] + mrz_check_digit(lines[1][28:42])
    return "\n".join((lines[0], second + mrz_check_digit(second[0:10] + second[13:20] + second[21:43])))


def long_number_refused(number: str, breakages: Breakages) -> bool:
    """Whether a document number read from the MRZ is refused for being longer than its 9-character field."""
    return len(number) > 9 and LONG_DOCUMENT_NUMBER_REFUSED in breakages


def expiry_reference(today: date, breakages: Breakages) -> date:
    """The day a document must not have expired before: today, or yesterday with the switch on."""
    return today - timedelta(days=1) if EXPIRED_DOCUMENT_ACCEPTED in breakages else today


# -- step 5: the review and the certificate ------------------------------------------------------------------------


SHORT_ERROR_REPORT_HOURS_LESS = 1
EARLY_ACCEPTANCE = timedelta(hours=24)
LATE_REVIEW = timedelta(hours=24)


def matched_status(status: str, breakages: Breakages) -> str:
    """The status matchAccount answers: a revoked certificate still 'valid' with the switch on."""
    return "valid" if status == "revoked" and MATCH_ACCOUNT_STALE in breakages else status


def reviewed_until(now: datetime, breakages: Breakages) -> datetime:
    """The automatic reviews due at or before this instant are decided now."""
    return now - LATE_REVIEW if REVIEW_LATER_THAN_ANNOUNCED in breakages else now


def approval_subject(subject: str, breakages: Breakages) -> str:
    """The approval e-mail's subject, or the one of the e-mail sent when the request went to review."""
    return "Demande en cours de traitement" if APPROVAL_EMAIL_SUBJECT_PENDING in breakages else subject


def error_report_hours(hours: int, breakages: Breakages) -> int:
    """The hours after issuance during which an error report is taken."""
    return hours - SHORT_ERROR_REPORT_HOURS_LESS if ERROR_REPORT_WINDOW_SHORT in breakages else hours


def presumed_accepted_from(window_end: datetime, breakages: Breakages) -> datetime:
    """From when a certificate reads ``presumed_accepted``."""
    return window_end - EARLY_ACCEPTANCE if PRESUMED_ACCEPTED_EARLY in breakages else window_end


# -- steps 1 and 6, delegations ------------------------------------------------------------------------------------


def platform_state(state: str, breakages: Breakages) -> str:
    """The platform state told: with a switch on, still profile_confirmed during steps 2 and 3, or once issued."""
    stale = PLATFORM_STATE_STALE in breakages and state in ("identity_submitted", "documents_submitted")
    untold = ISSUE_UNTOLD_TO_PLATFORM in breakages and state == "certificate_issued"
    return "profile_confirmed" if stale or untold else state


def document_type_as_checked(text: str, breakages: Breakages) -> str:
    """The document type as judged: an identity card, residence permit or driving licence of another country read
    as French, with the switch on."""
    kind, _, country = text.strip().partition(":")
    kinds = ("id_card", "residence_permit", "driving_licence")
    if FOREIGN_ID_CARD_ACCEPTED in breakages and kind.lower() in kinds and country:
        return f"{kind}:fra"
    return text


def later_value_tolerated(submitted: Any, value: str, breakages: Breakages) -> bool:
    """Whether a changed read-only field passes: one sorting after the SSO's value, with the switch on."""
    return READ_ONLY_LATER_VALUE_ACCEPTED in breakages and isinstance(submitted, str) and submitted > value


def newer_terms_tolerated(given: tuple[Any, Any], current: tuple[str, str], breakages: Breakages) -> bool:
    """Whether versions other than the current ones pass: none older, with the switch on."""
    if TERMS_NEWER_VERSION_ACCEPTED not in breakages or not all(isinstance(v, str) for v in given):
        return False
    return all(version >= now for version, now in zip(given, current, strict=True))


def read_only_profile(fields: dict[str, str], breakages: Breakages) -> dict[str, str]:
    """The SSO's fields that step 1 refuses to change, with their values."""
    if PROFILE_EMAIL_EDITABLE in breakages:
        return {field: value for field, value in fields.items() if field != "email"}
    return fields


def terms_boxes(boxes: tuple[str, ...], index: int, breakages: Breakages) -> tuple[str, ...]:
    """The boxes required of the ``index``-th firm of a step-6 acceptance."""
    return () if index > 0 and TERMS_BOXES_FIRST_FIRM_ONLY in breakages else boxes


def known_delegation_kind(kind: object, kinds: Iterable[str], breakages: Breakages) -> bool:
    """Whether ``kind`` is a delegation the accountant may grant."""
    if ANY_DELEGATION_KIND in breakages and isinstance(kind, str) and kind:
        return True
    return kind in tuple(kinds)


def listed_delegations(rows: Sequence[Delegation], breakages: Breakages) -> Sequence[Delegation]:
    """A firm's delegations as its list shows them: without the seal ones when the switch is on."""
    if SEAL_DELEGATION_UNLISTED in breakages:
        return [row for row in rows if row.kind != "seal"]
    return rows


# -- the state machine and its log ---------------------------------------------------------------------------------


def logged(events: list[EventJson], breakages: Breakages) -> list[EventJson]:
    """A registration's event log as shown: without its cancellation when the switch is on."""
    if CANCELLATION_NOT_LOGGED in breakages:
        return [e for e in events if e.get("to_state") != "cancelled"]
    return events


def renewable(breakages: Breakages) -> bool:
    """Whether the platform opens a new certificate request once the certificate is revoked or expired."""
    return NO_REQUEST_AFTER_REVOCATION not in breakages


def resumable_states(breakages: Breakages) -> tuple[str, ...]:
    """States besides ``created`` from which the identity is taken."""
    return ("cancelled",) if CANCELLED_REQUEST_RESUMABLE in breakages else ()


def reopenable_states(breakages: Breakages) -> tuple[str, ...]:
    """States of the current request besides ``rejected`` and ``cancelled`` that let the platform open another."""
    return ("certificate_issued",) if SECOND_CERTIFICATE_REQUEST in breakages else ()
