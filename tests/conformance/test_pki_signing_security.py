"""The judgements of :mod:`conformance.pkix`, which the pki and signing plans make.

That each of their switches is caught, and that they pass on the healthy mock, is proven by the generic tests
(``test_breakages_caught.py``, ``test_cli.py``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from asn1crypto import tsp

from conformance import pkix
from mock_provider.core.pki import profiles
from mock_provider.core.services import MockServices
from tests.mock_provider.pki_helpers import ECMA, issue_person


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
