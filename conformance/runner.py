"""Running plans against a target: the smoke module first, then each plan's checks in order, into a report.

:func:`run_conformance` is the one entry point (the CLI and the pytest plugin call it)::

    from conformance import run_conformance
    report = run_conformance("http://127.0.0.1:8400", plans=["registration"])
    assert report.exit_code == 0, [r.id for r in report.failures]

A target the harness cannot serve (the mock harness and no ``control`` party) is a :class:`TargetError` before any
request. Each result is marked against the expected-failures file as it ends (so that progress shows ``XFAIL``), and
a FAILED or ERROR one gets the ``curl`` command of the last request its check sent (:mod:`conformance.reproduce`).

The smoke checks (plan ``smoke``) always run first. When one of its gates fails, the target cannot be reached or
logged in to, and every other check is SKIPPED with that reason: a run never reports "does not conform" for "is
down". Its other checks (what the login answered) judge conformance like any check. At each
plan's start a harness that can ``reset`` the deployment does so (each plan starts from the seed).
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import registry
from conformance.context import CheckContext, CheckFailed, CheckSkipped, FixtureFailed, UnexpectedAnswer
from conformance.expected import ExpectedFailures, mark, unknown_entries
from conformance.harness import Harness, HarnessError, MockHarness
from conformance.http import RecordingClient
from conformance.oidc import LoginError
from conformance.reproduce import curl_command, failing_request
from conformance.results import CheckResult, Report, Status
from conformance.target import AbsentFromTarget, Target, TargetError
from conformance.target_file import load_target

#: Called after each check (the CLI prints progress with it).
Progress = Callable[[CheckResult], None]


def run_conformance(
    target: Target | str | Path,
    *,
    plans: Iterable[str] | None = None,
    harness: Harness | None = None,
    only: Iterable[str] = (),
    skip: Iterable[str] = (),
    expected_failures: ExpectedFailures | str | Path | None = None,
    progress: Progress | None = None,
    timeout: float = 15.0,
) -> Report:
    """Run ``plans`` (all by default) against ``target`` (a :class:`Target`, a base URL or a target file).

    ``harness`` defaults to :class:`MockHarness`. ``only`` and ``skip`` take check ids or id prefixes.
    """
    resolved = target if isinstance(target, Target) else load_target(target)
    harness = harness or MockHarness()
    missing = sorted(harness.parties - resolved.parties.keys())
    if missing:  # said before any request: the harness could not do its part in any check
        where = f"[parties] in {resolved.source}" if resolved.source else "the target's parties"
        raise TargetError(
            f"the {harness.name} harness needs the {', '.join(map(repr, missing))} party, which {where} does not "
            "name: add it, or choose another harness (--harness interactive)"
        )
    all_plans = registry.plans()
    chosen = [p for p in (list(plans) if plans is not None else all_plans) if p != "smoke"]
    unknown = sorted(set(chosen) - set(all_plans))
    if unknown:
        raise TargetError(f"unknown plan(s): {', '.join(unknown)} (known: {', '.join(all_plans)})")
    expectations = (
        expected_failures
        if isinstance(expected_failures, ExpectedFailures) or expected_failures is None
        else ExpectedFailures.load(expected_failures)
    )
    http = RecordingClient(resolved, timeout=timeout)
    harness.bind(http)
    for secret in (resolved.oidc.client_secret, resolved.operator.client_secret):
        http.add_secret(secret)
    report = Report(
        target=resolved.describe(),
        harness=harness.name,
        plans=["smoke", *chosen],
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    started = time.perf_counter()
    expected = expectations or ExpectedFailures()
    try:
        _run_plans(report, chosen, resolved, http, harness, only=only, skip=skip, expected=expected, progress=progress)
    finally:
        with contextlib.suppress(Exception):  # the verdicts stand even if the harness cannot tidy up
            harness.finish()
    report.duration_s = time.perf_counter() - started
    for result in unknown_entries(expected, {r.id for r in report.results}):
        report.results.append(result)
        if progress is not None:
            progress(result)
    return report


def _run_plans(
    report: Report,
    chosen: list[str],
    resolved: Target,
    http: RecordingClient,
    harness: Harness,
    *,
    only: Iterable[str],
    skip: Iterable[str],
    expected: ExpectedFailures,
    progress: Progress | None,
) -> None:
    for plan in ["smoke", *chosen]:
        checks = registry.select(registry.checks_of([plan]), only=only if plan != "smoke" else (), skip=skip)
        if not checks:
            continue
        plan_state: dict[str, Any] = {}
        reset_error = _reset(harness) if plan != "smoke" and not report.smoke_failed else None
        for check in checks:
            if report.smoke_failed and plan != "smoke":
                result = _skipped(check, "the smoke gates failed: the target cannot be reached or logged in to")
            elif reset_error is not None:
                result = _result(check, Status.ERROR, reason=f"resetting the deployment failed: {reset_error}")
            else:
                result = run_check(check, resolved, http, harness, plan_state)
            mark(result, expected)
            report.results.append(result)
            if progress is not None:
                progress(result)


def _reset(harness: Harness) -> str | None:
    if "reset" not in harness.capabilities:
        return None
    try:
        harness.reset()
    except Exception as exc:
        return str(exc)
    return None


def run_check(
    check: registry.Check, target: Target, http: RecordingClient, harness: Harness, plan_state: dict[str, Any]
) -> CheckResult:
    """Run one check and turn how it ended into a :class:`CheckResult`."""
    missing = [need for need in check.needs if need not in harness.capabilities]
    if missing:
        return _skipped(check, f"the {harness.name} harness cannot provide: {', '.join(missing)}")
    http.record = []
    ctx = CheckContext(target=target, http=http, harness=harness, plan_state=plan_state)
    started = time.perf_counter()
    status, reason = Status.PASSED, ""
    try:
        check.function(ctx)
        if ctx.warnings:
            status, reason = Status.WARNING, "; ".join(ctx.warnings)
    except CheckFailed as exc:
        status, reason = Status.FAILED, str(exc)
    except (CheckSkipped, AbsentFromTarget) as exc:
        status, reason = Status.SKIPPED, str(exc)
    except (UnexpectedAnswer, FixtureFailed, HarnessError, LoginError, TargetError) as exc:
        status, reason = Status.ERROR, str(exc)
    except Exception as exc:
        tail = traceback.format_exception(exc)[-3:]
        status, reason = Status.ERROR, f"{type(exc).__name__}: {exc}\n{''.join(tail)}"
    finally:
        try:
            harness.after_check()
        except Exception as exc:  # the verdict stands; say that the harness could not tidy up
            ctx.note(f"the harness could not restore its state: {exc}")
    result = _result(check, status, reason=http.mask_text(reason))
    result.duration_ms = (time.perf_counter() - started) * 1000
    result.messages = [http.mask_text(m) for m in ctx.messages + ctx.warnings]
    result.exchanges = http.record
    http.record = []
    if status in (Status.FAILED, Status.ERROR):
        failing = failing_request(result.exchanges, harness.parties)
        result.reproduce = curl_command(failing) if failing is not None else ""
    return result


def _result(check: registry.Check, status: Status, *, reason: str = "") -> CheckResult:
    return CheckResult(
        id=check.id,
        plan=check.plan,
        module=check.module,
        title=check.title,
        cites=check.cites,
        severity=check.severity,
        status=status,
        reason=reason,
        gate=check.gate,
    )


def _skipped(check: registry.Check, reason: str) -> CheckResult:
    return _result(check, Status.SKIPPED, reason=reason)
