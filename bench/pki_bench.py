"""Benchmark of the mock provider's PKI: OCSP throughput next to ``openssl ocsp``, and certificate issuance time.

What it does, on this machine and over 127.0.0.1 only:

1. Issues a natural-person certificate (level ``qcpnqscd``) in-process into a fresh data folder, then times more
   issuances through ``services.pki.issue_natural_person`` for ``ec-p256`` and ``rsa-3072`` subscriber keys (key
   generation included: the provider generates every subscriber key).
2. Starts the real server, ``jesign-mock serve`` (waitress), on that data folder, and ``openssl ocsp`` as the
   reference responder for the same CA: same delegated responder certificate and key, and an ``index.txt`` that
   knows the issued certificate as valid.
3. Builds one OCSP request (DER, SHA-1 CertID, no nonce), checks that both servers answer it successful/good,
   then loads both with the same client (``wrk`` if installed, else a Python client with raw sockets in one
   process per connection), one after the other, for each number of concurrent connections.

How to read it:

- ``req/s`` is completed requests per second over a run; ``p50``/``p99`` are latencies in milliseconds from
  sending a request to reading its whole answer (connection set-up excluded, as wrk measures).
- ``openssl ocsp`` answers one request per connection (HTTP/1.0, then it closes), so when a server does not keep
  connections alive every compared run opens a new connection per request (``Connection: close``), and the mock
  is also shown with keep-alive, for information, since real clients reuse connections.
- ``ours/openssl`` compares the two in the same connection mode; the target is ours >= 70% of openssl's rate.
  The mock answers requests without a nonce from its cache of signed responses (RFC 5019 style), while
  ``openssl ocsp`` signs every response.
- ``openssl ocsp`` runs as one process, as the mock's default configuration does (one worker), and is
  restarted for each run: OpenSSL 3 responders spin forever on a connection closed before any request was sent
  (openssl/openssl#31129), which a load generator stopping mid-connect can leave behind.
- Client, servers and this script share the machine's CPUs: compare rows of one run, not runs across machines.

Run it as ``.venv/bin/python bench/pki_bench.py`` (``--help`` for the options). ``wrk`` is the Debian/Ubuntu
package ``wrk`` (``apt-get install wrk``); without it the Python client is used, which is slower and may itself
be the bottleneck.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from _common import LOOPBACK, BenchError, exit_on_sigterm, free_port, healthy, running, wait_until_ready
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from mock_provider.config import load_config
from mock_provider.core.pki.profiles import NaturalPersonIdentity
from mock_provider.core.services import MockServices, build_services

OCSP_PATH = "/pki/ocsp"
OCSP_REQUEST_TYPE = "application/ocsp-request"
TARGET_RATIO = 0.70
ISSUANCE_ALGORITHMS = ("ec-p256", "rsa-3072")
WRK_HINT = "install wrk for faithful figures: apt-get install wrk (Debian/Ubuntu), brew install wrk (macOS)"

OURS = "jesign mock"
OPENSSL = "openssl ocsp"


@dataclass(frozen=True)
class Target:
    """An OCSP responder listening on the loopback interface."""

    name: str
    port: int
    path: str

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}{self.path}"


@dataclass(frozen=True)
class Result:
    """One timed run of the client against one server."""

    server: str
    keep_alive: bool
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Tools:
    mock: Path
    openssl: str | None
    wrk: str | None


@dataclass(frozen=True)
class Subject:
    """The certificate that OCSP is asked about, the request, and the files ``openssl ocsp`` answers from."""

    certificate: x509.Certificate
    request_der: bytes
    openssl_files: dict[str, Path]


# -- processes ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def mock_server(tools: Tools, data_dir: Path, port: int, env: dict[str, str], log: Path) -> Iterator[Target]:
    """``jesign-mock serve`` on ``data_dir``, ready once ``/healthz`` answers."""
    command = [str(tools.mock), "serve", "--data-dir", str(data_dir), "--host", LOOPBACK, "--port", str(port)]
    with running(command, log=log, env=env) as process:
        wait_until_ready(process, lambda: healthy(port), log)
        yield Target(OURS, port, OCSP_PATH)


@contextlib.contextmanager
def openssl_responder(openssl: str, subject: Subject, log: Path) -> Iterator[Target]:
    """A fresh ``openssl ocsp`` responder, ready once it answers the benchmark's request.

    Readiness is probed with a whole request, never with a bare connect: an OpenSSL 3 responder spins forever
    on a connection closed before its request line (openssl/openssl#31129).
    """
    files = subject.openssl_files
    target = Target(OPENSSL, free_port(), "/")
    command = [
        openssl,
        "ocsp",
        "-port",
        str(target.port),
        "-index",
        str(files["index.txt"]),
        "-CA",
        str(files["ca.pem"]),
        "-rsigner",
        str(files["ocsp.pem"]),
        "-rkey",
        str(files["ocsp.key"]),
        "-nmin",
        "60",
    ]
    with running(command, log=log) as process:
        wait_until_ready(process, lambda: _answers(target, subject.request_der), log)
        yield target


def _answers(target: Target, body: bytes) -> bool:
    try:
        return post(target, body)[0] == 200
    except (OSError, BenchError):
        return False


def _first_line(command: Sequence[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "version unknown"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "version unknown"


# -- PKI ---------------------------------------------------------------------------------------------------------


def open_services(data_dir: Path, port: int) -> MockServices:
    """The core services on ``data_dir``, configured as the server is (same port, so the same URLs)."""
    return build_services(load_config({"data_dir": str(data_dir), "host": LOOPBACK, "port": port}))


def issue(services: MockServices, number: int, key_algorithm: str | None = None) -> x509.Certificate:
    identity = NaturalPersonIdentity(given_name="Bench", surname=f"Subject {number}", serial_number=f"IDCFR-B{number}")
    return services.pki.issue_natural_person(identity, level="qcpnqscd", key_algorithm=key_algorithm).certificate


def time_issuance(services: MockServices, algorithm: str, count: int, first_number: int) -> list[float]:
    """Seconds taken by each of ``count`` issuances, each with a new ``algorithm`` key."""
    timings = []
    for number in range(first_number, first_number + count):
        start = time.perf_counter()
        issue(services, number, algorithm)
        timings.append(time.perf_counter() - start)
    return timings


def ocsp_request(certificate: x509.Certificate, issuer: x509.Certificate) -> bytes:
    """A DER OCSP request about one certificate: SHA-1 CertID, no nonce."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())  # noqa: S303
    return builder.build().public_bytes(serialization.Encoding.DER)


def write_openssl_files(services: MockServices, certificate: x509.Certificate, folder: Path) -> dict[str, Path]:
    """The person CA, its delegated OCSP responder (certificate and key) and an index that knows ``certificate``."""
    hierarchy = services.pki.hierarchy()
    responder = hierarchy["ocsp-person"]
    files = {name: folder / name for name in ("ca.pem", "ocsp.pem", "ocsp.key", "index.txt")}
    files["ca.pem"].write_bytes(hierarchy["person"].certificate.public_bytes(serialization.Encoding.PEM))
    files["ocsp.pem"].write_bytes(responder.certificate.public_bytes(serialization.Encoding.PEM))
    key_pem = responder.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with os.fdopen(os.open(files["ocsp.key"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(key_pem)
    # The `openssl ca` database: status, expiry, revocation date, serial (upper-case hex), file name, subject.
    expiry = certificate.not_valid_after_utc
    expiry_text = expiry.strftime("%y%m%d%H%M%SZ" if expiry.year < 2050 else "%Y%m%d%H%M%SZ")
    serial = format(certificate.serial_number, "X")
    serial = serial.zfill(len(serial) + len(serial) % 2)
    subject = "/" + "/".join(reversed(certificate.subject.rfc4514_string().split(",")))
    files["index.txt"].write_text(f"V\t{expiry_text}\t\t{serial}\tunknown\t{subject}\n")
    (folder / "index.txt.attr").write_text("unique_subject = no\n")
    return files


def prepare(data_dir: Path, port: int, folder: Path, issuances: int) -> tuple[Subject, dict[str, list[float]]]:
    """In-process, before any server runs: the hierarchy, the certificate OCSP is asked about, issuance timings."""
    services = open_services(data_dir, port)
    try:
        certificate = issue(services, 0)
        issuer = services.pki.hierarchy()["person"].certificate
        subject = Subject(
            certificate, ocsp_request(certificate, issuer), write_openssl_files(services, certificate, folder)
        )
        print(f"Timing {issuances} issuances per key algorithm...", file=sys.stderr)
        timings = {
            algorithm: time_issuance(services, algorithm, issuances, first_number=1000 * (index + 1))
            for index, algorithm in enumerate(ISSUANCE_ALGORITHMS)
        }
    finally:
        services.close()
    return subject, timings


# -- HTTP over raw sockets ---------------------------------------------------------------------------------------


def http_request(target: Target, body: bytes, *, keep_alive: bool) -> bytes:
    head = (
        f"POST {target.path} HTTP/1.1\r\nHost: {LOOPBACK}:{target.port}\r\n"
        f"Content-Type: {OCSP_REQUEST_TYPE}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode("ascii") + body


def read_response(sock: socket.socket) -> tuple[int, bool, bytes] | None:
    """(status, whether the server keeps the connection open, body) of one response; None if the server hung up."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, status = status_line.split(" ", 2)[:2]
    headers = {
        name.strip().lower(): value.strip().lower() for name, _, value in (h.partition(":") for h in header_lines)
    }
    connection = headers.get("connection", "")
    keeps = connection == "keep-alive" if version == "HTTP/1.0" else connection != "close"
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            body += chunk
    else:  # the body runs to the end of the connection
        keeps = False
        while chunk := sock.recv(65536):
            body += chunk
    return int(status), keeps, body


def post(target: Target, body: bytes) -> tuple[int, bytes]:
    """POST ``body`` on a new connection: (HTTP status, response body)."""
    with socket.create_connection((LOOPBACK, target.port), timeout=10) as sock:
        sock.sendall(http_request(target, body, keep_alive=False))
        response = read_response(sock)
    if response is None:
        raise BenchError(f"{target.name} closed the connection without answering")
    return response[0], response[2]


def keeps_alive(target: Target, body: bytes) -> bool:
    """Whether ``target`` answers two requests sent one after the other on one HTTP/1.1 connection."""
    try:
        with socket.create_connection((LOOPBACK, target.port), timeout=5) as sock:
            for _ in range(2):
                sock.sendall(http_request(target, body, keep_alive=True))
                response = read_response(sock)
                if response is None or response[0] != 200:
                    return False
            return True
    except OSError:
        return False


def check_answer(target: Target, subject: Subject) -> None:
    """Raise unless ``target`` answers the request with a successful response saying the certificate is good."""
    status, der = post(target, subject.request_der)
    if status != 200:
        raise BenchError(f"{target.name} answered HTTP {status}")
    response = ocsp.load_der_ocsp_response(der)
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise BenchError(f"{target.name} answered {response.response_status.name}")
    if (
        response.serial_number != subject.certificate.serial_number
        or response.certificate_status != ocsp.OCSPCertStatus.GOOD
    ):
        raise BenchError(f"{target.name} says {response.certificate_status.name} for serial {response.serial_number:x}")


# -- load: wrk ---------------------------------------------------------------------------------------------------

_WRK_SCRIPT = """\
-- wrk checks the address with a connect-and-close before the run; an OpenSSL 3 `openssl ocsp` then spins
-- forever on that empty connection (openssl/openssl#31129), so take the address without connecting.
function wrk.resolve(host, service)
  wrk.addrs = wrk.lookup(host, service)
end

wrk.method = "POST"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "{content_type}"
{connection_header}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d %d %d %.3f %.3f\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_script(body: bytes, *, keep_alive: bool, folder: Path) -> Path:
    """A wrk Lua script that POSTs ``body`` (escaped byte by byte) and prints its figures on one parsable line."""
    path = folder / f"ocsp-{'keepalive' if keep_alive else 'close'}.lua"
    path.write_text(
        _WRK_SCRIPT.format(
            body="".join(f"\\{byte:03d}" for byte in body),
            content_type=OCSP_REQUEST_TYPE,
            connection_header="" if keep_alive else 'wrk.headers["Connection"] = "close"',
        )
    )
    return path


def run_wrk(wrk: str, target: Target, script: Path, *, connections: int, seconds: int, keep_alive: bool) -> Result:
    command = [wrk, "--threads", "1", "--connections", str(connections), "--duration", f"{seconds}s"]
    command += ["--timeout", "2s", "--latency", "--script", str(script), target.url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=False)
    match = re.search(r"^WRK_RESULT (.*)$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    fields = match.group(1).split()
    requests, micros, *errors = (int(field) for field in fields[:7])
    p50_ms, p99_ms = (float(field) / 1000 for field in fields[7:9])
    return Result(target.name, keep_alive, connections, requests, micros / 1e6, p50_ms, p99_ms, sum(errors))


# -- load: Python fallback ---------------------------------------------------------------------------------------


def _client_process(
    port: int, request: bytes, keep_alive: bool, start_at: float, stop_at: float
) -> tuple[list[float], int, float, float]:
    """One connection's load: (latencies in seconds, errors, first start, last end) on the monotonic clock."""
    latencies: list[float] = []
    errors = 0
    sock: socket.socket | None = None
    while time.monotonic() < start_at:
        time.sleep(0.001)
    first = time.monotonic()
    while time.monotonic() < stop_at:
        try:
            if sock is None:
                sock = socket.create_connection((LOOPBACK, port), timeout=5)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            start = time.perf_counter()
            sock.sendall(request)
            response = read_response(sock)
            elapsed = time.perf_counter() - start
            if response is None or response[0] != 200:
                errors += 1
            else:
                latencies.append(elapsed)
            if response is None or not (keep_alive and response[1]):
                sock.close()
                sock = None
        except OSError:
            errors += 1
            if sock is not None:
                sock.close()
            sock = None
    if sock is not None:
        sock.close()
    return latencies, errors, first, time.monotonic()


def run_python_client(target: Target, body: bytes, *, connections: int, seconds: float, keep_alive: bool) -> Result:
    request = http_request(target, body, keep_alive=keep_alive)
    with ProcessPoolExecutor(max_workers=connections) as pool:
        start_at = time.monotonic() + 0.5  # every process starts before the clock runs
        futures = [
            pool.submit(_client_process, target.port, request, keep_alive, start_at, start_at + seconds)
            for _ in range(connections)
        ]
        outcomes = [future.result(timeout=seconds + 30) for future in futures]
    latencies = sorted(latency for outcome in outcomes for latency in outcome[0])
    elapsed = max(outcome[3] for outcome in outcomes) - min(outcome[2] for outcome in outcomes)
    return Result(
        server=target.name,
        keep_alive=keep_alive,
        connections=connections,
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=_percentile(latencies, 50) * 1000,
        p99_ms=_percentile(latencies, 99) * 1000,
        errors=sum(outcome[1] for outcome in outcomes),
    )


def _percentile(ordered: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of sorted values (0 when there are none)."""
    if not ordered:
        return 0.0
    rank = max(1, round(percent / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def measure(
    tools: Tools,
    target: Target,
    subject: Subject,
    scripts: dict[bool, Path],
    connections: int,
    seconds: float,
    keep_alive: bool,
) -> Result:
    if tools.wrk:
        whole = max(1, round(seconds))  # wrk counts whole seconds
        return run_wrk(
            tools.wrk, target, scripts[keep_alive], connections=connections, seconds=whole, keep_alive=keep_alive
        )
    return run_python_client(
        target, subject.request_der, connections=connections, seconds=seconds, keep_alive=keep_alive
    )


# -- report ------------------------------------------------------------------------------------------------------


def print_results(results: Sequence[Result], connection_counts: Sequence[int], compared_keep_alive: bool) -> None:
    print(f"{'server':<14} {'connection':<11} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for result in results:
        print(
            f"{result.server:<14} {'keep-alive' if result.keep_alive else 'close':<11} {result.connections:>5} "
            f"{result.rate:>9,.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} {result.errors:>7}"
        )
    lines, verdicts = [], []
    for count in connection_counts:
        pair = {r.server: r for r in results if r.connections == count and r.keep_alive == compared_keep_alive}
        if OURS in pair and OPENSSL in pair and pair[OPENSSL].rate > 0:
            ratio = pair[OURS].rate / pair[OPENSSL].rate
            verdicts.append(ratio >= TARGET_RATIO)
            verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
            lines.append(
                f"ours/openssl, {count} connection(s): {ratio:6.1%}  ({verdict} the {TARGET_RATIO:.0%} target)"
            )
    if verdicts:
        print()
        print("\n".join(lines))
        print(f"target ours >= {TARGET_RATIO:.0%} of openssl's rate: {'met' if all(verdicts) else 'NOT met'}")


def print_issuance(timings: dict[str, list[float]]) -> None:
    print(f"{'key':<10} {'n':>4} {'median ms':>10} {'p90 ms':>9} {'max ms':>9}")
    for algorithm, values in timings.items():
        ordered = sorted(values)
        print(
            f"{algorithm:<10} {len(values):>4} {statistics.median(values) * 1000:>10.1f} "
            f"{_percentile(ordered, 90) * 1000:>9.1f} {ordered[-1] * 1000:>9.1f}"
        )


# -- main --------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="OCSP throughput of the mock next to `openssl ocsp`, and issuance time."
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per timed run (default 5)")
    parser.add_argument("--connections", default="1,4", help="comma-separated concurrent connections (default 1,4)")
    parser.add_argument("--skip-openssl", action="store_true", help="measure the mock only")
    parser.add_argument("--issuances", type=int, default=20, help="certificates timed per key algorithm (default 20)")
    parser.add_argument("--workers", type=int, help="worker processes of the mock (default: its configuration)")
    parser.add_argument("--threads", type=int, help="threads per worker of the mock (default: its configuration)")
    parser.add_argument("--python-client", action="store_true", help="use the Python client even if wrk is installed")
    args = parser.parse_args(argv)
    try:
        args.connection_counts = [int(part) for part in args.connections.split(",") if part.strip()]
    except ValueError:
        parser.error("--connections takes numbers separated by commas, such as 1,4")
    if not args.connection_counts or min(args.connection_counts) < 1:
        parser.error("--connections takes positive numbers")
    if args.duration <= 0 or args.issuances < 1:
        parser.error("--duration and --issuances must be positive")
    return args


def find_tools(args: argparse.Namespace) -> Tools:
    mock = Path(sys.executable).with_name("jesign-mock")
    if not mock.exists():
        found = shutil.which("jesign-mock")
        if found is None:
            raise BenchError("jesign-mock not found: run this with the project's virtualenv python")
        mock = Path(found)
    openssl = None if args.skip_openssl else shutil.which("openssl")
    if openssl is None and not args.skip_openssl:
        raise BenchError("openssl not found: install it, or pass --skip-openssl")
    wrk = None if args.python_client else shutil.which("wrk")
    if wrk is None and not args.python_client:
        print(f"wrk not found, using the Python client instead; {WRK_HINT}", file=sys.stderr)
    return Tools(mock, openssl, wrk)


def run(args: argparse.Namespace, tools: Tools, folder: Path) -> None:
    data_dir = folder / "data"
    port = free_port()
    subject, issuance = prepare(data_dir, port, folder, args.issuances)

    env = dict(os.environ)
    if args.workers is not None:
        env["JESIGN_MOCK_WORKERS"] = str(args.workers)
    if args.threads is not None:
        env["JESIGN_MOCK_THREADS"] = str(args.threads)
    mock_config = load_config({"data_dir": str(data_dir)}, environ=env)
    openssl_log = folder / "openssl.log"
    scripts = {mode: wrk_script(subject.request_der, keep_alive=mode, folder=folder) for mode in (False, True)}

    with mock_server(tools, data_dir, port, env, folder / "mock.log") as ours:
        check_answer(ours, subject)
        alive = {OURS: keeps_alive(ours, subject.request_der)}
        if tools.openssl:
            with openssl_responder(tools.openssl, subject, openssl_log) as reference:
                check_answer(reference, subject)
                alive[OPENSSL] = keeps_alive(reference, subject.request_der)
        compared_keep_alive = all(alive.values())
        # Every server in the compared mode; ours with keep-alive too when the compared mode closes connections.
        runs = [(name, compared_keep_alive) for name in (OPENSSL, OURS) if name in alive]
        if not compared_keep_alive and alive[OURS]:
            runs.append((OURS, True))

        print("jesign mock PKI benchmark")
        print(f"  machine:    {os.cpu_count()} CPU(s), {platform.system()} {platform.release()}")
        server = f"waitress {mock_config.workers} worker(s) x {mock_config.threads} thread(s)"
        print(f"  ours:       jesign-mock serve, {server}")
        print(f"              Python {platform.python_version()}, POST {ours.url}")
        if tools.openssl:
            version = _first_line([tools.openssl, "version"]).split(" (")[0]
            print(f"  reference:  `openssl ocsp` ({version}), 1 process, POST /, answering from index.txt")
        client = (
            f"{' '.join(_first_line([tools.wrk, '-v']).split()[:2])}, 1 thread"
            if tools.wrk
            else "Python raw sockets, 1 process/conn"
        )
        print(f"  client:     {client}; {args.duration:g} s per run")
        print(f"  request:    {len(subject.request_der)} bytes DER, SHA-1 CertID, no nonce; answers checked good")
        print("  keep-alive: " + ", ".join(f"{name} {'yes' if ok else 'no'}" for name, ok in alive.items()))
        if not compared_keep_alive:
            print("              so compared runs open a new connection per request (Connection: close)")
        print(flush=True)

        results = []
        for count in args.connection_counts:
            for name, keep_alive in runs:
                print(f"Loading {name} ({'keep-alive' if keep_alive else 'close'}, {count} conn.)...", file=sys.stderr)
                if name == OPENSSL:
                    assert tools.openssl is not None
                    with openssl_responder(tools.openssl, subject, openssl_log) as reference:
                        results.append(measure(tools, reference, subject, scripts, count, args.duration, keep_alive))
                else:
                    measure(tools, ours, subject, scripts, count, min(1.0, args.duration), keep_alive)  # warm-up
                    results.append(measure(tools, ours, subject, scripts, count, args.duration, keep_alive))

    print("OCSP responder throughput")
    print_results(results, args.connection_counts, compared_keep_alive)
    print()
    print("Certificate issuance, in-process (services.pki.issue_natural_person, qcpnqscd, key generation included)")
    print_issuance(issuance)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)  # stop the servers on kill as on Ctrl+C
    try:
        tools = find_tools(args)
        with tempfile.TemporaryDirectory(prefix="jesign-pki-bench-") as folder:
            run(args, tools, Path(folder))
    except BenchError as error:
        print(f"pki_bench: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
