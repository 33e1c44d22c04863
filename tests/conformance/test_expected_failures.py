"""Expected-failures files: a listed gap that fails is accepted; one that no longer fails fails the run."""

from __future__ import annotations

from pathlib import Path

from conformance import ExpectedFailures, MockHarness, run_conformance
from conformance.results import Status

CHECK = "registration.otp.resend_cooldown"


def _file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "gaps.txt"
    path.write_text("# known gaps\n" + "\n".join(lines) + "\n")
    return path


def test_parse_keeps_the_notes() -> None:
    parsed = ExpectedFailures.parse("# header\nregistration.otp.lockout   # TICKET-1: no lockout\n\npki.x.y\n")
    assert parsed.entries == {"registration.otp.lockout": "TICKET-1: no lockout", "pki.x.y": ""}


def test_a_listed_gap_that_fails_is_accepted(mock_url: str, tmp_path: Path) -> None:
    report = run_conformance(
        mock_url,
        plans=["registration"],
        only=["registration.otp"],
        harness=MockHarness(breakages=("no_resend_cooldown",)),
        # With no cooldown at all, the check of its limits fails as well: both are the sandbox's one gap.
        expected_failures=_file(tmp_path, f"{CHECK}  # SANDBOX-412", f"{CHECK}_limits  # SANDBOX-412"),
    )
    result = report.result(CHECK)
    assert result.status is Status.FAILED
    assert result.expected_failure
    assert "SANDBOX-412" in result.expectation_note
    assert report.exit_code == 0
    assert report.counts()["expected_failures"] == 2


def test_a_listed_gap_that_no_longer_fails_fails_the_run(mock_url: str, tmp_path: Path) -> None:
    report = run_conformance(mock_url, plans=["registration"], only=[CHECK], expected_failures=_file(tmp_path, CHECK))
    result = report.result(CHECK)
    assert result.status is Status.PASSED
    assert result.counts_as_failure
    assert "stale" in result.expectation_note
    assert report.exit_code == 1


def test_an_entry_naming_no_check_is_stale(mock_url: str, tmp_path: Path) -> None:
    report = run_conformance(
        mock_url, plans=["registration"], only=[CHECK], expected_failures=_file(tmp_path, "registration.no.such")
    )
    assert report.result("registration.no.such").status is Status.ERROR
    assert report.exit_code == 1
