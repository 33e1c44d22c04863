"""Issuance and revocation rules of the CA core: bad input is refused and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mock_provider.core.clock import ManualClock
from mock_provider.core.errors import Conflict, InvalidInput, NotFound
from mock_provider.core.services import MockServices
from tests.helpers.pki import issue_person


def test_revocation_reasons_follow_rfc_5280(services: MockServices) -> None:
    record = issue_person(services)
    revision = services.pki.revision()
    with pytest.raises(InvalidInput) as caught:
        services.pki.revoke(record.id, "boredom")
    assert caught.value.code == "invalid_revocation_reason"
    with pytest.raises(InvalidInput):
        services.pki.revoke(record.id, "remove_from_crl")
    assert services.pki.revision() == revision
    assert services.pki.get_certificate(record.id).revoked_at is None


def test_double_revocation_is_a_conflict(services: MockServices) -> None:
    record = issue_person(services)
    first = services.pki.revoke(record.id, "cessation_of_operation")
    with pytest.raises(Conflict) as caught:
        services.pki.revoke(record.id, "key_compromise")
    assert caught.value.code == "certificate_already_revoked"
    again = services.pki.get_certificate(record.id)
    assert (again.revoked_at, again.revocation_reason) == (first.revoked_at, "cessation_of_operation")


def test_revocation_time_bounds(services: MockServices, clock: ManualClock) -> None:
    record = issue_person(services)
    with pytest.raises(InvalidInput, match="future"):
        services.pki.revoke(record.id, at=clock.now() + timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="precede"):
        services.pki.revoke(record.id, at=record.created_at - timedelta(minutes=1))
    clock.advance(timedelta(hours=2))
    backdated = services.pki.revoke(record.id, "key_compromise", at=clock.now() - timedelta(hours=1))
    assert backdated.revoked_at == clock.now() - timedelta(hours=1)


def test_unknown_certificate(services: MockServices) -> None:
    with pytest.raises(NotFound):
        services.pki.revoke("crt_doesnotexist")
    with pytest.raises(NotFound):
        services.pki.get_certificate("crt_doesnotexist")


def test_bad_level_and_algorithm_issue_nothing(services: MockServices) -> None:
    revision = services.pki.revision()
    with pytest.raises(InvalidInput) as caught:
        issue_person(services, "ultra")
    assert caught.value.code == "invalid_level"
    with pytest.raises(InvalidInput) as caught:
        issue_person(services, key_algorithm="dsa-1024")
    assert caught.value.code == "invalid_key_algorithm"
    assert services.pki.revision() == revision


def test_status_follows_the_clock(services: MockServices, clock: ManualClock) -> None:
    record = issue_person(services)
    issued = record.created_at
    clock.advance(timedelta(days=3))
    services.pki.revoke(record.id, "superseded")
    assert services.pki.status("person", record.serial, issued - timedelta(seconds=1)).state == "unknown"
    assert services.pki.status("person", record.serial, issued + timedelta(days=1)).state == "good"
    revoked = services.pki.status("person", record.serial, clock.now())
    assert (revoked.state, revoked.reason) == ("revoked", "superseded")
    assert services.pki.status("seal", record.serial, clock.now()).state == "unknown"
