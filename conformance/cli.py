"""``jesign-conformance``: run conformance plans against a deployment, write the reports, compare them.

::

    jesign-conformance run --target http://127.0.0.1:8400 --report-dir build/conformance
    jesign-conformance run --target sandbox.toml --harness interactive --plan registration \\
        --expected-failures sandbox-gaps.txt
    jesign-conformance list --plan registration
    jesign-conformance compare build/mock/conformance-report.json build/sandbox/conformance-report.json

Exit status of ``run``: 0 the target conforms (expected failures aside), 1 a check failed or ended in error (or an
expected failure went stale), 2 bad usage (a target file with an unknown, missing or mistyped key, an unknown plan,
a harness the target cannot serve: nothing is sent), 3 the target cannot be reached or logged in to (a smoke gate
failed). Of ``compare``: 0 every check has the same outcome in every report, 1 some differ, 2 bad usage (a file that
cannot be read or is not a report).
"""

from __future__ import annotations

import json
import sys

import click

from conformance import registry
from conformance.results import STALE, XFAIL, CheckResult, Report, Status

_COLOURS = {
    Status.PASSED.value: "green",
    Status.FAILED.value: "red",
    Status.WARNING.value: "yellow",
    Status.SKIPPED.value: "bright_black",
    Status.ERROR.value: "magenta",
    XFAIL: "cyan",
    STALE: "red",
}
_INDENT = " " * 9


@click.group()
@click.version_option(package_name="jesign")
def main() -> None:
    """Check a jesign deployment against the registration, PKI, signing and security rules."""


@main.command()
@click.option(
    "--target",
    "target_spec",
    required=True,
    help="The deployment: a base URL (the mock's layout) or a target file (TOML).",
)
@click.option("--plan", "plans", multiple=True, help="A plan to run (repeatable). Default: every plan.")
@click.option(
    "--harness",
    type=click.Choice(["mock", "interactive"]),
    default="mock",
    show_default=True,
    help="Who does the human parts: the mock's control plane, or you at this terminal.",
)
@click.option("--report-dir", type=click.Path(file_okay=False), help="Write the JSON, JUnit and HTML reports here.")
@click.option(
    "--expected-failures",
    type=click.Path(exists=True, dir_okay=False),
    help="Known gaps (one check id per line); the run fails when a listed check no longer fails.",
)
@click.option("--only", multiple=True, help="Run only this check id or id prefix (repeatable).")
@click.option("--skip", multiple=True, help="Leave out this check id or id prefix (repeatable).")
@click.option("--timeout", type=float, default=15.0, show_default=True, help="Seconds to wait for each answer.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the checks that failed, one line each, and the summary.")
def run(
    target_spec: str,
    plans: tuple[str, ...],
    harness: str,
    report_dir: str | None,
    expected_failures: str | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    timeout: float,
    quiet: bool,
) -> None:
    """Run the plans against the target and report each check."""
    from conformance.harness import Harness, InteractiveHarness, MockHarness
    from conformance.reports import write_reports
    from conformance.runner import run_conformance
    from conformance.target import TargetError
    from conformance.target_file import load_target

    try:
        target = load_target(target_spec)
    except TargetError as exc:
        raise click.BadParameter(str(exc), param_hint="'--target'") from exc
    chosen: Harness = MockHarness() if harness == "mock" else InteractiveHarness()

    def progress(result: CheckResult) -> None:
        if not quiet:
            click.echo(_progress_line(result))

    try:
        report = run_conformance(
            target,
            plans=plans or None,
            harness=chosen,
            only=only,
            skip=skip,
            expected_failures=expected_failures,
            progress=progress,
            timeout=timeout,
        )
    except TargetError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(_summary(report, quiet=quiet))
    if report_dir:
        for kind, path in write_reports(report, report_dir).items():
            click.echo(f"{kind} report: {path}")
    sys.exit(report.exit_code)


def _label(result: CheckResult) -> str:
    return click.style(f"{result.outcome:<8}", fg=_COLOURS[result.outcome], bold=True)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _progress_line(result: CheckResult) -> str:
    """A check as it ends: its outcome, id and time; unless it passed, why (and how to send its request again)."""
    line = f"{_label(result)} {result.id}  ({result.duration_ms:.0f} ms)"
    why = _first_line(result.reason)
    if result.status is not Status.PASSED and why:
        line += f"\n{_INDENT}{why}"
    if result.expectation_note:
        line += f"\n{_INDENT}{result.expectation_note}"
    if result.reproduce:
        line += f"\n{_INDENT}reproduce: " + result.reproduce.replace("\n", f"\n{_INDENT}")
    return line


def _summary(report: Report, *, quiet: bool) -> str:
    """Each check that fails the run, one line apiece (id and first line of the reason), then the verdict. After
    the progress lines (not ``quiet``), a blank line first."""
    lines = [] if quiet else [""]
    failures = report.failures
    if failures:
        lines.append(f"{len(failures)} check{'s' if len(failures) > 1 else ''} made the run fail:")
        for result in failures:
            why = result.expectation_note if result.outcome == STALE else result.reason
            severity = f" [{result.severity.value}]" if result.status is Status.FAILED else ""
            lines.append(f"{_label(result)} {result.id}{severity}: {_first_line(why)}")
        lines.append("")
    counts = ", ".join(f"{v} {k.lower().replace('_', ' ')}" for k, v in report.counts().items() if v)
    lines.append(f"{report.verdict.upper()}: {len(report.results)} checks in {report.duration_s:.2f} s ({counts})")
    return "\n".join(lines)


@main.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(reports: tuple[str, ...], as_json: bool) -> None:
    """Put two or more JSON reports (conformance-report.json) side by side: each check's outcome in each, the
    checks that differ first. Exit status 0 when every outcome is the same, 1 when some differ."""
    from conformance.compare import ReportError, load_report
    from conformance.compare import compare as line_up

    if len(reports) < 2:
        raise click.BadParameter("give two reports or more", param_hint="REPORTS")
    try:
        comparison = line_up([load_report(path) for path in reports])
    except ReportError as exc:
        raise click.BadParameter(str(exc), param_hint="REPORTS") from exc
    if as_json:
        click.echo(json.dumps(comparison.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(comparison.render_text(), nl=False)
    sys.exit(1 if comparison.differs else 0)


@main.command("list")
@click.option("--plan", "plans", multiple=True, help="Only this plan (repeatable).")
def list_checks(plans: tuple[str, ...]) -> None:
    """List the checks: id, severity, what the harness must offer, title."""
    for found in registry.checks_of(plans or registry.plans()):
        needs = f" [needs {', '.join(found.needs)}]" if found.needs else ""
        click.echo(f"{found.id:<55} {found.severity.value:<8} {found.title}{needs}")
