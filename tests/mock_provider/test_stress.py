"""Stress: every once-only rule under parallel requests, round after round, against ``jesign-mock serve``.

Marked ``stress`` and left out of the default run (``make stress`` runs it: a few minutes). Each round is the
conformance plan ``concurrency`` (conformance/plans/concurrency.py) with :data:`PARALLEL` requests per race: the
right SMS code, a single-use SAD, consents, wrong codes, error reports, cancel against sign, the first uses of a
firm's seal. Each check requires exactly one success (one signature, one SMS, one certificate…), no 5xx, and
what the provider then shows to agree. The mock is the real server in its own process: on an SQLite file with one
worker (as ``make demo``), and on PostgreSQL with two worker processes (as a team sharing an instance).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from conformance import MockHarness, run_conformance
from conformance.plans import concurrency
from conformance.results import Status

pytestmark = [pytest.mark.stress, pytest.mark.live]

ROUNDS = 20
PARALLEL = 24


@contextmanager
def served_mock(data_dir: Path, *args: str, database_url: str | None = None) -> Iterator[str]:
    """``jesign-mock serve`` in a process of its own on a free port; its URL. Stopped with SIGINT."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("JESIGN_MOCK_")}
    if database_url:
        env["JESIGN_MOCK_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "mock_provider.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        [*command, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[1]
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def _rounds(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(concurrency, "PARALLEL", PARALLEL)
    failures = []
    for round_number in range(1, ROUNDS + 1):
        report = run_conformance(url, plans=["concurrency"], harness=MockHarness())
        assert not report.smoke_failed, f"round {round_number}: the mock could not be reached or logged in"
        failures += [
            f"round {round_number}: {r.id} {r.status.value}: {r.reason}"
            for r in report.results
            if r.plan == "concurrency" and r.status is not Status.PASSED
        ]
    assert not failures, "\n".join(failures)


def test_every_race_holds_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with served_mock(tmp_path) as url:
        _rounds(url, monkeypatch)


def test_every_race_holds_on_postgresql_with_two_workers(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with served_mock(tmp_path, "--workers", "2", database_url=postgres_url) as url:
        _rounds(url, monkeypatch)
