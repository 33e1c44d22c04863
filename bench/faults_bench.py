"""What the fault policy's hook costs a call: the p50 of ``GET /healthz`` in-process, side by side.

    python bench/faults_bench.py [--calls 2000] [--rounds 5]

Cases, on one SQLite file (the default set-up), run in interleaved rounds so that a noisy machine weighs on each
alike; the figure of each case is the median over rounds of the p50 of its calls, with its ratio to the baseline:

- ``control plane off``: none of the control plane's hooks (no request history either), for scale;
- ``without the fault hook``: the control plane on, its fault hooks taken out of the app (the baseline);
- ``no rule``: the fault hook's fast path, one counter read and no database read (the target: within noise of
  the baseline);
- ``standing rule, unmatched``: a rule set on other routes (the rules are kept in memory until they change);
- ``standing rule, matched``: a rule on this route that neither delays nor fails: matched, drawn;
- ``counted rule, matched``: a rule with a count (never used up here), so that each call also takes one use in
  a write transaction (the conditional update that makes a one-shot fault fire once).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from mock_provider import create_app
from mock_provider.app import services_of

SECRET = "bench-faults-" + "x" * 32
NEVER_FAILS = {"error_rate": 0, "delay_ms_max": 0}
#: The hooks that mock_provider/api/faults.py installs, by name.
FAULT_HOOKS = ("_faults_before", "_faults_after")


def _client(
    folder: Path, *, control_plane: bool, rule: dict[str, Any] | None, added: bool = False, hook: bool = True
) -> FlaskClient:
    config = {
        "database_url": f"sqlite:///{folder / 'mock.sqlite3'}",
        "data_dir": str(folder),
        "secret_key": SECRET,
        "control_plane": control_plane,
    }
    app = create_app(config)
    if not hook:
        removed = 0
        for hooks in (app.before_request_funcs[None], app.after_request_funcs[None]):
            kept = [f for f in hooks if f.__qualname__.rpartition(".")[2] not in FAULT_HOOKS]
            removed += len(hooks) - len(kept)
            hooks[:] = kept
        if removed != len(FAULT_HOOKS):
            sys.exit(f"expected the {len(FAULT_HOOKS)} fault hooks of mock_provider/api/faults.py, removed {removed}")
    client = app.test_client()
    if rule is not None:
        answer = client.post("/_mock/faults", json=rule) if added else client.put("/_mock/faults", json=rule)
        if answer.status_code not in (200, 201):
            sys.exit(f"the fault rule was refused: {answer.get_json()}")
    return client


def _p50_ms(client: FlaskClient, calls: int) -> float:
    timings = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        answer = client.get("/healthz")
        timings.append(time.perf_counter_ns() - started)
        if answer.status_code != 200:
            sys.exit(f"GET /healthz answered {answer.status_code}")
    return statistics.median(timings) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per case and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jesign-faults-bench-") as tmp:
        root = Path(tmp)
        makers: dict[str, Callable[[Path], FlaskClient]] = {
            "control plane off": lambda f: _client(f, control_plane=False, rule=None),
            "without the fault hook": lambda f: _client(f, control_plane=True, rule=None, hook=False),
            "no rule": lambda f: _client(f, control_plane=True, rule=None),
            "standing rule, unmatched": lambda f: _client(
                f, control_plane=True, rule={**NEVER_FAILS, "routes": ["/trust/v1/*"]}
            ),
            "standing rule, matched": lambda f: _client(
                f, control_plane=True, rule={**NEVER_FAILS, "routes": ["GET /healthz"]}
            ),
            "counted rule, matched": lambda f: _client(
                f, control_plane=True, rule={**NEVER_FAILS, "routes": ["/healthz"], "count": 1_000_000}, added=True
            ),
        }
        clients = {}
        for number, (name, make) in enumerate(makers.items()):
            folder = root / str(number)
            folder.mkdir()
            clients[name] = make(folder)
            _p50_ms(clients[name], 200)  # warm up
        figures: dict[str, list[float]] = {name: [] for name in clients}
        for _ in range(args.rounds):
            for name, client in clients.items():
                figures[name].append(_p50_ms(client, args.calls))
        for client in clients.values():
            services_of(client.application).close()
    baseline = statistics.median(figures["without the fault hook"])
    print(f"GET /healthz in-process, p50 of {args.calls} calls, median of {args.rounds} rounds (SQLite file)")
    for name, values in figures.items():
        p50 = statistics.median(values)
        print(f"  {name:<26} {p50:7.3f} ms   {p50 / baseline:5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
