"""Benchmark of the mock's hot path: a trivial ``GET`` next to a bare Flask app, and a whole enrolment by the SDK.

What it does, on this machine and over 127.0.0.1 only:

1. Starts the mock as users run it, ``jesign-mock serve`` (waitress, one worker, its default threads, an SQLite
   file in a fresh data folder, control plane on, automatic review at once), and the reference: a bare Flask app
   answering ``GET /`` with a small JSON body, served by the same function with the same configuration
   (``bench/_bare_flask.py``), so that only the app differs.
2. Loads ``GET /`` on both, and the mock's ``GET /pki/ca/root.cer``, over **one keep-alive connection**, one
   after the other, for several rounds; prints each one's p50 (median of the rounds' p50) and its ratio to the
   bare app's, and beside it the server process's CPU time per request (from ``/proc``; the machine's load
   inflates latencies far more than CPU time). Target: the mock's ``GET /`` within 2x of the bare app's.
3. Enrols the seeded Marie Dupont through the SDK several times (``/_mock/reset`` before each, not timed): from
   ``Client.login_with_hint`` to ``registration.enroll`` answering her certificate, i.e. login, every step of the
   registration, the automatic review and the terms. Prints the median time, the number of HTTP calls, and how
   that time splits between waiting for the server's answers (timed in requests' transport adapter: from sending
   a request to having its answer's headers, loopback included) and the client (everything else: the SDK, the
   HTTP library, verifying the id_token, building the requests), and the CPU time of the server process and of
   this one during the enrolment. Target: under 80 ms.

The load client is ``wrk`` (Debian/Ubuntu package ``wrk``) with ``--latency``, one thread, one connection. Without
it (or with ``--python-client``), a Python client over one ``http.client`` connection times each request: it adds
its own cost to both apps alike, so the ratio it prints is lower than wrk's and is said to be so.

Client, servers and this script share the machine's CPUs: compare rows of one run, not runs across machines.
Run it as ``.venv/bin/python bench/hot_path_bench.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from _common import LOOPBACK, BenchError, exit_on_sigterm, find_mock, free_port, healthy, running, wait_until_ready
from _people import LOGIN, MOBILE, marie
from requests.adapters import HTTPAdapter

from jesign_sdk import Client, MockOutboxOtpSource

WRK_HINT = "install wrk for faithful figures: apt-get install wrk (Debian/Ubuntu), brew install wrk (macOS)"
GET_TARGET = 2.0
ENROLMENT_TARGET_MS = 80.0


@dataclass(frozen=True)
class Target:
    name: str
    port: int
    path: str
    #: The server's process, whose CPU time is read around each run.
    pid: int


@dataclass(frozen=True)
class GetFigures:
    #: Median latency in milliseconds, and the server's CPU time per request in microseconds (None without /proc).
    p50_ms: float
    cpu_us: float | None


def answers(port: int, path: str = "/") -> bool:
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}{path}", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


# -- GET: p50 over one connection ----------------------------------------------------------------------------------

_WRK_P50 = re.compile(r"^\s*50%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


_WRK_COUNT = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)


def wrk_p50(wrk: str, target: Target, seconds: int) -> tuple[float, int]:
    """wrk's p50 in milliseconds over one connection for ``seconds``, and the number of requests."""
    url = f"http://{LOOPBACK}:{target.port}{target.path}"
    command = [wrk, "--threads", "1", "--connections", "1", "--duration", f"{seconds}s", "--latency", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=False)
    found, count = _WRK_P50.search(done.stdout), _WRK_COUNT.search(done.stdout)
    if done.returncode != 0 or found is None or count is None or "Non-2xx" in done.stdout:
        raise BenchError(f"wrk failed on {url} ({done.returncode}): {done.stdout}{done.stderr}")
    return float(found.group(1)) * _UNIT_MS[found.group(2)], int(count.group(1))


def python_p50(target: Target, seconds: float) -> tuple[float, int]:
    """The p50 in milliseconds of ``GET`` over one kept-alive ``http.client`` connection for ``seconds``, and the
    number of requests."""
    connection = http.client.HTTPConnection(LOOPBACK, target.port, timeout=10)
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection.request("GET", target.path)
            answer = connection.getresponse()
            answer.read()
            times.append(time.perf_counter() - started)
            if answer.status != 200:
                raise BenchError(f"GET {target.path} answered {answer.status}")
    finally:
        connection.close()
    return statistics.median(times) * 1000, len(times)


def measure_gets(targets: list[Target], *, wrk: str | None, seconds: int, rounds: int) -> dict[str, GetFigures]:
    """Each target's figures: medians of ``rounds`` rounds that take the targets in turn."""
    for target in targets:  # warm-up: caches filled, threads started, the CPU frequency up
        python_p50(target, 0.5)
    p50s: dict[str, list[float]] = {target.name: [] for target in targets}
    cpus: dict[str, list[float]] = {target.name: [] for target in targets}
    for _ in range(rounds):
        for target in targets:
            before = cpu_seconds(target.pid)
            p50, count = wrk_p50(wrk, target, seconds) if wrk else python_p50(target, seconds)
            after = cpu_seconds(target.pid)
            p50s[target.name].append(p50)
            if before is not None and after is not None and count:
                cpus[target.name].append((after - before) / count * 1e6)
    return {
        name: GetFigures(statistics.median(p50s[name]), statistics.median(cpus[name]) if cpus[name] else None)
        for name in p50s
    }


# -- the enrolment -------------------------------------------------------------------------------------------------


@dataclass
class Enrolment:
    total: float = 0.0
    waiting: float = 0.0
    calls: list[str] = field(default_factory=list)
    #: CPU seconds spent by the server process and by this one (the client) during the enrolment.
    server_cpu: float | None = None
    client_cpu: float = 0.0


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user and system) of a process so far, from /proc (None where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TimingAdapter(HTTPAdapter):
    """requests' transport, adding to ``run`` the time each call waits for its answer (until its headers)."""

    def __init__(self, run: Enrolment) -> None:
        super().__init__()
        self.run = run

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        try:
            return super().send(request, *args, **kwargs)
        finally:
            took = time.perf_counter() - started
            self.run.waiting += took
            self.run.calls.append(f"{took * 1000:7.1f} ms  {request.method} {(request.path_url or '').split('?')[0]}")


def enrol_once(base_url: str, applicant: Any, server_pid: int) -> Enrolment:
    """Marie's whole enrolment through the SDK, on a mock reset just before; its times in seconds."""
    reset = requests.post(f"{base_url}/_mock/reset", timeout=30)
    if reset.status_code != 200:
        raise BenchError(f"/_mock/reset answered {reset.status_code}: {reset.text}")
    run = Enrolment()
    session = requests.Session()
    timing = TimingAdapter(run)
    session.mount("http://", timing)
    server_cpu = cpu_seconds(server_pid)
    client_cpu = time.process_time()
    started = time.perf_counter()
    client = Client(base_url, session=session)
    client.login_with_hint(LOGIN)
    certificate = client.registration.enroll(applicant, MockOutboxOtpSource(client.requestor, MOBILE))
    run.total = time.perf_counter() - started
    run.client_cpu = time.process_time() - client_cpu
    server_cpu_after = cpu_seconds(server_pid)
    if server_cpu is not None and server_cpu_after is not None:
        run.server_cpu = server_cpu_after - server_cpu
    session.close()
    if certificate.status != "valid":
        raise BenchError(f"the enrolment ended with a certificate {certificate.status}")
    return run


# -- the run -------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="length of each GET run (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of GET runs (default 3)")
    parser.add_argument("--enrolments", type=int, default=15, help="timed enrolments (default 15)")
    parser.add_argument("--python-client", action="store_true", help="use the Python client even if wrk is installed")
    parser.add_argument("--show-calls", action="store_true", help="list the HTTP calls of one enrolment")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    wrk = None if args.python_client else shutil.which("wrk")
    if wrk is None and not args.python_client:
        print(f"wrk not found, using the Python client instead; {WRK_HINT}", file=sys.stderr)
    mock = find_mock()
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory(prefix="jesign-hot-path-") as folder:
        data, mock_port, bare_port = Path(folder, "data"), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("JESIGN_MOCK_")}
        env["JESIGN_MOCK_REVIEW_MODE"], env["JESIGN_MOCK_REVIEW_DELAY_SECONDS"] = "auto", "0"
        mock_log, bare_log = Path(folder, "mock.log"), Path(folder, "bare.log")
        mock_command = [str(mock), "serve", "--data-dir", str(data), "--host", LOOPBACK, "--port", str(mock_port)]
        bare_command = [sys.executable, str(here / "_bare_flask.py"), "--port", str(bare_port)]
        with running(mock_command, log=mock_log, env=env) as mock_server, running(bare_command, log=bare_log) as bare:
            wait_until_ready(mock_server, lambda: healthy(mock_port), mock_log)
            wait_until_ready(bare, lambda: answers(bare_port), bare_log)
            targets = [
                Target("bare Flask  GET /", bare_port, "/", bare.pid),
                Target("mock        GET /", mock_port, "/", mock_server.pid),
                Target("mock        GET /pki/ca/root.cer", mock_port, "/pki/ca/root.cer", mock_server.pid),
            ]
            figures = measure_gets(targets, wrk=wrk, seconds=args.seconds, rounds=args.rounds)
            base_url = f"http://{LOOPBACK}:{mock_port}"
            applicant = marie()
            enrol_once(base_url, applicant, mock_server.pid)  # warm-up
            runs = [enrol_once(base_url, applicant, mock_server.pid) for _ in range(args.enrolments)]
    report(args, wrk, targets, figures, runs)


def report(
    args: Any, wrk: str | None, targets: list[Target], figures: dict[str, GetFigures], runs: list[Enrolment]
) -> None:
    client = f"wrk ({_first_line([wrk, '-v'])[:20]})" if wrk else "Python http.client (adds its cost to both)"
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"Hot path of the mock, {python}, {os.cpu_count()} CPUs")
    print(f"GET over one keep-alive connection, client {client}")
    print(f"  p50 = median of {args.rounds} runs of {args.seconds} s each")
    bare = figures[targets[0].name]
    print(f"  {'':<34} {'p50 ms':>8} {'x bare':>8}   {'server CPU us/request':>21} {'x bare':>8}")
    for target in targets:
        got = figures[target.name]
        cpu = "n/a" if got.cpu_us is None else f"{got.cpu_us:.0f}"
        cpu_ratio = "" if got.cpu_us is None or not bare.cpu_us else f"{got.cpu_us / bare.cpu_us:.2f}x"
        print(f"  {target.name:<34} {got.p50_ms:>8.3f} {got.p50_ms / bare.p50_ms:>7.2f}x   {cpu:>21} {cpu_ratio:>8}")
    ratio = figures[targets[1].name].p50_ms / bare.p50_ms
    print(f"  target: the mock's GET / p50 within {GET_TARGET:g}x of the bare app's: {_verdict(ratio <= GET_TARGET)}")
    totals = sorted(run.total for run in runs)
    median = statistics.median(totals) * 1000
    waiting = statistics.median(run.waiting for run in runs) * 1000
    client_ms = statistics.median(run.total - run.waiting for run in runs) * 1000
    calls = len(runs[0].calls)
    print(f"Enrolment through the SDK, login to active with automatic review: {len(runs)} runs after a warm-up")
    print(f"  median {median:.1f} ms (min {totals[0] * 1000:.1f}, max {totals[-1] * 1000:.1f}), {calls} HTTP calls")
    print(f"  server (waiting for answers) {waiting:.1f} ms ({waiting / median:.0%}), medians of the runs")
    print(f"  client (SDK, HTTP library, id_token checks) {client_ms:.1f} ms ({client_ms / median:.0%})")
    server_cpu = [run.server_cpu for run in runs if run.server_cpu is not None]
    if server_cpu:
        print(
            f"  CPU time (what load on the machine does not inflate): server {statistics.median(server_cpu) * 1000:.0f}"
            f" ms, client {statistics.median(run.client_cpu for run in runs) * 1000:.0f} ms (medians, 10 ms ticks)"
        )
    print(f"  target: under {ENROLMENT_TARGET_MS:g} ms: {_verdict(median < ENROLMENT_TARGET_MS)}")
    if args.show_calls:
        for call in runs[0].calls:
            print(f"    {call}")


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _first_line(command: list[Any]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else "?"


if __name__ == "__main__":
    main()
