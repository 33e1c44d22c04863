"""The rule switches of the registration's limits and lists: each moves one limit by a little, or drops one
value of one list (the helpers of :mod:`mock_provider.core.registration_breakages` apply them).

Declarations only, listed by :mod:`mock_provider.core.misbehaviour.catalogue`; each section says where its switches
are honoured, with one guard style: ``if SWITCH in breakages:``.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.switch import declare

# -- step 4: the SMS code ----------------------------------------------------------------------------------------------

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

# -- step 2: the identity ----------------------------------------------------------------------------------------------

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
ANY_REDIRECT_URL_ACCEPTED = declare(
    "any_redirect_url_accepted",
    rule="The operator's hand-off refuses a redirect_url that is not http(s) (such as javascript:), with 400 "
    "invalid_registration.",
    check="registration.handoff.redirect_url",
)

# -- step 3: the identity document -------------------------------------------------------------------------------------

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

# -- step 5: the review and the certificate ----------------------------------------------------------------------------

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
MATCH_ACCOUNT_STALE = declare(
    "match_account_stale",
    rule="matchAccount answers the status of the certificate as it is now: revoked once revoked.",
    check="registration.review.match_account",
)

# -- steps 1 and 6, delegations ----------------------------------------------------------------------------------------

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

# -- the state machine and its log -------------------------------------------------------------------------------------

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

# -- honoured in mock_provider/core/id_validations.py (identity prevalidation) ------------------------------------

ID_VALIDATION_HOLDER_UNCHECKED = declare(
    "id_validation_holder_unchecked",
    rule="An identity prevalidation matches the document's MRZ with the full_name and birthdate the operator gives: "
    "another person's document, or the right one with another birth date, is invalid.",
    check="registration.id_validations.holder_matched",
)
ID_VALIDATION_OVER_LIMIT_ACCEPTED = declare(
    "id_validation_over_limit_accepted",
    rule="An identity prevalidation takes 4 MB per side: a side of exactly 4 MiB is judged, one byte more refuses "
    "the request (400 invalid_id_validation).",
    check="registration.id_validations.side_limit",
)
