"""Stress: every once-only rule under parallel requests, round after round, against ``jesign-mock serve``.

Marked ``stress`` and left out of the default run (``make stress`` runs it: a few minutes). Each round is the
conformance plan ``concurrency`` (conformance/plans/concurrency.py) with :data:`PARALLEL` requests per race: the
right SMS code, a single-use SAD, consents, wrong codes, error reports, cancel against sign, the first uses of a
firm's seal. Each check requires exactly one success (one signature, one SMS, one certificate…), no 5xx, and
what the provider then shows to agree. The mock is the real server in its own process: on an SQLite file with one
worker (as ``make demo``), and on PostgreSQL with two worker processes (as a team sharing an instance).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import MockHarness, run_conformance
from conformance.plans import concurrency
from conformance.results import Status
from tests.helpers.serve import serving

pytestmark = [pytest.mark.stress, pytest.mark.live]

ROUNDS = 20
PARALLEL = 24


def _rounds(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(concurrency, "PARALLEL", PARALLEL)
    failures = []
    for round_number in range(1, ROUNDS + 1):
        report = run_conformance(url, plans=["concurrency"], harness=MockHarness())
        smoke = [f"{r.id}: {r.status.value} {r.reason}" for r in report.results if r.plan == "smoke"]
        assert not report.smoke_failed, f"round {round_number}: the mock could not be reached or logged in: {smoke}"
        failures += [
            f"round {round_number}: {r.id} {r.status.value}: {r.reason}"
            for r in report.results
            if r.plan == "concurrency" and r.status is not Status.PASSED
        ]
    assert not failures, "\n".join(failures)


def test_every_race_holds_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serving(tmp_path) as served:
        _rounds(served.base, monkeypatch)


def test_every_race_holds_on_postgresql_with_two_workers(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(tmp_path, "--workers", "2", env={"JESIGN_MOCK_DATABASE_URL": postgres_url}) as served:
        _rounds(served.base, monkeypatch)
