"""How long the whole conformance suite takes against the local mock (issue 12: "well under a minute").

What it does, on this machine and over 127.0.0.1 only: ``--runs`` times (default 3), a fresh mock (its own SQLite
file and data folder, a new test CA) served in process by ``conformance.serve_wsgi``, and every plan run against it
with the mock harness, as ``jesign-conformance run`` does. Each run must conform (else the figures mean nothing).

How to read it:

- ``wall s`` is the run's wall-clock time, ``cpu s`` the CPU time of this process in it (the suite and the mock
  share it: the mock is served by threads of this process). On a busy shared machine the wall time grows with the
  load and the CPU time barely moves: ``cpu/wall`` near 1 means the machine was quiet.
- The slowest plans and checks of the median run follow, from the report's own timings.
- Target: the median wall time of a full run well under 60 s on a quiet machine (the repository's tests print the
  figure of their own run too, but no test asserts a time).

Run it from the repository's root as ``.venv/bin/python bench/conformance_bench.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance import MockHarness, run_conformance, serve_wsgi
from conformance.results import Report
from mock_provider import create_app

TARGET_SECONDS = 60.0


def one_run() -> tuple[float, float, Report]:
    with tempfile.TemporaryDirectory(prefix="jesign-conformance-bench-") as folder:
        config = {
            "database_url": f"sqlite:///{folder}/mock.sqlite3",
            "secret_key": "conformance-bench-secret-key",
            "data_dir": folder,
        }
        wall, cpu = time.perf_counter(), time.process_time()
        with serve_wsgi(factory=lambda url: create_app({**config, "public_base_url": url})) as url:
            report = run_conformance(url, harness=MockHarness())
        return time.perf_counter() - wall, time.process_time() - cpu, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the whole conformance suite against the local mock.")
    parser.add_argument("--runs", type=int, default=3, help="full runs (default 3)")
    parser.add_argument("--top", type=int, default=8, help="slowest checks shown (default 8)")
    args = parser.parse_args(argv)

    runs = []
    for index in range(args.runs):
        wall, cpu, report = one_run()
        counts = report.counts()
        if counts["FAILED"] or counts["ERROR"] or report.smoke_failed:
            print(f"run {index + 1}: the healthy mock does not conform ({counts}); no figures", file=sys.stderr)
            return 1
        runs.append((wall, cpu, report))
        print(f"run {index + 1}: {wall:6.1f} s wall, {cpu:6.1f} s cpu, {len(report.results)} checks", flush=True)

    walls = [wall for wall, _, _ in runs]
    median_wall = statistics.median(walls)
    wall, cpu, report = min(runs, key=lambda run: abs(run[0] - median_wall))
    print()
    print(f"full run, median of {args.runs}: {median_wall:.1f} s wall (min {min(walls):.1f}, max {max(walls):.1f})")
    print(
        f"                     cpu/wall {cpu / wall:.2f} in the median run; target: well under {TARGET_SECONDS:.0f} s"
    )
    per_plan: dict[str, float] = defaultdict(float)
    for result in report.results:
        per_plan[result.plan] += result.duration_ms / 1000
    print()
    print("per plan (median run):")
    for plan, seconds in sorted(per_plan.items(), key=lambda item: -item[1]):
        print(f"  {plan:<14} {seconds:6.1f} s")
    print()
    print(f"slowest {args.top} checks (median run):")
    for result in sorted(report.results, key=lambda r: -r.duration_ms)[: args.top]:
        print(f"  {result.duration_ms / 1000:6.2f} s  {result.id}")
    return 0 if median_wall < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
