"""The rule switches of remote signing (CSC) and its OAuth 2.0 server: SADs, credentials, signHash, seals, the
credential-scope tokens.

Declarations only, listed by :mod:`mock_provider.core.misbehaviour.catalogue`; each section says where its switches
are honoured, with one guard style: ``if SWITCH in breakages:``.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.switch import declare

# -- honoured in mock_provider/api/csc_oauth2.py -----------------------------------------------------------------------

FOREIGN_CREDENTIAL = declare(
    "csc_oauth2_foreign_credential",
    rule="oauth2/authorize with scope=credential issues a code only for a credential of the person logged in (or "
    "a seal they may use): another's is access_denied.",
    check="signing.oauth2.own_credential_only",
)
WITHOUT_SMS_CODE = declare(
    "csc_oauth2_without_sms_code",
    rule="oauth2/authorize for a SCAL2 credential issues a code only after the SMS code is entered.",
    check="signing.oauth2.sms_code_required",
)
CREDENTIAL_TOKEN_AS_SERVICE = declare(
    "csc_oauth2_credential_token_as_service",
    rule="A credential-scope access token serves signatures/signHash only: elsewhere (credentials/list) it is "
    "refused (403 insufficient_scope).",
    check="signing.oauth2.credential_token_scope",
)
TOKEN_OTHER_HASHES = declare(
    "csc_oauth2_token_other_hashes",
    rule="A credential-scope access token signs only the hashes it was authorized for.",
    check="signing.oauth2.credential_token_hashes",
)
TOKEN_OTHER_CREDENTIAL = declare(
    "csc_oauth2_token_other_credential",
    rule="A credential-scope access token signs with its credential only.",
    check="signing.oauth2.credential_token_credential",
)
TOKEN_REUSABLE = declare(
    "csc_oauth2_token_reusable",
    rule="A credential-scope access token signs once: used, it is refused.",
    check="signing.oauth2.credential_token_once",
)
TOKEN_BEYOND_COUNT = declare(
    "csc_oauth2_token_beyond_count",
    rule="A credential-scope access token signs at most numSignatures hashes.",
    check="signing.oauth2.credential_token_count",
)

# -- honoured in mock_provider/api/csc_oauth2_server.py ----------------------------------------------------------------

PKCE_OPTIONAL = declare(
    "csc_oauth2_pkce_optional",
    rule="The CSC authorization server refuses an oauth2/authorize request without a PKCE code_challenge.",
    check="signing.oauth2.pkce_s256_required",
)
PKCE_PLAIN = declare(
    "csc_oauth2_pkce_plain",
    rule="The CSC authorization server refuses code_challenge_method=plain (S256 only).",
    check="signing.oauth2.pkce_s256_required",
)
VERIFIER_UNCHECKED = declare(
    "csc_oauth2_verifier_unchecked",
    rule="oauth2/token redeems a code only with the code_verifier whose S256 is its challenge (missing or wrong: "
    "invalid_grant or invalid_request).",
    check="signing.oauth2.code_verifier_checked",
)
REDIRECT_URI_PREFIX = declare(
    "csc_oauth2_redirect_uri_prefix",
    rule="oauth2/authorize matches redirect_uri exactly: a registered URI with a longer path is refused on a page, "
    "never redirected to.",
    check="signing.oauth2.redirect_uri_exact",
)
TOKEN_REDIRECT_URI_UNCHECKED = declare(
    "csc_oauth2_token_redirect_uri_unchecked",
    rule="oauth2/token redeems a code only with the redirect_uri of its authorization request.",
    check="signing.oauth2.code_bound_to_redirect_uri",
)
CODE_REUSABLE = declare(
    "csc_oauth2_code_reusable",
    rule="A CSC authorization code is redeemed once: the second redemption is refused with invalid_grant.",
    check="signing.oauth2.code_single_use",
)
CODE_RACE = declare(
    "csc_oauth2_code_race",
    rule="A CSC authorization code is redeemed once, also by parallel requests: exactly one gets a token.",
    check="signing.oauth2.code_once_in_parallel",
)

# -- honoured in mock_provider/core/signing_breakages.py ---------------------------------------------------------------

SAD_ACCEPTS_OTHER_HASHES = declare(
    "sad_accepts_other_hashes",
    rule="A SCAL2 SAD signs only the hashes it was authorized for "
    "(CSC API v2, credentials/authorize and signatures/signHash).",
    check="signing.sad.bound_to_hashes",
)
SAD_REUSABLE = declare(
    "sad_reusable",
    rule="A SAD signs once: once its signatures are made it is refused (CSC API v2, credentials/authorize).",
    check="signing.sad.single_use",
)
SAD_RACE = declare(
    "sad_race",
    rule="A single-use SAD signs once even when signHash calls carrying it arrive together "
    "(CSC API v2, credentials/authorize).",
    check="concurrency.signing.sad_once",
)
SEAL_RACE = declare(
    "seal_race",
    rule="A firm has one seal: its accountants' first uses of it at the same time get that one seal, no error.",
    check="concurrency.signing.seal_first_use",
)
SAD_NEVER_EXPIRES = declare(
    "sad_never_expires",
    rule="A SAD is refused once the expiresIn seconds of its authorization have passed "
    "(CSC API v2, credentials/authorize).",
    check="signing.sad.expiry",
)
AUTHORIZE_WITHOUT_CODE = declare(
    "authorize_without_code",
    rule="A SCAL2 credential is authorized only with the SMS code sent for it (CSC API v2, credentials/authorize "
    "OTP; ETSI TS 119 431-1 SCAL2).",
    check="signing.sad.code_required",
)
SEAL_WITHOUT_DELEGATION = declare(
    "seal_without_delegation",
    rule="Only the firm's chartered accountants and the holders of its seal delegation may use the firm's seal.",
    check="signing.seal.delegation_required",
)
NOT_YET_VALID_CREDENTIAL_SIGNS = declare(
    "not_yet_valid_credential_signs",
    rule="A credential whose certificate is not valid yet (before its notBefore) signs nothing (RFC 5280 section "
    "4.1.2.5).",
    check="signing.credential.not_yet_valid",
)
EXPIRED_CREDENTIAL_SIGNS = declare(
    "expired_credential_signs",
    rule="A credential whose certificate's notAfter has passed authorizes and signs nothing, even with a SAD given "
    "before (RFC 5280 section 4.1.2.5).",
    check="signing.credential.expired",
)
REVOKED_CREDENTIAL_SIGNS = declare(
    "revoked_credential_signs",
    rule="A credential whose certificate is revoked authorizes and signs nothing (CSC API v2, "
    "credentials/info cert/status).",
    check="signing.credential.revoked",
)
ACCEPT_WRONG_HASH_LENGTH = declare(
    "accept_wrong_hash_length",
    rule="A hash whose length does not fit its algorithm is refused (CSC API v2, hashes).",
    check="signing.hash.length",
)
AUTHORIZE_ASSUMES_SHA256 = declare(
    "authorize_assumes_sha256",
    rule="A SCAL2 authorization reads its hashes as the hashAlgorithmOID given says: SHA-384 and SHA-512 hashes of "
    "their own length are authorized, a hash of SHA-256's length under their OID refused (CSC API v2, "
    "credentials/authorize: hashAlgorithmOID).",
    check="signing.hash.other_digests",
)
SIGN_HASH_TRUNCATES_LONG_HASHES = declare(
    "sign_hash_truncates_long_hashes",
    rule="signatures/signHash refuses a hash longer than its algorithm's digest (CSC API v2, hashes), rather than "
    "signing its first bytes.",
    check="signing.hash.length",
)
SIGN_HASH_WITH_WRONG_KEY = declare(
    "sign_hash_with_wrong_key",
    rule="signHash signs with the key of the credential's certificate: the signature verifies with its public key "
    "(CSC API v2, signatures/signHash).",
    check="signing.sign_hash.signature",
)
CROSS_ACCOUNT_CREDENTIAL = declare(
    "cross_account_credential",
    rule="A person's personal credential is seen and used by that person only: another's id is not found.",
    check="security.isolation.credential",
)
CSC_WITHOUT_TOKEN = declare(
    "csc_without_token",
    rule="Every CSC credentials and signatures call needs a valid access token (CSC API v2; RFC 6750 section 3.1).",
    check="security.auth.csc_token_required",
)
SAD_NOT_BOUND_TO_CREDENTIAL = declare(
    "sad_not_bound_to_credential",
    rule="A SAD signs with the credential it was authorized for only: a personal SAD seals nothing for the firm, a "
    "seal SAD signs nothing personal (CSC API v2, credentials/authorize and signatures/signHash).",
    check="signing.sad.bound_to_credential",
)
SAD_NOT_BOUND_TO_USER = declare(
    "sad_not_bound_to_user",
    rule="A SAD is its user's: another user allowed to use the same seal cannot sign with it (CSC API v2, "
    "credentials/authorize).",
    check="signing.sad.bound_to_user",
)
SAD_SIGNS_BEYOND_NUM_SIGNATURES = declare(
    "sad_signs_beyond_num_signatures",
    rule="A SAD signs as many hashes as the numSignatures it was authorized for, and not one more (CSC API v2, "
    "credentials/authorize numSignatures).",
    check="signing.sad.num_signatures",
)
SAD_EXPIRES_EARLY = declare(
    "sad_expires_early",
    rule="A SAD signs until the expiresIn seconds its authorization announced have passed, not half of them (CSC "
    "API v2, credentials/authorize expiresIn).",
    check="signing.sad.usable_until_expiry",
)
AUTHORIZE_ZERO_SIGNATURES = declare(
    "authorize_zero_signatures",
    rule="credentials/authorize refuses numSignatures 0: an authorization is for at least one signature (CSC API "
    "v2, credentials/authorize numSignatures).",
    check="signing.csc.multisign",
)
AUTHORIZE_BEYOND_MULTISIGN = declare(
    "authorize_beyond_multisign",
    rule="credentials/authorize refuses a numSignatures beyond the credential's multisign (CSC API v2, "
    "credentials/info multisign).",
    check="signing.csc.multisign",
)
CREDENTIAL_INFO_DECIMAL_SERIAL = declare(
    "credential_info_decimal_serial",
    rule="credentials/info gives cert/serialNumber as the certificate's serial number in hexadecimal (CSC API v2, "
    "credentials/info), not in decimal.",
    check="signing.csc.credentials",
)
CREDENTIAL_INFO_OTP_MORE_DIGITS = declare(
    "credential_info_otp_more_digits",
    rule="credentials/info's OTP description names the mobile the code goes to by its last four digits, as the "
    "platform shows it everywhere (« envoyé par SMS au 8795 »), not five.",
    check="signing.csc.sms_code",
)
SIGNING_CODE_SHARED = declare(
    "signing_code_shared",
    rule="A signing code is sent and checked for its own credential: another credential's unused code neither holds "
    "back (cooldown) nor stands for a new credential's (here: one code for all the person's credentials).",
    check="signing.codes.reissued_credential",
)
SIGNING_CODE_CAP_LATE = declare(
    "signing_code_cap_late",
    rule="At most 30 signing codes are sent for one credential within an hour: the 31st is refused (here: sent).",
    check="signing.codes.hourly_cap",
)
SIGNING_SMS_WRONG_VALIDITY = declare(
    "signing_sms_wrong_validity",
    rule="The SMS that carries a signing code states truly how long the code is valid: its 30 minutes (not 20), "
    "after which it is refused.",
    check="signing.csc.sms_code",
)
CSC_TIMESTAMP_ASSUMES_SHA256 = declare(
    "csc_timestamp_assumes_sha256",
    rule="signatures/timestamp time-stamps the hash with the hashAlgorithmOID given (CSC API v2, "
    "signatures/timestamp), not with SHA-256 whatever it is told.",
    check="signing.csc.timestamp",
)
SIGN_ALGO_KEY_MISMATCH = declare(
    "sign_algo_key_mismatch",
    rule="signHash refuses a signAlgo that does not fit the credential's key type (CSC API v2, signatures/signHash).",
    check="signing.sign_hash.sign_algo",
)
SIGN_ALGO_HASH_MISMATCH = declare(
    "sign_algo_hash_mismatch",
    rule="signHash refuses a signAlgo whose digest contradicts hashAlgorithmOID, rather than sign with the latter "
    "(CSC API v2, signatures/signHash).",
    check="signing.sign_hash.hash_algorithm",
)
AUTHORIZE_FEWER_HASHES = declare(
    "authorize_fewer_hashes_than_signatures",
    rule="A SCAL2 authorization is for exactly the hashes sent, one signature each: a numSignatures above their "
    "number is refused (CSC API v2, credentials/authorize: the number of hashes corresponds to numSignatures).",
    check="signing.sad.hash_count",
)
AUTHORIZE_MORE_HASHES = declare(
    "authorize_more_hashes_than_signatures",
    rule="A SCAL2 authorization is for exactly the hashes sent, one signature each: a numSignatures below their "
    "number is refused (CSC API v2, credentials/authorize: the number of hashes corresponds to numSignatures).",
    check="signing.sad.hash_count",
)
SEAL_FIRST_FIRM_ONLY = declare(
    "seal_first_firm_only",
    rule="An accountant of several firms seals with the seal of each firm whose service is open (the guide opens it "
    "firm by firm), not only with that of the first.",
    check="signing.seal.every_firm",
)
SEAL_DELEGATION_NOT_HONOURED = declare(
    "seal_delegation_not_honoured",
    rule="A collaborator holding a firm's seal delegation seals with that firm's seal (guide: the delegations the "
    "accountant grants; DESIGN.md section 3).",
    check="signing.seal.delegation_follows",
)
SEAL_DELEGATION_KEPT_AFTER_WITHDRAWAL = declare(
    "seal_delegation_kept_after_withdrawal",
    rule="A withdrawn seal delegation stops the use at once (DESIGN.md section 3): a SAD given before the withdrawal "
    "seals nothing after it.",
    check="signing.seal.delegation_follows",
)
SEAL_OF_ANOTHER_FIRM = declare(
    "seal_of_another_firm",
    rule="A firm's seal is for its own chartered accountants and seal-delegation holders: a chartered accountant of "
    "another firm neither reads nor uses it.",
    check="signing.seal.other_firm",
)

# -- honoured in mock_provider/core/signing.py: the platform's rules over the personal credential ----------

SIGNING_BEFORE_TERMS = declare(
    "signing_before_terms",
    rule="The platform opens signing when the terms are accepted for a firm (step 6): before that, the personal "
    "credential is suspended (sendOTP and authorize refused, 403 service_not_open).",
    check="signing.platform.terms_required",
)
SIGNING_WITHOUT_SIGN_DELEGATION = declare(
    "signing_without_sign_delegation",
    rule="A collaborator signs with a personal certificate only while holding a firm's sign delegation "
    "(403 sign_delegation_required).",
    check="signing.platform.sign_delegation",
)
SAD_SURVIVES_WITHDRAWAL = declare(
    "sad_survives_withdrawal",
    rule="Withdrawing the sign delegation stops its use at once: a SAD obtained before the withdrawal signs nothing "
    "after it.",
    check="signing.platform.withdrawal_stops_signing",
)

# -- honoured in mock_provider/core/seals.py (the seal API) ----------------------------------------------------------

SEAL_API_WITH_WRONG_CERTIFICATE = declare(
    "seal_api_with_wrong_certificate",
    rule="The seal API (POST /v1/seals) seals with the seal its seal_id names: the signature's certificate is that "
    "seal's, the one its CSC credential describes.",
    check="signing.seal.seal_api",
)
