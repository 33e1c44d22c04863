"""Expected-failures files: known gaps of a deployment, accepted until they are fixed, and no longer.

One check id per line, optionally followed by ``#`` and why it is expected (a ticket)::

    # Sandbox gaps, 2026-11
    registration.otp.resend_cooldown   # SANDBOX-412: no cooldown on the sandbox
    pki.ocsp.nonce                     # the sandbox's OCSP ignores nonces

A listed check that FAILS counts as an expected failure (the run passes). A listed check that does anything else
(PASSES, is SKIPPED, ends in ERROR) makes the run fail as *stale*: the gap is fixed or cannot be judged, so the
entry must go. An id that names no check at all is stale too. The list therefore cannot outlive its gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conformance import registry
from conformance.results import CheckResult, Report, Severity, Status


@dataclass
class ExpectedFailures:
    """Check id -> the note that explains why it is expected to fail."""

    entries: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> ExpectedFailures:
        entries: dict[str, str] = {}
        for raw in text.splitlines():
            line, _, note = raw.partition("#")
            check_id = line.strip()
            if check_id:
                entries[check_id] = note.strip()
        return cls(entries)

    @classmethod
    def load(cls, path: str | Path) -> ExpectedFailures:
        return cls.parse(Path(path).read_text(encoding="utf-8"))


def apply_expectations(report: Report, expected: ExpectedFailures) -> None:
    """Mark the listed results; add an ERROR result for each listed id that names no check of the run."""
    for result in report.results:
        mark(result, expected)
    report.results.extend(unknown_entries(expected, {r.id for r in report.results}))


def mark(result: CheckResult, expected: ExpectedFailures) -> None:
    """If ``expected`` lists the check, mark ``result`` as an expected failure, with the note of how it ended."""
    if result.id not in expected.entries:
        return
    result.expected_failure = True
    note = expected.entries[result.id]
    if result.status is Status.FAILED:
        result.expectation_note = f"expected failure{': ' + note if note else ''}"
    else:
        result.expectation_note = (
            f"stale expected failure: listed{' (' + note + ')' if note else ''} but ended "
            f"{result.status.value}; remove it from the expected-failures file"
        )


def unknown_entries(expected: ExpectedFailures, seen: set[str]) -> list[CheckResult]:
    """An ERROR result for each listed id that names no check at all (the checks the run left out are not judged)."""
    known = registry.discover()
    return [
        CheckResult(
            id=check_id,
            plan="expected-failures",
            module="stale",
            title=f"expected failure {check_id}",
            cites=("--expected-failures",),
            severity=Severity.MINOR,
            status=Status.ERROR,
            reason=f"stale expected failure: {check_id} names no check; remove it from the expected-failures file",
        )
        for check_id in sorted(set(expected.entries) - seen)
        if check_id not in known
    ]
