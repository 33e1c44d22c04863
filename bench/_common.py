"""What the benchmarks share: loopback ports, the mock's health check, logs, and stopping cleanly.

Imported as ``_common`` by the scripts beside it (``python bench/<script>.py`` puts this folder on the path).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

#: Every server a benchmark starts, and every request it sends, stays on this address.
LOOPBACK = "127.0.0.1"
#: How long a server may take to be ready.
START_TIMEOUT = 60.0


class BenchError(RuntimeError):
    """The benchmark cannot go on: a server did not start, or answered wrongly."""


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def find_mock() -> Path:
    """The ``jesign-mock`` command beside the Python running the benchmark (the project's virtualenv)."""
    mock = Path(sys.executable).with_name("jesign-mock")
    if not mock.exists():
        raise BenchError("jesign-mock not found: run this with the project's virtualenv python")
    return mock


def healthy(port: int) -> bool:
    """Whether the mock on that port answers ``/healthz``."""
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def tail(log: Path, lines: int = 20) -> str:
    """The end of a server's log, for an error message."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def exit_on_sigterm(signum: int, _frame: object) -> NoReturn:
    """A SIGTERM handler that unwinds, so that every server started is stopped by its context manager."""
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def running(
    command: Sequence[str], *, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in a process group of its own for the duration of the block; always stop it afterwards."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # the server's workers leave with it; make sure nothing of the group started here outlives it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def wait_until_ready(process: subprocess.Popen[bytes], ready: Callable[[], bool], log: Path) -> None:
    """Poll ``ready`` until it says yes; fail if the process exits or takes longer than ``START_TIMEOUT``."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{process.args!r} exited with {process.returncode}:\n{tail(log)}")
        if ready():
            return
        time.sleep(0.05)
    raise BenchError(f"{process.args!r} was not ready within {START_TIMEOUT:.0f} s:\n{tail(log)}")
