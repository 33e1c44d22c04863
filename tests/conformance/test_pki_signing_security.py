"""The judgements of :mod:`conformance.pkix` (and the security plan's of RFC 9457 problems), on both sides.

That each of their switches is caught, and that they pass on the healthy mock, is proven by the generic tests
(``test_breakages_caught.py``, ``test_cli.py``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import requests
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from conformance import pkix
from conformance.plans.security import problem_findings
from mock_provider.core.pki import profiles
from mock_provider.core.services import MockServices
from tests.helpers.pki import ECMA, issue_person


def test_each_level_is_judged_against_its_own_profile(services: MockServices) -> None:
    certificates = {level: issue_person(services, level).certificate for level in profiles.LEVELS}
    for level, cert in certificates.items():
        assert pkix.level_findings(cert, level) == []
    assert any("QcSSCD" in f for f in pkix.level_findings(certificates["qcp"], "qcpnqscd"))
    assert any("QcCompliance" in f for f in pkix.level_findings(certificates["lcp"], "qcp"))
    assert any("claims QcCompliance" in f for f in pkix.level_findings(certificates["qcp"], "lcp"))


def test_a_seal_is_not_a_natural_person_and_the_reverse(services: MockServices) -> None:
    seal = services.pki.issue_seal(ECMA).certificate
    person = issue_person(services).certificate
    assert pkix.seal_findings(seal) == []
    assert pkix.natural_person_subject_findings(person) == []
    assert any("organizationIdentifier" in f for f in pkix.seal_findings(person))
    assert any("serialNumber" in f for f in pkix.natural_person_subject_findings(seal))


def test_a_chain_with_another_issuer_does_not_verify(services: MockServices) -> None:
    hierarchy = services.pki.hierarchy()
    person = issue_person(services).certificate
    root = hierarchy[profiles.ROOT].certificate
    now = datetime.now(UTC)
    assert pkix.chain_findings([person, hierarchy[profiles.PERSON_CA].certificate], root, now) == []
    assert pkix.chain_findings([person, hierarchy[profiles.SEAL_CA].certificate], root, now)


def test_a_validity_is_judged_against_its_issuers_at_both_ends(services: MockServices) -> None:
    hierarchy = services.pki.hierarchy()
    ca = hierarchy[profiles.PERSON_CA].certificate
    root = hierarchy[profiles.ROOT].certificate
    person = issue_person(services).certificate
    assert pkix.validity_nesting_findings(person, ca) == []
    assert pkix.validity_nesting_findings(ca, root) == []
    # The CA begins a day before the person's certificate (the hierarchy is backdated) and ends years after it.
    reversed_ = pkix.validity_nesting_findings(ca, person)
    assert any("before its issuer" in f for f in reversed_)
    assert any("after its issuer" in f for f in reversed_)
    outliving = issue_person(services, validity_days=365 * 16).certificate
    assert [f for f in pkix.validity_nesting_findings(outliving, ca) if "after its issuer" in f]
    assert not [f for f in pkix.validity_nesting_findings(outliving, ca) if "before its issuer" in f]


def test_an_ocsp_answer_is_judged_on_status_serial_and_nonce(services: MockServices) -> None:
    person = issue_person(services)
    issuer = services.pki.hierarchy()[profiles.PERSON_CA].certificate
    nonce = pkix.new_nonce()
    answer = services.ocsp.respond(pkix.ocsp_request(person.certificate, issuer, nonce=nonce)).der
    now = datetime.now(UTC)
    assert pkix.ocsp_findings(answer, person.serial, issuer, expected="good", at=now, nonce=nonce) == []
    assert pkix.ocsp_findings(answer, person.serial, issuer, expected="revoked", at=now)
    assert pkix.ocsp_findings(answer, person.serial + 1, issuer, expected="good", at=now)
    assert pkix.ocsp_findings(answer, person.serial, issuer, expected="good", at=now, nonce=b"another nonce")
    assert pkix.ocsp_findings(b"not DER", person.serial, issuer, expected="good", at=now)


def test_a_time_stamp_token_without_its_certificate_is_not_judged_valid(services: MockServices) -> None:
    digest = hashlib.sha256(b"x").digest()
    query = tsp.TimeStampReq(
        {"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest}}
    )
    token, why = pkix.tsa_token(services.tsa.respond(query.dump()).der)
    assert token is not None, why
    assert pkix.tsa_signature_findings(token) == ["the TSA certificate is not in the token (certReq was set)"]
    tsa = services.pki.hierarchy()[profiles.TSA].certificate
    assert pkix.tsa_signature_findings(token, [tsa]) == []
    assert pkix.tsa_token(b"\x30\x00")[0] is None


# -- values, not presence: both sides of each judgement -----------------------------------------------------------


def test_an_ocsp_answer_must_answer_the_cert_id_asked_and_name_its_signer(services: MockServices) -> None:
    person = issue_person(services)
    other = issue_person(services)
    issuer = services.pki.hierarchy()[profiles.PERSON_CA].certificate
    request = pkix.ocsp_request(person.certificate, issuer)
    answer = services.ocsp.respond(request).der
    assert pkix.ocsp_cert_id_findings(answer, request) == []
    assert pkix.ocsp_responder_id_findings(answer, issuer) == []
    asked_other = pkix.ocsp_request(other.certificate, issuer)
    assert any("serialNumber" in f for f in pkix.ocsp_cert_id_findings(answer, asked_other))
    sha256 = pkix.ocsp_request(person.certificate, issuer, algorithm=hashes.SHA256())
    found = pkix.ocsp_cert_id_findings(answer, sha256)
    assert any("hashed with sha1" in f for f in found)
    assert any("issuerKeyHash" in f for f in found)
    # the signer is found by its signature, whatever the ResponderID says; judged against another CA, it is a
    # responder that this CA never authorized
    response = x509.ocsp.load_der_ocsp_response(answer)
    assert pkix.ocsp_signer(response, issuer) is not None
    seal_ca = services.pki.hierarchy()[profiles.SEAL_CA].certificate
    assert pkix.ocsp_signature_findings(response, seal_ca) != []


def test_an_ocsp_answer_is_dated_against_the_targets_clock(services: MockServices) -> None:
    person = issue_person(services)
    issuer = services.pki.hierarchy()[profiles.PERSON_CA].certificate
    answer = services.ocsp.respond(pkix.ocsp_request(person.certificate, issuer)).der
    now = services.clock.now()
    bounds = {"max_age": timedelta(days=4), "max_validity": timedelta(days=10)}
    assert pkix.ocsp_time_findings(answer, at=now, **bounds) == []
    weeks_later = pkix.ocsp_time_findings(answer, at=now + timedelta(days=21), **bounds)
    assert any("thisUpdate" in f and "more than" in f for f in weeks_later)
    assert any("nextUpdate" in f and "passed" in f for f in weeks_later)
    earlier = pkix.ocsp_time_findings(answer, at=now - timedelta(hours=1), **bounds)
    assert any("after the target's clock" in f for f in earlier)
    assert any(
        "longer than" in f
        for f in pkix.ocsp_time_findings(answer, at=now, max_age=bounds["max_age"], max_validity=timedelta(minutes=1))
    )


def _crl(
    key: ec.EllipticCurvePrivateKey, number: int, when: datetime, revoked: int | None = None
) -> x509.CertificateRevocationList:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "CA")])
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(name)
        .last_update(when)
        .next_update(when + timedelta(days=1))
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    if revoked is not None:
        entry = x509.RevokedCertificateBuilder().serial_number(revoked).revocation_date(when).build()
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(key, hashes.SHA256())


def test_crl_numbers_must_grow_from_one_crl_to_a_different_one() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC).replace(microsecond=0)
    first, second = _crl(key, 1, now), _crl(key, 2, now + timedelta(minutes=1), revoked=7)
    assert pkix.crl_sequence_findings([first, first, second]) == []
    assert any("went down" in f for f in pkix.crl_sequence_findings([second, first]))
    same_number = _crl(key, 1, now + timedelta(minutes=1), revoked=7)
    assert any("same CRL number" in f for f in pkix.crl_sequence_findings([first, same_number]))


def test_a_crl_entry_is_judged_on_its_reason_and_date(services: MockServices) -> None:
    person = issue_person(services)
    before = services.clock.now()
    services.pki.revoke(person.id, "key_compromise")
    crl = x509.load_der_x509_crl(services.crl.crl(profiles.PERSON_CA))
    window = (before, services.clock.now())
    assert (
        pkix.crl_entry_findings(crl, person.serial, reason=x509.ReasonFlags.key_compromise, revoked_between=window)
        == []
    )
    assert pkix.crl_entry_findings(crl, person.serial, reason=x509.ReasonFlags.superseded, revoked_between=window)
    day_later = (before + timedelta(days=1), before + timedelta(days=1))
    assert pkix.crl_entry_findings(
        crl, person.serial, reason=x509.ReasonFlags.key_compromise, revoked_between=day_later
    )
    assert pkix.crl_entry_findings(
        crl, person.serial + 1, reason=x509.ReasonFlags.key_compromise, revoked_between=window
    )
    issuer = services.pki.hierarchy()[profiles.PERSON_CA].certificate
    assert pkix.crl_authority_key_findings(crl, issuer) == []
    assert pkix.crl_authority_key_findings(crl, services.pki.hierarchy()[profiles.SEAL_CA].certificate)


def test_a_time_stamp_token_is_judged_on_its_signer_time_and_policy(services: MockServices) -> None:
    query = pkix.tsa_request(hashlib.sha256(b"x").digest(), nonce=7)
    token, why = pkix.tsa_token(services.tsa.respond(query).der)
    assert token is not None, why
    assert pkix.tsa_signing_certificate_findings(token) == []
    now = services.clock.now()
    assert pkix.tsa_time_findings(token, at=now, leeway=timedelta(seconds=1)) == []
    assert pkix.tsa_time_findings(token, at=now + timedelta(minutes=5), leeway=timedelta(seconds=1))
    refused = pkix.read_tsa_reply(services.tsa.respond(pkix.tsa_request(b"\0" * 32, nonce=None, policy="2.25.1")).der)
    assert not isinstance(refused, str)
    assert not refused.granted
    assert "unaccepted_policy" in refused.fail_info
    # without certReq the token does not carry its certificate: the suite compares with the one it is given
    bare = pkix.tsa_token(services.tsa.respond(pkix.tsa_request(b"\1" * 32, nonce=None, cert_req=False)).der)[0]
    assert bare is not None
    assert pkix.tsa_signing_certificate_findings(bare) != []
    tsa = services.pki.hierarchy()[profiles.TSA].certificate
    assert pkix.tsa_signing_certificate_findings(bare, [tsa]) == []


def test_a_problem_is_judged_member_by_member() -> None:
    body = {
        "type": "https://jesign.dev/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "no such thing",
        "code": "not_found",
        "request_id": "req_1",
    }
    good = _response(404, body, "application/problem+json", "req_1")
    assert problem_findings(good) == []
    assert any(
        "status" in f
        for f in problem_findings(_response(404, {**body, "status": 400}, "application/problem+json", "req_1"))
    )
    assert any("request_id" in f for f in problem_findings(_response(404, body, "application/problem+json", "req_2")))
    assert any(
        "application/problem+json" in f for f in problem_findings(_response(404, body, "application/json", "req_1"))
    )
    assert any(
        "code" in f
        for f in problem_findings(_response(404, {**body, "code": "NotFound"}, "application/problem+json", "req_1"))
    )


def _response(status: int, body: dict[str, object], media_type: str, request_id: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers["Content-Type"] = media_type
    response.headers["X-Request-Id"] = request_id
    response._content = json.dumps(body).encode()
    return response


def test_the_extensions_of_each_kind_of_certificate_are_judged(services: MockServices) -> None:
    hierarchy = services.pki.hierarchy()
    kinds = {
        profiles.ROOT: "ca",
        profiles.PERSON_CA: "ca",
        profiles.SEAL_CA: "ca",
        profiles.OCSP_PERSON: "ocsp_responder",
        profiles.OCSP_SEAL: "ocsp_responder",
        profiles.TSA: "tsa",
    }
    for role, kind in kinds.items():
        assert pkix.extension_findings(hierarchy[role].certificate, kind) == [], role
    person = issue_person(services).certificate
    assert pkix.extension_findings(person, "end_entity") == []
    assert any("without basicConstraints" in f for f in pkix.extension_findings(person, "ca"))
    assert any("keyCertSign" in f for f in pkix.extension_findings(hierarchy[profiles.PERSON_CA].certificate, "tsa"))
    assert any("digitalSignature" in f for f in pkix.extension_findings(person, "ocsp_responder"))


def _with_key_usage(base: x509.Certificate, **bits: bool) -> x509.Certificate:
    """``base`` re-signed by a throwaway key with only the keyUsage ``bits`` (critical) among its extensions."""
    key = ec.generate_private_key(ec.SECP256R1())
    usage = {
        name: bits.get(name, False)
        for name in (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        )
    }
    builder = (
        x509.CertificateBuilder()
        .subject_name(base.subject)
        .issuer_name(base.issuer)
        .public_key(key.public_key())
        .serial_number(base.serial_number)
        .not_valid_before(base.not_valid_before_utc)
        .not_valid_after(base.not_valid_after_utc)
        .add_extension(x509.KeyUsage(**usage), critical=True)
    )
    return builder.sign(key, hashes.SHA256())


def test_a_signing_key_usage_is_judged_against_the_settings_of_en_319_412_2(services: MockServices) -> None:
    person = issue_person(services).certificate
    assert pkix.key_usage_findings(person) == []
    assert pkix.key_usage_type(person) == "A"
    type_b = _with_key_usage(person, content_commitment=True, digital_signature=True)
    assert (pkix.key_usage_findings(type_b), pkix.key_usage_type(type_b)) == ([], "B")
    type_f = _with_key_usage(person, content_commitment=True, digital_signature=True, key_agreement=True)
    assert (pkix.key_usage_findings(type_f), pkix.key_usage_type(type_f)) == ([], "F")
    for wrong in (
        {"content_commitment": True, "key_encipherment": True},  # no digitalSignature: not F
        {"content_commitment": True, "digital_signature": True, "data_encipherment": True},
        {"digital_signature": True},  # type C: no nonRepudiation
    ):
        cert = _with_key_usage(person, **wrong)
        assert pkix.key_usage_findings(cert), wrong
        assert pkix.key_usage_type(cert) is None, wrong


def test_an_end_entity_marks_its_policies_and_qc_statements_non_critical(services: MockServices) -> None:
    person = issue_person(services).certificate
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(person.subject)
        .issuer_name(person.issuer)
        .public_key(key.public_key())
        .serial_number(person.serial_number)
        .not_valid_before(person.not_valid_before_utc)
        .not_valid_after(person.not_valid_after_utc)
    )
    for extension in person.extensions:
        critical = extension.critical or extension.oid in (
            x509.CertificatePolicies.oid,
            pkix.certificates.QC_STATEMENTS,
        )
        builder = builder.add_extension(extension.value, critical=critical)
    both = builder.sign(key, hashes.SHA256())
    found = pkix.extension_findings(both, "end_entity")
    assert any("certificatePolicies is critical" in f for f in found)
    assert any("qcStatements is critical" in f for f in found)
    # RFC 5280 leaves a CA's certificatePolicies critical or not; the qcStatements rule holds for any certificate.
    as_ca = pkix.extension_findings(both, "tsa")
    assert not any("certificatePolicies" in f for f in as_ca)
    assert any("qcStatements is critical" in f for f in as_ca)
