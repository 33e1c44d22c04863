"""The rule switches of the PKI: certificate profiles, the CAs, OCSP, CRLs, the TSA, the publication.

Declarations only, listed by :mod:`mock_provider.core.misbehaviour.catalogue`; each section says where its switches
are honoured, with one guard style: ``if SWITCH in breakages:``.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.switch import declare

# -- honoured in mock_provider/api/pki.py ------------------------------------------------------------------------------

CA_ISSUERS_UNREACHABLE = declare(
    "ca_issuers_unreachable",
    rule="The caIssuers URL of a certificate's AIA extension serves its issuer's certificate "
    "(RFC 5280 section 4.2.2.1).",
    check="pki.chain.aia_ca_issuers",
)
CRL_DISTRIBUTION_POINT_UNREACHABLE = declare(
    "crl_distribution_point_unreachable",
    rule="The URL of a certificate's CRL distribution point serves its CA's CRL (RFC 5280 section 4.2.1.13).",
    check="pki.crl.reachable",
)

# -- honoured in mock_provider/core/pki/authority.py -------------------------------------------------------------------

OCSP_ANSWERS_FOR_OTHER_CA = declare(
    "ocsp_answers_for_other_ca",
    rule="A CA's OCSP responder answers good only for the serials that CA issued: a serial another CA of the "
    "hierarchy issued is not good under it (RFC 6960 sections 2.2 and 4.1.1: the CertID names the issuer).",
    check="pki.ocsp.right_issuer",
)
END_ENTITY_OUTLIVES_ITS_CA = declare(
    "end_entity_outlives_its_ca",
    rule="A natural person's certificate is valid no longer than its issuing CA's certificate: a path validates only "
    "while every certificate in it is valid (RFC 5280 sections 4.1.2.5 and 6.1.3).",
    check="pki.chain.validity_nested",
)
CRL_DROPS_OLD_REVOCATIONS = declare(
    "crl_drops_old_revocations",
    rule="A CRL lists every certificate of its CA revoked before it, however long ago, until the certificate's "
    "validity has ended (RFC 5280 sections 3.3 and 5.1.2.6): not only the revocations since the previous CRL.",
    check="pki.crl.revoked_stays_listed",
)
CRL_SEAL_CA_OMITS_REVOKED = declare(
    "crl_seal_ca_omits_revoked",
    rule="Every CA's CRL lists the certificates it revoked: the seal CA's lists a revoked seal as the signature CA's "
    "lists a revoked personal certificate (RFC 5280 section 5.1.2.6).",
    check="pki.crl.revoked_listed",
)
CRL_LISTS_OTHER_CAS_REVOCATIONS = declare(
    "crl_lists_other_cas_revocations",
    rule="A CA's CRL lists the certificates that CA revoked, and no certificate another CA of the hierarchy issued: "
    "none of its CRLs is an indirect CRL (RFC 5280 sections 5 and 5.1.2.6).",
    check="pki.crl.own_certificates_only",
)
OCSP_REVOKED_ONLY_WHEN_REVOKED = declare(
    "ocsp_revoked_only_when_revoked",
    rule="A revoked certificate is revoked from its revocation on: OCSP answers revoked at any later instant, not "
    "only at the instant of the revocation (RFC 6960 section 2.2, RFC 5280 section 3.3).",
    check="pki.ocsp.revoked_stays",
)

# -- honoured in mock_provider/core/pki/crl.py -------------------------------------------------------------------------

CRL_OMITS_REVOKED = declare(
    "crl_omits_revoked",
    rule="A CRL lists every revoked certificate of its CA, with the revocation time (RFC 5280 section 5.1.2.6).",
    check="pki.crl.revoked_listed",
)
STALE_CRL = declare(
    "crl_stale",
    rule="The published CRL is current: thisUpdate has passed and nextUpdate has not (RFC 5280 section 5.1.2.5).",
    check="pki.crl.fresh",
)
CRL_WRONG_AUTHORITY_KEY_IDENTIFIER = declare(
    "crl_wrong_authority_key_identifier",
    rule="A CRL's authorityKeyIdentifier is the subjectKeyIdentifier of the CA that signed it (RFC 5280 section "
    "5.2.1), not a hash of its whole SubjectPublicKeyInfo.",
    check="pki.crl.authority_key_identifier",
)
CRL_NUMBER_REPEATED = declare(
    "crl_number_repeated",
    rule="Each new CRL of a CA carries a greater CRL number than the last (RFC 5280 section 5.2.3).",
    check="pki.crl.number",
)
CRL_ENTRY_WRONG_REASON = declare(
    "crl_entry_wrong_reason",
    rule="A CRL entry's reasonCode is the reason the certificate was revoked for (RFC 5280 section 5.3.1).",
    check="pki.crl.revoked_listed",
)
CRL_BACKDATED_REVOCATION = declare(
    "crl_backdated_revocation",
    rule="A CRL entry's revocationDate is when the CA revoked the certificate (RFC 5280 section 5.1.2.6), not a day "
    "earlier.",
    check="pki.crl.revoked_listed",
)
CRL_ENTRY_REASON_UNSPECIFIED = declare(
    "crl_entry_reason_unspecified",
    rule="A CRL entry of a certificate revoked for no stated reason has no reasonCode: the extension is absent "
    "rather than unspecified (RFC 5280 section 5.3.1).",
    check="pki.ocsp.reason",
)
CRL_SERVED_PAST_NEXT_UPDATE = declare(
    "crl_served_past_next_update",
    rule="A CA issues its next CRL by the nextUpdate of the last one (RFC 5280 section 5.1.2.5): the CRL it serves "
    "once that instant has passed is a new, current one.",
    check="pki.crl.fresh",
)

# -- honoured in mock_provider/core/pki/ocsp.py ------------------------------------------------------------------------

IGNORE_OCSP_NONCE = declare(
    "ignore_ocsp_nonce",
    rule="An OCSP response echoes the nonce of the request (RFC 9654 section 2.1).",
    check="pki.ocsp.nonce",
)
OCSP_GOOD_AFTER_REVOCATION = declare(
    "ocsp_good_after_revocation",
    rule="OCSP answers revoked, with the revocation time, for a revoked certificate (RFC 6960 section 2.2).",
    check="pki.ocsp.revoked",
)
OCSP_GOOD_FOR_UNKNOWN = declare(
    "ocsp_good_for_unknown",
    rule="OCSP never answers good for a serial number that the CA did not issue (RFC 6960 section 2.2).",
    check="pki.ocsp.unknown",
)
OCSP_BAD_SIGNATURE = declare(
    "ocsp_bad_signature",
    rule="An OCSP response is signed by the CA or its delegated responder, and the signature verifies "
    "(RFC 6960 sections 4.2.1 and 4.2.2.2).",
    check="pki.ocsp.good",
)
OCSP_MALFORMED_UNANSWERED = declare(
    "ocsp_malformed_unanswered",
    rule="An OCSP responder answers a request it cannot read (not DER, cut short, no request in it) with an "
    "OCSPResponse whose status is malformedRequest (RFC 6960 section 4.2.1), here with a server error.",
    check="pki.ocsp.malformed",
)
OCSP_NONCE_LIMIT_OFF_BY_ONE = declare(
    "ocsp_nonce_limit_off_by_one",
    rule="An OCSP responder answers a request whose nonce has up to and including 128 octets, the most RFC 9654 "
    "allows (section 2.1), and does not reject it as malformed.",
    check="pki.ocsp.nonce_length",
)
OCSP_NONCE_LIMIT_RFC_8954 = declare(
    "ocsp_nonce_limit_rfc_8954",
    rule="An OCSP responder answers a request whose nonce has 33 to 128 octets, as RFC 9654 allows (section 2.1): "
    "it does not reject it as malformed under the 32-octet limit of RFC 8954, which RFC 9654 obsoletes.",
    check="pki.ocsp.nonce_length",
)
OCSP_EMPTY_NONCE_ANSWERED = declare(
    "ocsp_empty_nonce_answered",
    rule="An OCSP responder rejects a request whose nonce has 0 octets with malformedRequest (RFC 9654 section 2.1).",
    check="pki.ocsp.nonce_length",
)
OCSP_LONG_NONCE_ANSWERED = declare(
    "ocsp_long_nonce_answered",
    rule="An OCSP responder rejects a request whose nonce has more than 128 octets with malformedRequest "
    "(RFC 9654 section 2.1).",
    check="pki.ocsp.nonce_length",
)
OCSP_CERT_ID_WRONG_KEY_HASH = declare(
    "ocsp_cert_id_wrong_key_hash",
    rule="An OCSP response answers the CertID of the request: its issuerKeyHash is the hash of the issuer's public "
    "key BIT STRING, as asked (RFC 6960 sections 4.1.1 and 4.2.1).",
    check="pki.ocsp.cert_id",
)
OCSP_RESPONDER_ID_WRONG_KEY = declare(
    "ocsp_responder_id_wrong_key",
    rule="An OCSP response's ResponderID byKey is the SHA-1 of the signer's public key BIT STRING (RFC 6960 section "
    "4.2.2.3), not of its whole SubjectPublicKeyInfo, in the answers a CA signs itself too (here the root's, about "
    "the CAs it issued).",
    check="pki.ocsp.responder_id",
)
OCSP_STALE_THIS_UPDATE = declare(
    "ocsp_stale_this_update",
    rule="An OCSP response's thisUpdate is recent: a status known to be correct three weeks ago is no status, "
    "whatever its nextUpdate (RFC 6960 section 4.2.2.1; RFC 5019 section 2.2.4).",
    check="pki.ocsp.times",
)
OCSP_BACKDATED_REVOCATION = declare(
    "ocsp_backdated_revocation",
    rule="An OCSP response gives the time the certificate was revoked, as its CRL does (RFC 6960 section 4.2.1; "
    "RFC 5280 section 5.1.2.6), not a day earlier.",
    check="pki.ocsp.revoked",
)
OCSP_CACHED_ACROSS_REVOCATION = declare(
    "ocsp_cached_across_revocation",
    rule="Once a certificate is revoked, OCSP says so at once: an answer pre-signed before the revocation is "
    "never served after it (RFC 6960 section 2.2; RFC 5019 section 6).",
    check="pki.ocsp.revoked",
)
OCSP_REASON_NOT_THE_CRLS = declare(
    "ocsp_reason_not_the_crls",
    rule="An OCSP answer gives the revocation reason its CRL gives, and none where the CRL gives none (RFC 6960 "
    "section 4.2.1; RFC 5280 section 5.3.1).",
    check="pki.ocsp.reason",
)
OCSP_SERVED_PAST_NEXT_UPDATE = declare(
    "ocsp_served_past_next_update",
    rule="A responder that pre-produces answers never serves one whose nextUpdate has passed (RFC 5019 section "
    "2.2.4; RFC 6960 section 4.2.2.1).",
    check="pki.ocsp.times",
)

# -- honoured in mock_provider/core/pki/profiles.py --------------------------------------------------------------------

SIGNING_CERTIFICATE_AIA_CRITICAL = declare(
    "signing_certificate_aia_critical",
    rule="A certificate's authorityInformationAccess extension is non-critical (RFC 5280 section 4.2.2.1), in a "
    "natural person's signing certificate too.",
    check="pki.chain.extensions",
)
QCPNQSCD_WITHOUT_QC_SSCD = declare(
    "qcpnqscd_without_qc_sscd",
    rule="A QCP-n-qscd certificate carries the QcSSCD statement (EN 319 412-5 section 4.2.2; "
    "EN 319 411-2 section 6.6.1).",
    check="pki.profile.qcpnqscd",
)
QCP_WITHOUT_QC_COMPLIANCE = declare(
    "qcp_without_qc_compliance",
    rule="A qualified certificate (QCP-n) carries the QcCompliance statement and QcType esign "
    "(EN 319 412-5 sections 4.2.1 and 4.2.3).",
    check="pki.profile.qcp",
)
LCP_WITH_QC_COMPLIANCE = declare(
    "lcp_with_qc_compliance",
    rule="An LCP certificate is not qualified: policy LCP and no QcCompliance statement "
    "(EN 319 411-1 section 5.3; EN 319 412-5 section 4.2.1).",
    check="pki.profile.lcp",
)
SIGNING_KEY_USAGE_WITHOUT_NON_REPUDIATION = declare(
    "signing_key_usage_without_non_repudiation",
    rule="A signing or seal certificate has a critical keyUsage with nonRepudiation (contentCommitment) and no CA "
    "bit (EN 319 412-2 section 4.3.2; RFC 5280 section 4.2.1.3).",
    check="pki.profile.key_usage",
)
NATURAL_PERSON_WITHOUT_SERIAL_NUMBER = declare(
    "natural_person_without_serial_number",
    rule="A natural person's subject has countryName, givenName, surname, commonName and a serialNumber with "
    "semantics such as IDCFR- or PASFR- (EN 319 412-2 section 4.2.4; EN 319 412-1 section 5.1.3).",
    check="pki.profile.natural_person_subject",
)
SEAL_WITHOUT_ORGANIZATION_IDENTIFIER = declare(
    "seal_without_organization_identifier",
    rule="A seal certificate's subject has organizationName, countryName and organizationIdentifier "
    "NTRFR-<SIREN> (EN 319 412-3 section 4.2.1; EN 319 412-1 section 5.1.4).",
    check="pki.profile.seal",
)
SEAL_WRONG_AUTHORITY_KEY_IDENTIFIER = declare(
    "seal_wrong_authority_key_identifier",
    rule="A certificate's authorityKeyIdentifier is its issuer's subjectKeyIdentifier (RFC 5280 sections 4.2.1.1 "
    "and 4.2.1.2), seal certificates included, not a hash of the issuer's whole SubjectPublicKeyInfo.",
    check="pki.chain.key_identifiers",
)
LCP_KEY_USAGE_WITHOUT_NON_REPUDIATION = declare(
    "lcp_key_usage_without_non_repudiation",
    rule="A signing certificate has nonRepudiation at every level, LCP included (EN 319 412-2 section 4.3.2).",
    check="pki.profile.key_usage",
)
NATURAL_PERSON_GIVEN_NAME_IS_FULL_NAME = declare(
    "natural_person_given_name_is_full_name",
    rule="A natural person's givenName holds the given name only, not the full name (EN 319 412-2 section 4.2.4).",
    check="pki.profile.natural_person_subject",
)
SEAL_WITH_OPERATOR_IDENTIFIER = declare(
    "seal_with_operator_identifier",
    rule="A seal certificate's organizationIdentifier is the firm's own, NTRFR-<its SIREN> (EN 319 412-1 section "
    "5.1.4), not that of the trust service operator.",
    check="pki.profile.seal",
)
NATURAL_PERSON_WITH_LEGAL_SEMANTICS = declare(
    "natural_person_with_legal_semantics",
    rule="A natural person's QC statements announce the semantics identifier of a natural person "
    "(id-etsi-qcs-semanticsId-Natural, EN 319 412-1 section 5.1.3), not a legal person's.",
    check="pki.profile.qc_statement_values",
)
END_ENTITY_POLICIES_CRITICAL = declare(
    "end_entity_policies_critical",
    rule="A signing or seal certificate's certificatePolicies extension is not critical (EN 319 412-2 GEN-4.3.3-1, "
    "which EN 319 412-3 applies to legal persons).",
    check="pki.chain.extensions",
)
QC_STATEMENTS_CRITICAL = declare(
    "qc_statements_critical",
    rule="The qcStatements extension is not critical (EN 319 412-5 QCS-4.1-02), in signing and seal certificates "
    "alike.",
    check="pki.chain.extensions",
)
SIGNING_KEY_USAGE_WITH_KEY_ENCIPHERMENT = declare(
    "signing_key_usage_with_key_encipherment",
    rule="A signing or seal certificate's keyUsage is one of the settings for signed content (EN 319 412-2 "
    "section 4.3.2, types A, B and F): keyEncipherment only beside both nonRepudiation and digitalSignature.",
    check="pki.profile.key_usage",
)
END_ENTITY_SIGNED_BY_WRONG_KEY = declare(
    "end_entity_signed_by_wrong_key",
    rule="Every certificate is signed by the issuer it names, up to the published root (RFC 5280 section 6.1).",
    check="pki.chain.path",
)

# -- honoured in mock_provider/core/pki/tsa.py -------------------------------------------------------------------------

TSA_WRONG_IMPRINT = declare(
    "tsa_wrong_message_imprint",
    rule="A time-stamp token carries the message imprint of the request (RFC 3161 section 2.4.2).",
    check="pki.tsa.message_imprint",
)
TSA_IGNORES_NONCE = declare(
    "tsa_ignores_nonce",
    rule="A time-stamp token echoes the nonce of the request (RFC 3161 section 2.4.2).",
    check="pki.tsa.nonce",
)
TSA_BAD_SIGNATURE = declare(
    "tsa_bad_signature",
    rule="A time-stamp token is signed by a TSA certificate whose only extended key usage is timeStamping, "
    "and the signature verifies (RFC 3161 sections 2.3 and 2.4.2).",
    check="pki.tsa.signature",
)
TSA_IGNORES_REQUESTED_POLICY = declare(
    "tsa_ignores_requested_policy",
    rule="A TSA asked for a policy it does not support refuses with failInfo unacceptedPolicy; it never grants a "
    "token under another policy than the one requested (RFC 3161 section 2.4.2).",
    check="pki.tsa.policy",
)
TSA_SIGNING_TIME_GENERALIZED = declare(
    "tsa_signing_time_generalized",
    rule="A token's signingTime between 1950 and 2049 is encoded as UTCTime (RFC 5652 section 11.3).",
    check="pki.tsa.gen_time",
)
TSA_SIGNING_TIME_UTC_IN_2050 = declare(
    "tsa_signing_time_utc_in_2050",
    rule="A token's signingTime from 2050 on is encoded as GeneralizedTime (RFC 5652 section 11.3), here as "
    "UTCTime until the end of 2050.",
    check="pki.tsa.signing_time_boundaries",
)
TSA_GEN_TIME_SKEWED = declare(
    "tsa_gen_time_skewed",
    rule="A token's genTime is the time of its creation, within the declared accuracy of UTC (RFC 3161 section "
    "2.4.2; ETSI EN 319 421 section 7.7.2), not an hour ahead.",
    check="pki.tsa.gen_time",
)
TSA_WRONG_ESS_CERT_ID = declare(
    "tsa_wrong_ess_cert_id",
    rule="A token's ESSCertIDv2 certHash is the hash of the TSA certificate that signed it (RFC 5816 section 2.2.1), "
    "not of its issuer's.",
    check="pki.tsa.signing_certificate",
)
TSA_REPEATS_SERIAL = declare(
    "tsa_repeats_serial",
    rule="Each time-stamp token of a TSA has its own serial number (RFC 3161 section 2.4.2).",
    check="pki.tsa.serial_unique",
)
TSA_ACCEPTS_LONG_IMPRINT = declare(
    "tsa_accepts_long_imprint",
    rule="A TSA refuses a message imprint longer than its hash algorithm's digest (RFC 3161 section 2.4.2: "
    "badDataFormat) rather than time-stamping it.",
    check="pki.tsa.requests",
)
TSA_CERTIFICATES_UNASKED = declare(
    "tsa_certificates_unasked",
    rule="A token carries the TSA's certificate when the request sets certReq, and no certificates field when it "
    "does not (RFC 3161 section 2.4.1).",
    check="pki.tsa.requests",
)
