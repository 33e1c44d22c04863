"""What a run produces: a result per check (status, severity, timing, exchanges) gathered in a :class:`Report`.

A check ends in exactly one :class:`Status`. A FAILED result carries the check's :class:`Severity`. Every result
keeps the HTTP exchanges the check made (already masked: see :mod:`conformance.http`), its messages and its
duration, so that the reports can show what was sent and received without re-running anything; a FAILED or ERROR
one also keeps a ``curl`` command reproducing the last request its check sent (:mod:`conformance.reproduce`).

A result's **outcome** is its status, except for a check listed in an expected-failures file: ``XFAIL`` when it
failed as expected, ``STALE`` when it did not. Reports count expected failures apart from FAILED.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Status(enum.StrEnum):
    """How a check ended."""

    PASSED = "PASSED"
    FAILED = "FAILED"  #: the target broke the rule
    WARNING = "WARNING"  #: the rule holds, but something around it deserves a look
    SKIPPED = "SKIPPED"  #: not run: the harness lacks a capability, or an earlier step made it moot (see reason)
    ERROR = "ERROR"  #: the check could not reach a verdict (unexpected answer shape, crash, unreachable target)


#: The outcome of an expected failure that failed as expected, and of one that did not (which fails the run).
XFAIL, STALE = "XFAIL", "STALE"
#: Every outcome a result may show, in the order reports list them.
OUTCOMES = (*(s.value for s in Status), XFAIL, STALE)


class Severity(enum.StrEnum):
    """How bad a failure of the check is."""

    CRITICAL = "CRITICAL"  #: security or legal validity at stake (PKCE, OTP, revocation, cross-account access)
    MAJOR = "MAJOR"  #: a rule of the user guide or a standard broken
    MINOR = "MINOR"  #: a detail (a message, a header) differs


@dataclass
class Exchange:
    """One HTTP request and its answer, secrets and codes masked, bodies cut to a readable size."""

    party: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None
    response_headers: dict[str, str]
    response_body: str | None
    duration_ms: float
    error: str | None = None
    #: False when the report holds the request body summarised (binary, multipart) or cut short.
    request_body_whole: bool = True

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckResult:
    """The verdict of one check. ``expected_failure`` is set when an expected-failures file lists the check."""

    id: str
    plan: str
    module: str
    title: str
    cites: tuple[str, ...]
    severity: Severity
    status: Status
    reason: str = ""
    messages: list[str] = field(default_factory=list)
    duration_ms: float = 0.0
    exchanges: list[Exchange] = field(default_factory=list)
    expected_failure: bool = False
    expectation_note: str = ""
    #: A smoke gate: its failure makes the run "unreachable" (see :attr:`Report.smoke_failed`).
    gate: bool = False
    #: For a FAILED or ERROR result: a ``curl`` command sending again the last request the check sent to the target,
    #: secrets masked (:mod:`conformance.reproduce`).
    reproduce: str = ""

    @property
    def outcome(self) -> str:
        """The status, or ``XFAIL`` for an expected failure that failed, ``STALE`` for one that did not."""
        if self.expected_failure:
            return XFAIL if self.status is Status.FAILED else STALE
        return self.status.value

    @property
    def counts_as_failure(self) -> bool:
        """True when this result makes the run fail (an expected FAILED does not; a stale expectation does)."""
        if self.expected_failure:
            return self.status is not Status.FAILED
        return self.status in (Status.FAILED, Status.ERROR)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "plan": self.plan,
            "module": self.module,
            "title": self.title,
            "cites": list(self.cites),
            "severity": self.severity.value,
            "status": self.status.value,
            "outcome": self.outcome,
            "reason": self.reason,
            "messages": self.messages,
            "duration_ms": round(self.duration_ms, 1),
            "gate": self.gate,
            "expected_failure": self.expected_failure,
            "expectation_note": self.expectation_note,
            "reproduce": self.reproduce,
            "exchanges": [e.as_json() for e in self.exchanges],
        }


#: Exit statuses of ``jesign-conformance run``.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


@dataclass
class Report:
    """Every result of one run, with what was run against what."""

    target: dict[str, Any]
    harness: str
    plans: list[str]
    started_at: str
    duration_s: float = 0.0
    results: list[CheckResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Results per outcome: per status, with the checks an expected-failures file lists apart (those that failed
        as expected under ``expected_failures``, not under FAILED; those that did not under
        ``stale_expectations``). The counts add up to the number of results."""
        counts = {status.value: 0 for status in Status}
        counts.update(expected_failures=0, stale_expectations=0)
        names = {XFAIL: "expected_failures", STALE: "stale_expectations"}
        for result in self.results:
            counts[names.get(result.outcome, result.outcome)] += 1
        return counts

    @property
    def smoke_failed(self) -> bool:
        """True when a smoke gate says the target cannot be reached or logged in to."""
        return any(r.gate and r.status in (Status.FAILED, Status.ERROR) for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.counts_as_failure]

    @property
    def exit_code(self) -> int:
        if self.smoke_failed:
            return EXIT_UNREACHABLE
        return EXIT_FAILED if self.failures else EXIT_OK

    @property
    def verdict(self) -> str:
        return {EXIT_OK: "conforms", EXIT_FAILED: "does not conform", EXIT_UNREACHABLE: "unreachable"}[self.exit_code]

    def result(self, check_id: str) -> CheckResult:
        for result in self.results:
            if result.id == check_id:
                return result
        raise KeyError(check_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "tool": "jesign-conformance",
            "target": self.target,
            "harness": self.harness,
            "plans": self.plans,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "counts": self.counts(),
            "results": [r.as_json() for r in self.results],
        }
