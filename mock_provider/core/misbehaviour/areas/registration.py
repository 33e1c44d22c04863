"""The rule switches of the registration's steps: the platform's steps, delegations, the operator calls, the
applicant's steps, the identity document, the review, the views.

Declarations only, listed by :mod:`mock_provider.core.misbehaviour.catalogue`; each section says where its switches
are honoured, with one guard style: ``if SWITCH in breakages:``.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.switch import declare

# -- honoured in mock_provider/core/registration/platform.py -----------------------------------------------------------

PROFILE_NAME_EDITABLE = declare(
    "profile_name_editable",
    rule="Names, e-mail and firms come from the SSO and are read-only at step 1.",
    check="registration.profile.read_only_fields",
)
MOBILE_OPTIONAL = declare(
    "mobile_optional",
    rule="Step 1 refuses a profile without a mobile number.",
    check="registration.profile.mobile_required",
)
ANY_MOBILE_ACCEPTED = declare(
    "any_mobile_accepted",
    rule="Step 1 accepts only a French mobile (06, 07) or an E.164 number.",
    check="registration.profile.mobile_format",
)
HANDOFF_WITHOUT_PROFILE = declare(
    "handoff_without_profile",
    rule="The certificate request starts only once the profile is confirmed (step 1 before step 2).",
    check="registration.handoff.requires_profile",
)
TERMS_BEFORE_CERTIFICATE = declare(
    "terms_before_certificate",
    rule="The terms (step 6) are accepted only once the certificate is issued (step 5).",
    check="registration.terms.after_certificate",
)
TERMS_DURING_REQUEST = declare(
    "terms_during_request",
    rule="The terms (step 6) are accepted only once the certificate is issued, not at any earlier state of the "
    "request (here: a request under way, at whatever state, lets them through).",
    check="registration.terms.after_certificate",
)
TERMS_ONE_BOX = declare(
    "terms_one_box",
    rule="Step 6 needs both boxes (terms of use and data-protection policy) for each firm.",
    check="registration.terms.both_boxes",
)
TERMS_OPEN_ALL_FIRMS = declare(
    "terms_open_all_firms",
    rule="Accepting the terms for one firm opens the service to that firm only.",
    check="registration.terms.per_firm",
)
TERMS_ANY_VERSION = declare(
    "terms_any_version",
    rule="Step 6 records the current versions of the texts: an outdated version is refused.",
    check="registration.terms.current_versions",
)
SERVICE_OPEN_WITHOUT_DELEGATION = declare(
    "service_open_without_delegation",
    rule="Step 6 opens the service to the firm's collaborators holding a delegation, not to the others.",
    check="registration.delegations.service_follows_delegation",
)

# -- honoured in mock_provider/core/registration/delegations.py --------------------------------------------------------

DELEGATION_TO_NON_MEMBER = declare(
    "delegation_to_non_member",
    rule="A delegation is granted only to a collaborator of the firm.",
    check="registration.delegations.members_only",
)
DELEGATION_TO_MEMBER_OF_OTHER_FIRM = declare(
    "delegation_to_member_of_other_firm",
    rule="A delegation is granted only to a collaborator of that very firm: a membership of another firm does not "
    "count (here: a membership looked up by order of the firm ids, of this firm or one sorting before it).",
    check="registration.delegations.members_only",
)
DELEGATION_TO_ACCOUNTANT = declare(
    "delegation_to_accountant",
    rule="A delegation is granted to a collaborator: a chartered accountant of the firm (oneself included) is refused.",
    check="registration.delegations.collaborators_only",
)
DELEGATION_HELD_BY_COLLEAGUE = declare(
    "delegation_held_by_colleague",
    rule="A delegation is held per person: a colleague holding that kind does not stop granting it (here: one held by "
    "a colleague whose user id sorts before is taken as already held).",
    check="registration.delegations.grant_and_revoke",
)
DELEGATION_KINDS_BY_ORDER = declare(
    "delegation_kinds_by_order",
    rule="A delegation is held per kind: holding one kind does not stop granting another (here: one of a kind "
    "sorting before is taken as already held).",
    check="registration.delegations.grant_and_revoke",
)
DELEGATIONS_LISTED_ACROSS_FIRMS = declare(
    "delegations_listed_across_firms",
    rule="A firm's list of delegations holds that firm's delegations only (here: those of the firms whose id sorts "
    "after it too).",
    check="registration.delegations.listed_per_firm",
)
COLLABORATOR_MANAGES_DELEGATIONS = declare(
    "collaborator_manages_delegations",
    rule="Only the firm's chartered accountant grants delegations.",
    check="registration.delegations.accountant_only",
)
# The once-only rules under concurrency: each switch drops the lock of one transition (a careless provider's
# check-then-act), so that parallel requests all pass the check before any of them acts.
DELEGATION_RACE = declare(
    "delegation_race",
    rule="A delegation is held once: parallel grants of the same one give one grant, the others 409.",
    check="concurrency.delegations.granted_once",
)
DELEGATION_REVOKED_ELSEWHERE = declare(
    "delegation_revoked_elsewhere",
    rule="A delegation is revoked through its own firm only: through another firm it is not found.",
    check="registration.delegations.revoked_in_its_firm_only",
)
DELEGATION_REVOKE_IGNORED = declare(
    "delegation_revoke_ignored",
    rule="A revoked delegation is gone.",
    check="registration.delegations.grant_and_revoke",
)
CROSS_FIRM_DELEGATIONS = declare(
    "cross_firm_delegations",
    rule="A firm's delegations are seen and managed by its own chartered accountants only.",
    check="security.isolation.firm",
)
ACCOUNTANT_OF_ANY_FIRM = declare(
    "accountant_of_any_firm",
    rule="A chartered accountant manages the delegations of his own firms only: being a member of some firm does "
    "not open the others (here: a person's first membership stands for a firm he does not belong to).",
    check="registration.delegations.own_firms_only",
)

# -- honoured in mock_provider/core/registration/operator_calls.py -----------------------------------------------------

MATCHED_BY_ORDER = declare(
    "matched_by_order",
    rule="matchAccount answers the certificate of that very e-mail: another person's newer request changes nothing "
    "(here: the latest request of an e-mail sorting after it, or equal, is answered).",
    check="registration.review.match_account",
)
ANY_LEVEL_ACCEPTED = declare(
    "any_level_accepted",
    rule="A registration asks for one of the certificate levels lcp, qcp or qcpnqscd.",
    check="registration.handoff.levels",
)

# -- honoured in mock_provider/core/registration/applicant.py ----------------------------------------------------------

BIRTH_DATE_OPTIONAL = declare(
    "birth_date_optional",
    rule="Step 2 refuses an identity without a birth date.",
    check="registration.identity.birth_date_required",
)
CONSENTS_OPTIONAL = declare(
    "consents_optional",
    rule="Step 2 refuses an identity unless both consents (provider terms, data protection) are given.",
    check="registration.identity.consents_required",
)
MINOR_ACCEPTED = declare(
    "minor_accepted",
    rule="Step 2 refuses an applicant under 18.",
    check="registration.identity.adults_only",
)
AGREEMENT_HASH_UNCHECKED = declare(
    "agreement_hash_unchecked",
    rule="Step 4 takes a consent only to the current agreement version, named with its SHA-256.",
    check="registration.agreement.versioned",
)
ILLEGAL_TRANSITION_ACCEPTED = declare(
    "illegal_transition_accepted",
    rule="A step out of order (the agreement before the identity document) is refused with 409 and changes nothing.",
    check="registration.agreement.steps_in_order",
)
CANCEL_AFTER_SIGNING = declare(
    "cancel_after_signing",
    rule="Once the subscription agreement is signed, the certificate request can no longer be cancelled.",
    check="registration.agreement.no_cancel_after_signing",
)
ERROR_REPORT_KEEPS_CERTIFICATE = declare(
    "error_report_keeps_certificate",
    rule="An error reported within 48 hours revokes the certificate before a new one is issued.",
    check="registration.review.error_report_revokes",
)
ERROR_REPORT_AFTER_WINDOW = declare(
    "error_report_after_window",
    rule="After 48 hours the certificate is presumed accepted: an error report is refused.",
    check="registration.review.error_report_window",
)
# The once-only rules under concurrency: each switch drops the lock of one transition (a careless provider's
# check-then-act), so that parallel requests all pass the check before any of them acts.
MALFORMED_OTP_COUNTED = declare(
    "malformed_otp_counted",
    rule="A code that is not six digits is refused as malformed (400 otp_malformed), not compared and counted as a "
    "wrong try (here: any string is compared).",
    check="registration.otp.malformed",
)
RIGHT_CODE_RACE = declare(
    "right_code_race",
    rule="The right SMS code signs the agreement once: parallel submissions of it give one signature, one certificate.",
    check="concurrency.agreement.right_code_once",
)
WRONG_CODES_RACE = declare(
    "wrong_codes_race",
    rule="Parallel wrong SMS codes are counted one by one: at most 5 are compared, then the code is locked.",
    check="concurrency.agreement.wrong_codes_counted",
)
CONSENT_RACE = declare(
    "consent_race",
    rule="Parallel consents send one SMS code (the resend cooldown holds), and that code signs.",
    check="concurrency.agreement.consent_once",
)
CANCEL_RACE = declare(
    "cancel_race",
    rule="Cancel and sign at once: one of them wins, never both (no cancelled request with a certificate). "
    "The switch drops the lock of both transitions.",
    check="concurrency.registration.cancel_or_sign",
)
ERROR_REPORT_RACE = declare(
    "error_report_race",
    rule="Parallel error reports leave one valid certificate: each report revokes the one it replaces.",
    check="concurrency.certificate.error_reports_serialised",
)
OTHER_REGISTRATION_VISIBLE = declare(
    "other_registration_visible",
    rule="A registration's session token opens that registration only.",
    check="registration.isolation.other_registration_invisible",
)
PHONE_UNMASKED = declare(
    "phone_unmasked",
    rule="Step 4 shows the mobile the SMS code went to masked, its last four digits only.",
    check="registration.otp.sent",
)
CANCELLATION_REFUSED = declare(
    "cancellation_refused",
    rule="Until the agreement is signed the applicant may cancel the certificate request.",
    check="registration.agreement.cancel_before_signing",
)
IDENTITY_RESUBMITTED = declare(
    "identity_resubmitted",
    rule="Step 2 is done once: a second identity is refused (409), not written over the first.",
    check="registration.identity.given_once",
)
EVENT_LOG_INCOMPLETE = declare(
    "event_log_incomplete",
    rule="Every transition of the registration is in its event log.",
    check="registration.events.lifecycle_log",
)
AGREEMENT_VERSION_UNCHECKED = declare(
    "agreement_version_unchecked",
    rule="Step 4's consent names the current version of the agreement as well as its hash: another version is "
    "refused (here: only the hash is compared).",
    check="registration.agreement.versioned",
)
BLANK_ERROR_REPORT_ACCEPTED = declare(
    "blank_error_report_accepted",
    rule="An error report says what is wrong: a blank detail is refused (error_report_incomplete).",
    check="registration.review.error_report_revokes",
)

# -- honoured in mock_provider/core/registration/identity_document.py --------------------------------------------------

DOCUMENT_JUDGED_BY_NAME = declare(
    "document_judged_by_name",
    rule="Step 3 judges a document by its content: a file that is not JPEG, PNG or PDF is refused whatever its name.",
    check="registration.documents.judged_by_content",
)
GREYSCALE_ACCEPTED = declare(
    "greyscale_accepted",
    rule="Step 3 refuses a greyscale picture of the document.",
    check="registration.documents.colour_required",
)
OVERSIZE_ACCEPTED = declare(
    "oversize_accepted",
    rule="Step 3 refuses a file over the size limit.",
    check="registration.documents.size_limit",
)
BACK_SIDE_OPTIONAL = declare(
    "back_side_optional",
    rule="Step 3 refuses an identity card without its back side.",
    check="registration.documents.back_required",
)
BAD_MRZ_ACCEPTED = declare(
    "bad_mrz_accepted",
    rule="Step 3 refuses a machine-readable zone whose check digits are wrong.",
    check="registration.documents.mrz_check_digits",
)
PDF_REFUSED = declare(
    "pdf_refused",
    rule="Step 3 accepts a PDF copy of the identity document.",
    check="registration.documents.accepted",
)
DOCUMENT_REPLACED = declare(
    "document_replaced",
    rule="Step 3 is done once: a second upload is refused (409), not written over the first document.",
    check="registration.documents.uploaded_once",
)
ANY_DOCUMENT_TYPE_ACCEPTED = declare(
    "any_document_type_accepted",
    rule="Step 3 accepts the document types id_card:fra, residence_permit:fra and passport:<ISO 3166 alpha-3> only.",
    check="registration.documents.document_type",
)

# -- honoured in mock_provider/core/registration/review.py -------------------------------------------------------------

NO_DECISION_EMAIL = declare(
    "no_decision_email",
    rule="The applicant is e-mailed when the review decides.",
    check="registration.review.decision_email",
)
REVIEW_OVERDUE = declare(
    "review_overdue",
    rule="The identity review decides within 24 hours.",
    check="registration.review.within_24_hours",
)

# -- honoured in mock_provider/core/registration/views.py --------------------------------------------------------------

ACTIVE_FIRMS_OF_OTHERS = declare(
    "active_firms_of_others",
    rule="A person's active firms are those whose terms that person accepted, none accepted by someone else "
    "(here: the acceptances of the people whose user id sorts after theirs count as theirs).",
    check="registration.terms.per_person",
)
ACCEPTED_AT_ONCE = declare(
    "accepted_at_once",
    rule="A new certificate awaits its holder's acceptance for 48 hours (the error-report window).",
    check="registration.review.issued",
)
REJECTION_REASON_ON_LIVE_REQUEST = declare(
    "rejection_reason_on_live_request",
    rule="The platform's certificate_request names a rejection_reason only once the request is rejected.",
    check="registration.terms.after_certificate",
)
REJECTION_REASON_UNTOLD = declare(
    "rejection_reason_untold",
    rule="The platform's certificate_request of a rejected request gives the rejection's reason.",
    check="registration.terms.after_certificate",
)

# -- honoured in mock_provider/core/registration/identity_document.py (after step 6 and step 3's documents) ----------

EUROPEAN_ID_CARD_REFUSED = declare(
    "european_id_card_refused",
    rule="Step 3 accepts the identity cards of the EU, the EEA and Switzerland (Universign accepts European identity "
    "documents); here only French ones.",
    check="registration.documents.european_id_cards",
)
DRIVING_LICENCE_REFUSED = declare(
    "driving_licence_refused",
    rule="Step 3 accepts a French driving licence, with its number typed (it carries no ICAO MRZ).",
    check="registration.documents.driving_licence",
)
FRENCH_1988_CARD_REFUSED = declare(
    "french_1988_card_refused",
    rule="Step 3 accepts the French identity card of 1988-2021 (2 lines of 36, France's own MRZ), still valid for "
    "many: 15 years for one issued to an adult from 2004 to 2013.",
    check="registration.documents.french_1988_card",
)
MRZ_NOT_READ_FROM_FILE = declare(
    "mrz_not_read_from_file",
    rule="Step 3 reads the MRZ from a side that carries it as text (the mock's stand-in for OCR), so that neither it "
    "nor the document number need be typed; here it must be typed.",
    check="registration.documents.mrz_read_from_file",
)

# -- honoured in mock_provider/core/registration/platform.py (after step 6 and step 3's documents) ----------

REGISTRATION_WITHOUT_SIGN_DELEGATION = declare(
    "registration_without_sign_delegation",
    rule="The platform reserves a personal certificate to chartered accountants and to collaborators holding a "
    "firm's sign delegation: the others' certificate request (step 2) is refused, 403 sign_delegation_required.",
    check="registration.delegations.sign_required_to_register",
)

# -- honoured in mock_provider/core/registration/views.py (after step 6 and step 3's documents) ----------

EXPIRED_CERTIFICATE_READS_VALID = declare(
    "expired_certificate_reads_valid",
    rule="A certificate past its notAfter reads expired (RFC 5280 §4.1.2.5), and the person is asked for a new "
    "request.",
    check="registration.lifecycle.expiry",
)

# -- honoured in mock_provider/core/registration/lifecycle.py --------------------------------------------------

HOLDER_REVOCATION_WITHOUT_CODE = declare(
    "holder_revocation_without_code",
    rule="The holder revokes the certificate with the SMS code sent for it: a wrong code revokes nothing.",
    check="registration.lifecycle.revocation_needs_code",
)
EXPIRY_NOTICE_EVERY_CALL = declare(
    "expiry_notice_every_call",
    rule="Each expiry notice (60 and 15 days before the notAfter) is e-mailed once.",
    check="registration.lifecycle.expiry_notices",
)
HOLDER_REVOCATION_REASON_DROPPED = declare(
    "holder_revocation_reason_dropped",
    rule="The holder's revocation is published with the reason given (RFC 5280 CRLReason), on the CRL and in OCSP.",
    check="registration.lifecycle.revocation_published",
)


# -- honoured in mock_provider/core/registration/operator_calls.py and states.py ---------------------------------------

OPERATOR_READS_ANY_REGISTRATION = declare(
    "operator_reads_any_registration",
    rule="An operator's API key reads the registrations it created, and no other operator's.",
    check="registration.operator.owner_only",
)
SESSION_NEVER_EXPIRES = declare(
    "session_never_expires",
    rule="A registration session left unfinished ends 7 days after it was opened (Universign).",
    check="registration.operator.session_expiry",
)
