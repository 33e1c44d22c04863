"""``jesign-conformance``: run conformance plans against a deployment and write the reports.

::

    jesign-conformance run --target http://127.0.0.1:8400 --report-dir build/conformance
    jesign-conformance run --target sandbox.toml --harness interactive --plan registration \\
        --expected-failures sandbox-gaps.txt
    jesign-conformance list --plan registration

Exit status: 0 the target conforms (expected failures aside), 1 a check failed or ended in error (or an expected
failure went stale), 2 bad usage (a target file with an unknown, missing or mistyped key, an unknown plan, a harness
the target cannot serve: nothing is sent), 3 the target cannot be reached or logged in to (a smoke gate failed).
"""

from __future__ import annotations

import sys

import click

from conformance import registry
from conformance.results import CheckResult, Status

_COLOURS = {
    Status.PASSED: "green",
    Status.FAILED: "red",
    Status.WARNING: "yellow",
    Status.SKIPPED: "bright_black",
    Status.ERROR: "magenta",
}


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
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
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
        if quiet:
            return
        status = click.style(f"{result.status.value:<8}", fg=_COLOURS[result.status], bold=True)
        line = f"{status} {result.id}  ({result.duration_ms:.0f} ms)"
        if result.status is not Status.PASSED and result.reason:
            line += f"\n         {result.reason.splitlines()[0]}"
        click.echo(line)

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
    for result in report.results:
        if result.expectation_note and (result.status is not Status.FAILED or not quiet):
            click.echo(f"{result.id}: {result.expectation_note}")
    counts = ", ".join(f"{v} {k.lower()}" for k, v in report.counts().items() if v)
    click.echo(f"\n{report.verdict.upper()}: {len(report.results)} checks in {report.duration_s:.2f} s ({counts})")
    if report_dir:
        for kind, path in write_reports(report, report_dir).items():
            click.echo(f"{kind} report: {path}")
    sys.exit(report.exit_code)


@main.command("list")
@click.option("--plan", "plans", multiple=True, help="Only this plan (repeatable).")
def list_checks(plans: tuple[str, ...]) -> None:
    """List the checks: id, severity, what the harness must offer, title."""
    for found in registry.checks_of(plans or registry.plans()):
        needs = f" [needs {', '.join(found.needs)}]" if found.needs else ""
        click.echo(f"{found.id:<55} {found.severity.value:<8} {found.title}{needs}")
