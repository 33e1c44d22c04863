"""The rule-breakage switches of the registration's limits and lists (see :mod:`mock_provider.core.breakages`).

Each switch here moves one limit of the registration by a little, or drops one value of one of its lists, as a
provider does that a suite trying each rule on one side only (or on a sample of its list) lets through: an SMS code
that expires after 10 minutes where 30 are announced, an age check off by one day, a 47-hour error-report window,
the e-mail left out of the read-only profile fields, no decision e-mail on a rejection. Each ``check`` names the
conformance check that must fail while the switch is on, and that the suite before these checks missed.

Declared here rather than beside each guard in :mod:`mock_provider.core.registration`, which keeps one-line guards:
the helpers below answer the value a rule uses (a limit, a list, a reference date), moved when its switch is on and
unchanged otherwise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from mock_provider.core.breakages import Breakages, declare
from mock_provider.core.documents import DocumentType, mrz_check_digit
from mock_provider.core.errors import MockError
from mock_provider.core.events import EventJson
from mock_provider.core.models import Delegation
from mock_provider.core.otp import MAX_CODES, IssuedCode, OtpPolicy

# -- step 4: the SMS code ------------------------------------------------------------------------------------------

OTP_VALIDITY_SHORT = declare(
    "otp_validity_short",
    rule="An SMS code stays valid for the 30 minutes announced: it is accepted until they have passed.",
    check="registration.otp.valid_until_expiry",
)
OTP_LOCKS_ONE_EARLY = declare(
    "otp_locks_one_early",
    rule="An SMS code locks after its 5th wrong try, not before: after 4 wrong tries the right code signs.",
    check="registration.otp.attempts_allowed",
)
RESEND_COOLDOWN_SHORT = declare(
    "resend_cooldown_short",
    rule="No new SMS code is sent before the 60-second resend cooldown has passed (here: after 10 seconds).",
    check="registration.otp.resend_cooldown_limits",
)
RESEND_COOLDOWN_LONG = declare(
    "resend_cooldown_long",
    rule="A new SMS code is sent as soon as the 60-second resend cooldown has passed (here: after 5 minutes).",
    check="registration.otp.resend_cooldown_limits",
)
OTP_CODE_CAP_MISSING = declare(
    "otp_code_cap_missing",
    rule="At most 10 SMS codes are sent for one certificate request: the 11th is refused.",
    check="registration.otp.code_cap",
)
OTP_CODE_CAP_EARLY = declare(
    "otp_code_cap_early",
    rule="The 10th SMS code of a certificate request is sent: the cap refuses the 11th, not the 10th.",
    check="registration.otp.code_cap",
)

PHONE_LAST_DIGITS_WRONG = declare(
    "phone_last_digits_wrong",
    rule="Step 4 shows the last four digits of the mobile the SMS code went to, not four others.",
    check="registration.otp.sent",
)
PHONE_MASK_SHOWS_FIVE = declare(
    "phone_mask_shows_five",
    rule="Step 4 masks the mobile but for its last four digits: not one more.",
    check="registration.otp.sent",
)
SMS_VALIDITY_MISSTATED = declare(
    "sms_validity_misstated",
    rule="The SMS that carries the code announces the validity the provider applies (30 minutes), not another.",
    check="registration.otp.sms_text",
)

ATTEMPTS_REMAINING_MISCOUNTED = declare(
    "attempts_remaining_miscounted",
    rule="A wrong SMS code's refusal says how many tries are left: the limit less the wrong tries so far.",
    check="registration.otp.attempts_allowed",
)

OTP_CLOCK_BEHIND = declare(
    "otp_clock_behind",
    rule="An SMS code expires at the expires_at announced, and a new one can be sent from the resend_available_at "
    "announced (here: both one second late).",
    check="registration.otp.announced_instants",
)

SHORT_OTP_VALIDITY = timedelta(minutes=10)
SHORT_RESEND_COOLDOWN = timedelta(seconds=10)
LONG_RESEND_COOLDOWN = timedelta(minutes=5)


def otp_policy(policy: OtpPolicy, breakages: Breakages) -> OtpPolicy:
    """The SMS-code policy the registration applies: shorter validity, one try fewer, another cooldown."""
    active = breakages.active()
    changes: dict[str, Any] = {}
    if OTP_VALIDITY_SHORT.id in active:
        changes["validity"] = SHORT_OTP_VALIDITY
    if OTP_LOCKS_ONE_EARLY.id in active:
        changes["max_attempts"] = policy.max_attempts - 1
    if RESEND_COOLDOWN_SHORT.id in active:
        changes["resend_cooldown"] = SHORT_RESEND_COOLDOWN
    if RESEND_COOLDOWN_LONG.id in active:
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

AGE_EVE_ACCEPTED = declare(
    "age_eve_accepted",
    rule="Step 2 refuses an applicant on the eve of their 18th birthday (the age check off by one day).",
    check="registration.identity.adults_only",
)
AGE_BIRTHDAY_REFUSED = declare(
    "age_birthday_refused",
    rule="Step 2 accepts an applicant on their 18th birthday (the age check off by one day the other way).",
    check="registration.identity.adults_only",
)


FUTURE_BIRTH_DATE_UNDER_AGE = declare(
    "future_birth_date_under_age",
    rule="Step 2 refuses a birth date after today as invalid_birth_date (here: left to the age check).",
    check="registration.identity.future_birth_date",
)
ANCIENT_BIRTH_DATE_ACCEPTED = declare(
    "ancient_birth_date_accepted",
    rule="Step 2 refuses a birth date before 1 January 1900 (a typing error, not an identity).",
    check="registration.identity.earliest_birth_date",
)


def earliest_birth_date(earliest: date, breakages: Breakages) -> date:
    """The earliest birth date accepted: none with the switch on."""
    return date.min if ANCIENT_BIRTH_DATE_ACCEPTED in breakages else earliest


def age_reference(today: date, breakages: Breakages) -> date:
    """The day the applicant's age is computed for: today, or a day off."""
    if AGE_EVE_ACCEPTED in breakages:
        return today + timedelta(days=1)
    return today - timedelta(days=1) if AGE_BIRTHDAY_REFUSED in breakages else today


ANY_REDIRECT_URL_ACCEPTED = declare(
    "any_redirect_url_accepted",
    rule="The operator's hand-off refuses a redirect_url that is not http(s) (such as javascript:), with 400 "
    "invalid_registration.",
    check="registration.handoff.redirect_url",
)


def redirect_url_as_checked(url: str | None, breakages: Breakages) -> str | None:
    """The redirect_url as judged: none at all (so any is taken) with the switch on."""
    return None if ANY_REDIRECT_URL_ACCEPTED in breakages else url


# -- step 3: the identity document ---------------------------------------------------------------------------------

DOCUMENT_AT_LIMIT_REFUSED = declare(
    "document_at_limit_refused",
    rule="Step 3 accepts a file of exactly the size limit; only a larger one is refused.",
    check="registration.documents.size_limit",
)
RESIDENCE_PERMIT_BACK_OPTIONAL = declare(
    "residence_permit_back_optional",
    rule="Step 3 refuses a residence permit without its back side, as it does an identity card.",
    check="registration.documents.every_type",
)
MRZ_CHARSET_UNCHECKED = declare(
    "mrz_charset_unchecked",
    rule="Step 3 refuses a machine-readable zone with a character other than A-Z, 0-9 and < (ICAO 9303-3 §4.3), "
    "here read as a filler <.",
    check="registration.documents.mrz_charset",
)
ICAO_SPECIMEN_ACCEPTED = declare(
    "icao_specimen_accepted",
    rule="Step 3 accepts ISO 3166-1 countries only: not the ICAO specimen state UTO (Utopia).",
    check="registration.documents.document_type",
)
EMPTY_PERSONAL_NUMBER_FILLER_REFUSED = declare(
    "empty_personal_number_filler_refused",
    rule="Step 3 accepts a passport MRZ (TD3) whose unused personal number has a filler < as its check digit "
    "(ICAO 9303-4 §4.2.2), here read as a wrong digit.",
    check="registration.documents.empty_personal_number",
)
MRZ_ISSUER_UNCHECKED = declare(
    "mrz_issuer_unchecked",
    rule="Step 3 refuses a document whose MRZ issuing state is not the country of its type (here: read as that "
    "country).",
    check="registration.documents.mrz_issuing_state",
)
TRUNCATED_PDF_ACCEPTED = declare(
    "truncated_pdf_accepted",
    rule="Step 3 refuses a PDF that does not end with %%EOF (within its last 1024 bytes, as readers look for it), "
    "such as one cut in an incremental update (here: judged up to its last %%EOF, wherever it is).",
    check="registration.documents.truncated_pdf",
)
MRZ_NAME_DIGITS_ACCEPTED = declare(
    "mrz_name_digits_accepted",
    rule="Step 3 refuses an MRZ whose name field holds a digit (ICAO 9303-3 §4.6: letters and fillers only), here "
    "read as a filler.",
    check="registration.documents.mrz_charset",
)
MRZ_COMPOSITE_UNCHECKED = declare(
    "mrz_composite_unchecked",
    rule="Step 3 refuses a machine-readable zone whose composite check digit is wrong, as it does the others.",
    check="registration.documents.mrz_check_digits",
)

SMALL_IMAGE_ACCEPTED = declare(
    "small_image_accepted",
    rule="Step 3 refuses a picture under 200 x 120 pixels (either way): nothing on a card is legible below that.",
    check="registration.documents.smallest_image",
)
CARD_SCAN_REFUSED = declare(
    "card_scan_refused",
    rule="Step 3 accepts a PNG of an identity card at 600 dpi (2022 x 1276 pixels), far within 25 megapixels "
    "(here: refused as too large to decode, over 1 MiB).",
    check="registration.documents.card_at_600_dpi",
)
PASSPORT_PERSONAL_NUMBER_UNCHECKED = declare(
    "passport_personal_number_unchecked",
    rule="Step 3 refuses a passport's machine-readable zone (TD3) whose personal-number check digit is wrong.",
    check="registration.documents.passport_mrz",
)
LONG_DOCUMENT_NUMBER_REFUSED = declare(
    "long_document_number_refused",
    rule="Step 3 reads a TD1 document number of more than 9 characters, continued in the optional data (ICAO 9303-5).",
    check="registration.documents.long_document_number",
)
EXPIRED_DOCUMENT_ACCEPTED = declare(
    "expired_document_accepted",
    rule="Step 3 refuses a document the day after its expiry date (here: one day later).",
    check="registration.documents.mrz_expiry",
)
MRZ_NUMBER_UNMATCHED = declare(
    "mrz_number_unmatched",
    rule="Step 3 refuses a typed document number that differs from the one in the machine-readable zone.",
    check="registration.documents.mrz_matches_identity",
)

MRZ_DOCUMENT_CODE_UNCHECKED = declare(
    "mrz_document_code_unchecked",
    rule="Step 3 refuses an MRZ whose document code does not fit the type chosen (ICAO 9303: P for a passport; I, "
    "but not IR, for an identity card; A, C or I for a residence permit), here read as the type's own code.",
    check="registration.documents.mrz_document_code",
)
MRZ_OPTIONAL_DATA_READ_AS_NUMBER = declare(
    "mrz_optional_data_read_as_number",
    rule="Step 3 reads a TD1 document number of 9 characters as such when optional data follows its check digit "
    "(ICAO 9303-5 §4.2.2: only a filler in the check digit's place says the number goes on), here as a longer "
    "number going on in the optional data.",
    check="registration.documents.long_document_number",
)
MRZ_BIRTH_YEAR_IN_1900S = declare(
    "mrz_birth_year_in_1900s",
    rule="Step 3 reads an MRZ's two-digit birth year as the latest year not after today (2003 for 03), here as a "
    "year of the 1900s (the applicant's birth date compared as if born in the 1900s, which refuses the same MRZs).",
    check="registration.documents.mrz_birth_century",
)


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

REVIEW_NEVER_SETTLED = declare(
    "review_never_settled",
    rule="An automatic review due after the signature is decided once its time has come, whether or not a request "
    "came in meanwhile (here: only a review due at the signature itself is ever decided).",
    check="registration.review.decided_when_due",
)
REVIEW_LATER_THAN_ANNOUNCED = declare(
    "review_later_than_announced",
    rule="The identity review decides by the time it announces (review_due_at), not 24 hours after it.",
    check="registration.review.within_24_hours",
)
NO_REJECTION_EMAIL = declare(
    "no_rejection_email",
    rule="The applicant is e-mailed when the review rejects the request, as when it approves it.",
    check="registration.review.decision_email",
)
APPROVAL_EMAIL_SUBJECT_PENDING = declare(
    "approval_email_subject_pending",
    rule="The e-mail sent on approval says in its subject that the certificate is available.",
    check="registration.review.decision_email",
)
ERROR_REPORT_WINDOW_SHORT = declare(
    "error_report_window_short",
    rule="An error report is accepted until the 48 hours after issuance have passed (here: 47 hours).",
    check="registration.review.error_report_window",
)
PRESUMED_ACCEPTED_EARLY = declare(
    "presumed_accepted_early",
    rule="A new certificate awaits its holder's acceptance until the 48 hours have passed (here: 24 hours).",
    check="registration.review.presumed_acceptance",
)

SHORT_ERROR_REPORT_HOURS_LESS = 1
EARLY_ACCEPTANCE = timedelta(hours=24)
LATE_REVIEW = timedelta(hours=24)


MATCH_ACCOUNT_STALE = declare(
    "match_account_stale",
    rule="matchAccount answers the status of the certificate as it is now: revoked once revoked.",
    check="registration.review.match_account",
)


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

PROFILE_EMAIL_EDITABLE = declare(
    "profile_email_editable",
    rule="The e-mail address comes from the SSO and is read-only at step 1, as the names and firms are.",
    check="registration.profile.read_only_fields",
)
TERMS_BOXES_FIRST_FIRM_ONLY = declare(
    "terms_boxes_first_firm_only",
    rule="Step 6 needs both boxes for every firm named, not only for the first one.",
    check="registration.terms.both_boxes",
)
TERMS_SHARED_IN_FIRM = declare(
    "terms_shared_in_firm",
    rule="Step 6 records each person's acceptance of a firm's terms: a colleague's acceptance of the same firm is "
    "neither taken for theirs nor overwritten by it (here: the firm's first acceptance is updated instead).",
    check="registration.terms.per_person",
)
SERVICE_SHUT_FOR_ONE_FIRM = declare(
    "service_shut_for_one_firm",
    rule="Step 6 opens the service to the firm whose terms its accountant accepted, whether or not that accountant "
    "belongs to other firms too (here: shut for a person of a single firm).",
    check="registration.terms.per_person",
)
SEAL_DELEGATION_UNLISTED = declare(
    "seal_delegation_unlisted",
    rule="Every delegation granted is listed with its kind, seal as well as sign and prepare.",
    check="registration.delegations.grant_and_revoke",
)
ANY_DELEGATION_KIND = declare(
    "any_delegation_kind",
    rule="A delegation is sign, seal or prepare: any other kind is refused.",
    check="registration.delegations.unknown_kind",
)


PLATFORM_STATE_STALE = declare(
    "platform_state_stale",
    rule="The platform's GET /registration follows the trust provider's steps: identity_submitted once step 2 is done.",
    check="registration.handoff.platform_follows",
)


ISSUE_UNTOLD_TO_PLATFORM = declare(
    "issue_untold_to_platform",
    rule="Once the certificate is issued, the platform's GET /registration says certificate_issued with accept_terms "
    "next (here: still profile_confirmed, a new request next).",
    check="registration.terms.per_firm",
)


def platform_state(state: str, breakages: Breakages) -> str:
    """The platform state told: with a switch on, still profile_confirmed during steps 2 and 3, or once issued."""
    stale = PLATFORM_STATE_STALE in breakages and state in ("identity_submitted", "documents_submitted")
    untold = ISSUE_UNTOLD_TO_PLATFORM in breakages and state == "certificate_issued"
    return "profile_confirmed" if stale or untold else state


READ_ONLY_LATER_VALUE_ACCEPTED = declare(
    "read_only_later_value_accepted",
    rule="Step 1 refuses any change to a field the SSO gives, here only one sorting before the SSO's value (fields "
    "compared by order, not equality).",
    check="registration.profile.read_only_fields",
)
TERMS_NEWER_VERSION_ACCEPTED = declare(
    "terms_newer_version_accepted",
    rule="Step 6 refuses any version of the texts but the current one, here only an older one (versions compared "
    "by order, not equality).",
    check="registration.terms.current_versions",
)

FOREIGN_ID_CARD_ACCEPTED = declare(
    "foreign_id_card_accepted",
    rule="Step 3 takes identity cards of European states only (the EU, the EEA, Switzerland), and residence permits "
    "and driving licences of France only; here of any ISO 3166-1 country, read as French.",
    check="registration.documents.document_type",
)


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

CANCELLATION_NOT_LOGGED = declare(
    "cancellation_not_logged",
    rule="The cancellation of a certificate request is written to its event log, as every transition is.",
    check="registration.events.every_transition",
)
CANCELLED_REQUEST_RESUMABLE = declare(
    "cancelled_request_resumable",
    rule="A cancelled certificate request takes no further step: the identity given to it is refused (409).",
    check="registration.transitions.trust_matrix",
)
NO_REQUEST_AFTER_REVOCATION = declare(
    "no_request_after_revocation",
    rule="Once the certificate is revoked, the platform opens a new certificate request for the person.",
    check="registration.transitions.new_request_after_revocation",
)
SECOND_CERTIFICATE_REQUEST = declare(
    "second_certificate_request",
    rule="While a person's certificate is issued and valid, the platform opens no second certificate request.",
    check="registration.transitions.platform_matrix",
)


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
