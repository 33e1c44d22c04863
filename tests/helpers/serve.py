"""The real ``jesign-mock serve`` as a subprocess on a loopback port, for the live tests of the server.

:func:`serving` starts it in a process group of its own (as a terminal would), waits for ``/healthz``, and on leaving
sends SIGINT to the whole group (Ctrl+C), then reads what the server printed. Raw-socket helpers play the slow and
hostile clients.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def has_ipv6_loopback() -> bool:
    """Whether this machine has ::1 (a container may have IPv4 alone)."""
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6):
            return True
    except OSError:
        return False


@dataclass
class Served:
    """A running ``serve``; ``out``, ``err`` and ``returncode`` are known once :func:`serving` has stopped it."""

    process: subprocess.Popen[bytes]
    port: int
    out: str = ""
    err: str = ""
    returncode: int | None = None
    group_left: bool = False

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def connect(self, timeout: float = 10) -> socket.socket:
        return socket.create_connection((LOOPBACK, self.port), timeout=timeout)


@contextlib.contextmanager
def serving(data_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> Iterator[Served]:
    """``jesign-mock serve --data-dir data_dir ARGS`` with ``env`` over a clean environment, until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "mock_provider.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JESIGN_MOCK_")} | dict(env or {})
    out_path, err_path = data_dir / "serve.out", data_dir / "serve.err"
    data_dir.mkdir(parents=True, exist_ok=True)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen([*command, *args], stdout=out, stderr=err, env=environment, start_new_session=True)
    served = Served(process, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, err_path.read_text()
            try:
                if requests.get(f"{served.base}/healthz", timeout=1).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still starting its workers
                pass
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.1)
        yield served
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            served.returncode = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        served.group_left = _group_left(process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # nothing of the group outlives the test
        served.out, served.err = out_path.read_text(), err_path.read_text()


def _group_left(pgid: int, within: float = 15.0) -> bool:
    """Whether every process of the group has exited (the workers of a pre-fork server included)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length, read off ``sock``: status, headers (lower-cased), body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before a whole response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        assert chunk, "the connection closed inside the body"
        body += chunk
    return int(status_line.split()[1]), headers, body


def problem_of(status: int, headers: dict[str, str], body: bytes, expected: int, code: str) -> dict[str, Any]:
    """The RFC 9457 problem of a raw response, once its status, media type and code are the expected ones."""
    assert status == expected, body
    assert headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = json.loads(body)
    assert problem["status"] == expected
    assert problem["code"] == code
    assert problem["request_id"] == headers["x-request-id"]
    return problem


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (read until end of file or reset) before the socket's timeout."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True
