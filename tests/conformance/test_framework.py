"""The framework: registry, runner outcomes, masking, expected failures, reports, CLI."""

from __future__ import annotations

from conformance import run_conformance
from conformance.results import Status


def test_smoke_and_a_registration_check_pass_against_the_mock(mock_url: str) -> None:
    report = run_conformance(mock_url, plans=["registration"], only=["registration.identity.birth_date_required"])
    assert [r.status for r in report.results] == [Status.PASSED] * 4, [(r.id, r.reason) for r in report.results]
    assert report.exit_code == 0


def test_an_unreachable_target_is_told_apart_from_a_non_conforming_one() -> None:
    report = run_conformance("http://127.0.0.1:9", plans=["registration"], timeout=2)
    assert report.exit_code == 3
    assert report.verdict == "unreachable"
    others = [r for r in report.results if r.plan != "smoke"]
    assert others
    assert all(r.status is Status.SKIPPED for r in others)
