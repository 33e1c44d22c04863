"""What the benchmarks share: loopback ports, the mock's health check, logs, and stopping cleanly.

Imported as ``_common`` by the scripts beside it (``python bench/<script>.py`` puts this folder on the path).
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path
from typing import NoReturn

#: Every server a benchmark starts, and every request it sends, stays on this address.
LOOPBACK = "127.0.0.1"


class BenchError(RuntimeError):
    """The benchmark cannot go on: a server did not start, or answered wrongly."""


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


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
