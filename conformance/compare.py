"""JSON reports side by side: per check, its outcome in each report, the checks whose outcome differs first.

For the mock against a sandbox, a deployment before and after a change, or a run with and without a setting::

    jesign-conformance compare build/mock/conformance-report.json build/sandbox/conformance-report.json

:func:`load_report` reads one ``conformance-report.json`` (a :class:`ReportError` when the file cannot be read or is
not a report of ``jesign-conformance run``); :func:`compare` lines up two or more of them. An outcome is the
result's status, or ``XFAIL`` / ``STALE`` for a check listed as an expected failure (see
:attr:`conformance.results.CheckResult.outcome`); a check that a report does not hold (another plan, ``--only``)
shows ``-`` there, which is a difference too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.results import OUTCOMES, STALE, XFAIL, Status

#: How a check absent from a report is shown.
ABSENT = "-"


class ReportError(ValueError):
    """The file cannot be read, or is not a JSON report of ``jesign-conformance run``."""


@dataclass(frozen=True)
class LoadedReport:
    """What a comparison shows of one report: where it came from, what it judged, and each check's outcome."""

    path: str
    target: str
    started_at: str
    verdict: str
    outcomes: dict[str, str]


def load_report(path: str | Path) -> LoadedReport:
    """Read the JSON report at ``path``: each result's outcome (derived from its status for a report written before
    outcomes were recorded)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"{path}: cannot be read ({exc.strerror})") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReportError(f"{path}: not JSON ({exc})") from exc
    is_report = isinstance(data, dict) and data.get("tool") == "jesign-conformance"
    if not is_report or not isinstance(data.get("results"), list):
        raise ReportError(f"{path}: not a jesign-conformance JSON report (conformance-report.json)")
    outcomes = {}
    for index, result in enumerate(data["results"]):
        outcome = _outcome(result)
        if outcome is None:
            raise ReportError(f"{path}: results[{index}] is not a check's result (an id and a status)")
        outcomes[str(result["id"])] = outcome
    target = data.get("target")
    return LoadedReport(
        path=str(path),
        target=str(target.get("name", "")) if isinstance(target, dict) else "",
        started_at=str(data.get("started_at", "")),
        verdict=str(data.get("verdict", "")),
        outcomes=outcomes,
    )


def _outcome(result: Any) -> str | None:
    if not isinstance(result, dict) or not isinstance(result.get("id"), str):
        return None
    status = result.get("status")
    if status not in {s.value for s in Status}:
        return None
    outcome = result.get("outcome")
    if outcome in OUTCOMES:
        return str(outcome)
    if result.get("expected_failure"):
        return XFAIL if status == Status.FAILED.value else STALE
    return str(status)


@dataclass(frozen=True)
class Row:
    """One check: its outcome in each report, in the reports' order (:data:`ABSENT` where a report lacks it)."""

    id: str
    outcomes: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return len(set(self.outcomes)) > 1


@dataclass(frozen=True)
class Comparison:
    reports: tuple[LoadedReport, ...]
    #: The checks whose outcome differs first, then the others; each group in the order the reports ran them.
    rows: tuple[Row, ...]

    @property
    def differences(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.differs)

    @property
    def differs(self) -> bool:
        return bool(self.differences)

    def as_json(self) -> dict[str, Any]:
        return {
            "reports": [
                {"path": r.path, "target": r.target, "started_at": r.started_at, "verdict": r.verdict}
                for r in self.reports
            ],
            "differ": self.differs,
            "differences": len(self.differences),
            "checks": [{"id": row.id, "outcomes": list(row.outcomes), "differs": row.differs} for row in self.rows],
        }

    def render_text(self) -> str:
        """The reports numbered, then a table: a column per report, the checks that differ first."""
        lines = [f"[{n}] {r.path}: {r.target}, {r.started_at}, {r.verdict}" for n, r in enumerate(self.reports, 1)]
        width = max([len("check"), *(len(row.id) for row in self.rows)])
        columns = max(len(o) for o in (*OUTCOMES, ABSENT))
        header = "check".ljust(width) + "".join(f"  {f'[{n}]':<{columns}}" for n in range(1, len(self.reports) + 1))

        def table(title: str, rows: tuple[Row, ...]) -> None:
            if rows:
                lines.extend(["", title, header.rstrip()])
                lines.extend(
                    (row.id.ljust(width) + "".join(f"  {o:<{columns}}" for o in row.outcomes)).rstrip() for row in rows
                )

        differing = self.differences
        table(f"{len(differing)} of {len(self.rows)} checks differ:", differing)
        table(
            f"{len(self.rows) - len(differing)} checks have the same outcome in every report:",
            tuple(row for row in self.rows if not row.differs),
        )
        return "\n".join(lines) + "\n"


def compare(reports: list[LoadedReport]) -> Comparison:
    """Line up ``reports`` (two or more) check by check."""
    if len(reports) < 2:
        raise ReportError("compare needs two reports or more")
    ids: dict[str, None] = {}
    for report in reports:
        ids.update(dict.fromkeys(report.outcomes))
    rows = [Row(check_id, tuple(r.outcomes.get(check_id, ABSENT) for r in reports)) for check_id in ids]
    return Comparison(tuple(reports), tuple([r for r in rows if r.differs] + [r for r in rows if not r.differs]))
