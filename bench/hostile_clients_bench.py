"""Benchmark of the mock's server against heavy and slow clients: memory per image upload, and latency under slowloris.

What it does, on this machine and over 127.0.0.1 only, with ``jesign-mock serve`` (one worker, its default
threads) on a temporary data folder:

1. **Memory per upload.** Makes two PNGs of about 1 MB each, one flat colour with a square of random noise: the
   7000 x 7000 one of issue 11 (49 megapixels: over the mock's 25 MP limit, refused from its header), and the
   largest RGB PNG the mock decodes, 4096 x 4096 (its whole decode fits the 64 MiB budget; accepted). For each
   image and scenario (one upload, then ``--uploads`` at the same time) it starts a fresh server, walks as many
   registrations through the trust API as it needs (``POST /trust/v1/registrations``, then ``…/identity``),
   resets the worker's peak RSS (Linux ``/proc/<pid>/clear_refs``), sends the PNG as the recto of a passport
   (``POST …/documents``, multipart), and reads the worker's RSS before, its peak (``VmHWM``) over the uploads,
   and its RSS after.
2. **Latency with slow clients.** On one server, times ``--gets`` requests ``GET /pki/ca/root.cer`` (each on a new
   connection) with no other client; then opens ``--slow-clients`` connections that stop mid-request (half in
   their headers, half after the headers and 11 bytes of a 1000-byte body) and times the same GETs while they
   hang on.

How to read it:

- ``growth`` is the worker's peak RSS during the upload(s) minus its RSS just before; ``per upload`` divides it by
  the number of uploads. Target: under 100 MB per upload. What the mock keeps in memory is mostly the decoded
  image while it judges it (mock_provider/core/documents.py); the HTTP server spools bodies past 512 KiB to a
  temporary file.
- ``answer`` is the status of each upload (200 when the document is accepted, 400 with its code when it is
  judged and refused); either way the image was read and judged.
- GET times are wall-clock milliseconds from connecting to reading the whole answer; ``p50`` and ``max`` over
  the runs. Target: every GET under 1 s while the slow clients are connected. The server closes a connection
  silent for ``read_timeout_seconds`` (30 s by default), longer than this run.
- Client, server and this script share the machine's CPUs: compare rows of one run, not runs across machines.

Run it from the repository's root as ``.venv/bin/python bench/hostile_clients_bench.py`` (``--help`` for the
options). Linux only: it reads ``/proc``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import os
import platform
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
from _common import LOOPBACK, BenchError, exit_on_sigterm, find_mock, free_port, healthy, running, wait_until_ready
from PIL import Image

from mock_provider.config import load_config

#: The platform's OIDC client, which is also the trust API's operator (seed default.yaml).
OPERATOR = base64.b64encode(b"jesign-platform:jesign-platform-secret").decode()
#: People of the default seed, one per concurrent upload.
APPLICANTS = (
    "marie.dupont@cabinet-ecma.example.com",
    "luc.martin@cabinet-ecma.example.com",
    "chloe.bernard@cabinet-ecma.example.com",
    "paul.leroy@cabinet-lefevre.example.com",
    "sophie.lambert@cabinet-lefevre.example.com",
)
#: The sides of the square PNGs sent: issue 11's bomb, and the largest RGB PNG the mock accepts.
IMAGE_SIDES = (7000, 4096)
NOISE_SIDE = 520
TARGET_GROWTH_MB = 100.0
TARGET_GET_SECONDS = 1.0
MB = 1024 * 1024

PARTIAL_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
PARTIAL_BODY = b"POST /sso/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\ngrant_type="


@dataclass(frozen=True)
class Memory:
    """The worker's memory around one scenario of uploads, in bytes."""

    image: str
    uploads: int
    before: int
    peak: int
    after: int
    answers: tuple[str, ...]

    @property
    def growth(self) -> int:
        return self.peak - self.before


@dataclass(frozen=True)
class Latency:
    label: str
    seconds: tuple[float, ...]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def max_ms(self) -> float:
        return max(self.seconds) * 1000


# -- the server --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def mock_server(mock: Path, data_dir: Path, log: Path) -> Iterator[tuple[int, int]]:
    """``jesign-mock serve`` with one worker on a free port: (port, the worker's pid) once ``/healthz`` answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JESIGN_MOCK_")} | {"JESIGN_MOCK_WORKERS": "1"}
    command = [str(mock), "serve", "--data-dir", str(data_dir), "--host", LOOPBACK, "--port", str(port)]
    with running(command, log=log, env=env) as process:
        wait_until_ready(process, lambda: healthy(port), log)
        yield port, process.pid  # one worker: the serve process itself answers


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in bytes, from ``/proc/<pid>/status``."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
    return values


def reset_peak(pid: int) -> None:
    """Make VmHWM start again from the current RSS (Linux 4.0 and later: ``echo 5 > /proc/<pid>/clear_refs``)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError as error:
        raise BenchError(f"cannot reset the peak RSS of {pid} ({error}): this bench needs Linux") from error


# -- registrations and uploads -----------------------------------------------------------------------------------


def flat_png_with_noise(side: int) -> bytes:
    """A square PNG of about 1 MB: a flat orange with a square of random noise (deterministic)."""
    image = Image.new("RGB", (side, side), (214, 128, 52))
    noise = random.Random(side).randbytes(NOISE_SIDE * NOISE_SIDE * 3)  # noqa: S311 - filler pixels
    image.paste(Image.frombytes("RGB", (NOISE_SIDE, NOISE_SIDE), noise), (side // 2, side // 2))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def registration_at_upload(base: str, email: str) -> tuple[str, str]:
    """A registration walked to its document step through the trust API: (id, session token)."""
    created = requests.post(
        f"{base}/trust/v1/registrations",
        json={"email": email, "level": "qcpnqscd", "phone_number": "+33612345678", "language": "fr"},
        headers={"Authorization": f"Basic {OPERATOR}"},
        timeout=30,
    )
    if created.status_code != 201:
        raise BenchError(f"creating a registration for {email}: {created.status_code} {created.text}")
    registration, token = created.json()["id"], created.json()["session_token"]
    identity = requests.post(
        f"{base}/trust/v1/registrations/{registration}/identity",
        json={"birth_date": "1980-04-12", "accept_terms": True, "accept_privacy_policy": True},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if identity.status_code != 200:
        raise BenchError(f"submitting {email}'s identity: {identity.status_code} {identity.text}")
    return registration, token


def upload(base: str, registration: str, token: str, png: bytes) -> str:
    """The PNG as the recto of a French passport; the answer's status (and code when refused)."""
    answer = requests.post(
        f"{base}/trust/v1/registrations/{registration}/documents",
        data={"document_type": "passport:FRA", "document_number": "X4RTBPFW4"},
        files={"front": ("recto.png", png, "image/png")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    if answer.status_code == 200:
        return "200"
    try:
        return f"{answer.status_code} {answer.json().get('code')}"
    except ValueError:
        return str(answer.status_code)


def measure_uploads(mock: Path, folder: Path, label: str, png: bytes, count: int) -> Memory:
    name = f"{label.split()[0]}-{count}"
    with mock_server(mock, folder / f"data-{name}", folder / f"mock-{name}.log") as (port, pid):
        base = f"http://{LOOPBACK}:{port}"
        registrations = [registration_at_upload(base, email) for email in APPLICANTS[:count]]
        time.sleep(0.5)  # let the allocator settle after the set-up requests
        reset_peak(pid)
        before = memory_kb(pid)["VmRSS"]
        with ThreadPoolExecutor(max_workers=count) as pool:
            answers = tuple(pool.map(lambda reg: upload(base, reg[0], reg[1], png), registrations))
        after = memory_kb(pid)
        return Memory(label, count, before, after["VmHWM"], after["VmRSS"], answers)


# -- slow clients ------------------------------------------------------------------------------------------------


def timed_get(port: int, path: str) -> float:
    """Seconds from connecting to having read the whole answer of ``GET path`` (one connection, then closed)."""
    start = time.perf_counter()
    with socket.create_connection((LOOPBACK, port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    elapsed = time.perf_counter() - start
    if not data.startswith(b"HTTP/1.1 200"):
        raise BenchError(f"GET {path} answered {data[:60]!r}")
    return elapsed


@contextlib.contextmanager
def slow_clients(port: int, count: int) -> Iterator[None]:
    """``count`` connections that stop mid-request, half in their headers and half in their body."""
    with contextlib.ExitStack() as stack:
        for number in range(count):
            sock = stack.enter_context(socket.create_connection((LOOPBACK, port), timeout=30))
            sock.sendall(PARTIAL_HEADERS if number % 2 else PARTIAL_BODY)
        time.sleep(0.2)  # the server has read what they sent
        yield


def measure_latency(mock: Path, folder: Path, gets: int, slow: int) -> list[Latency]:
    path = "/pki/ca/root.cer"
    with mock_server(mock, folder / "data-latency", folder / "mock-latency.log") as (port, _):
        timed_get(port, path)  # warm-up
        alone = Latency("no other client", tuple(timed_get(port, path) for _ in range(gets)))
        with slow_clients(port, slow):
            crowded = Latency(f"{slow} slow clients connected", tuple(timed_get(port, path) for _ in range(gets)))
    return [alone, crowded]


# -- report ------------------------------------------------------------------------------------------------------


def print_memory(results: Sequence[Memory]) -> bool:
    print(
        f"{'image':<24} {'uploads':>7} {'RSS before':>11} {'peak':>9} {'growth':>9} {'per upload':>11} "
        f"{'RSS after':>10}  answers"
    )
    met = True
    for result in results:
        per_upload = result.growth / result.uploads / MB
        met = met and per_upload < TARGET_GROWTH_MB
        print(
            f"{result.image:<24} {result.uploads:>7} {result.before / MB:>8.1f} MB {result.peak / MB:>6.1f} MB "
            f"{result.growth / MB:>6.1f} MB {per_upload:>8.1f} MB {result.after / MB:>7.1f} MB  "
            + ", ".join(result.answers)
        )
    print(f"target: peak RSS growth under {TARGET_GROWTH_MB:.0f} MB per upload: {'met' if met else 'NOT met'}")
    return met


def print_latency(results: Sequence[Latency]) -> bool:
    print(f"{'GET /pki/ca/root.cer':<28} {'runs':>5} {'p50 ms':>8} {'max ms':>8}")
    for result in results:
        print(f"{result.label:<28} {len(result.seconds):>5} {result.p50_ms:>8.1f} {result.max_ms:>8.1f}")
    met = results[-1].max_ms < TARGET_GET_SECONDS * 1000
    print(f"target: every GET under {TARGET_GET_SECONDS:g} s with the slow clients: {'met' if met else 'NOT met'}")
    return met


# -- main --------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Memory per image upload, and GET latency with slow clients.")
    parser.add_argument(
        "--uploads", type=int, default=4, help=f"concurrent uploads, 2 to {len(APPLICANTS)} (default 4)"
    )
    parser.add_argument("--slow-clients", type=int, default=8, help="slow connections held open (default 8)")
    parser.add_argument("--gets", type=int, default=20, help="GETs timed per row (default 20)")
    args = parser.parse_args(argv)
    if not 2 <= args.uploads <= len(APPLICANTS):
        parser.error(f"--uploads is between 2 and {len(APPLICANTS)}")
    if args.slow_clients < 1 or args.gets < 1:
        parser.error("--slow-clients and --gets must be positive")
    return args


def run(args: argparse.Namespace, folder: Path) -> None:
    if not Path("/proc/self/status").exists():
        raise BenchError("this bench reads /proc: it runs on Linux only")
    mock = find_mock()
    config = load_config(environ={})
    print("Making the PNGs...", file=sys.stderr, flush=True)
    images = {
        f"{side} x {side} PNG, {len(png) / MB:.2f} MB": png
        for side in IMAGE_SIDES
        if (png := flat_png_with_noise(side))
    }
    print("Uploading...", file=sys.stderr, flush=True)
    memory = [
        measure_uploads(mock, folder, label, png, count) for label, png in images.items() for count in (1, args.uploads)
    ]
    print("Timing GETs...", file=sys.stderr, flush=True)
    latency = measure_latency(mock, folder, args.gets, args.slow_clients)

    print("jesign mock: hostile clients benchmark")
    machine = f"{os.cpu_count()} CPU(s), {platform.system()} {platform.release()}"
    print(f"  machine:  {machine}, Python {platform.python_version()}")
    print(f"  server:   jesign-mock serve, waitress 1 worker x {config.threads} thread(s)")
    print("  images:   " + "; ".join(images) + ", each as a passport's recto")
    print()
    print("Worker memory around identity document uploads")
    print_memory(memory)
    print()
    print(f"GET latency, {args.slow_clients} slow clients (half stopped in their headers, half in their body)")
    print_latency(latency)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)  # stop the servers on kill as on Ctrl+C
    try:
        with tempfile.TemporaryDirectory(prefix="jesign-hostile-bench-") as folder:
            run(args, Path(folder))
    except BenchError as error:
        print(f"hostile_clients_bench: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
