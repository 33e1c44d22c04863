"""A webhook receiver for integrators' tests: it records every delivery on a loopback port, answers 200 or on
demand an error status.

::

    with WebhookReceiver() as receiver:                  # or the pytest fixture jesign_webhook_receiver
        subscribe(receiver.url)                            # give its URL to the provider
        receiver.fail_next(2, status=500)                  # the next two deliveries get a 500
        ...
        first = receiver.wait_for(1)[0]                    # the deliveries received, in order
        event = verify(first.body, first.headers, jwks)

Only the standard library's HTTP server: no part of the mock, so that it works with the SDK alone. It listens on
127.0.0.1 only and keeps at most ``max_body`` bytes of each body.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["ReceivedDelivery", "WebhookReceiver"]


@dataclass(frozen=True)
class ReceivedDelivery:
    """One request the receiver got, and the status it answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    answered: int
    received_at: float = field(default_factory=time.time)


class WebhookReceiver:
    """An HTTP server on a free loopback port that records what it receives (see the module's docstring)."""

    def __init__(self, *, max_body: int = 1_000_000) -> None:
        self._lock = threading.Condition()
        self._deliveries: list[ReceivedDelivery] = []
        self._failures: list[int] = []
        self._always: int | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), max_body)
                body = self.rfile.read(length)
                status = receiver._record(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"no")

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the deliveries are recorded, not logged

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Where to send webhooks: ``http://127.0.0.1:<port>/webhooks``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    @property
    def deliveries(self) -> list[ReceivedDelivery]:
        with self._lock:
            return list(self._deliveries)

    def fail_next(self, count: int = 1, *, status: int = 500) -> None:
        """Answer ``status`` to the next ``count`` deliveries, then 200 again."""
        with self._lock:
            self._failures.extend([status] * count)

    def fail_always(self, status: int | None = 500) -> None:
        """Answer ``status`` to every delivery from now on (None: back to 200)."""
        with self._lock:
            self._always = status

    def clear(self) -> None:
        with self._lock:
            self._deliveries.clear()
            self._failures.clear()
            self._always = None

    def wait_for(self, count: int, *, timeout: float = 10) -> list[ReceivedDelivery]:
        """The deliveries once there are at least ``count`` (AssertionError after ``timeout`` seconds)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._deliveries) >= count, timeout):
                raise AssertionError(f"{len(self._deliveries)} webhook deliveries received, {count} awaited")
            return list(self._deliveries)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            status = self._failures.pop(0) if self._failures else (self._always or 200)
            self._deliveries.append(ReceivedDelivery(path, headers, body, status))
            self._lock.notify_all()
            return status
