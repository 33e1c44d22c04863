"""Serving a WSGI application on a loopback port, so that the checks judge it over real HTTP.

The suite never imports the provider: it is handed a WSGI callable (duck-typed), or a factory that makes one from
the URL it will be served at (the mock writes its URL into certificates, so it must know it before it starts)::

    with serve_wsgi(factory=lambda url: create_app({"public_base_url": url, ...})) as url:
        report = run_conformance(url)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

WSGIApp = Callable[..., Any]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    #: The concurrency plan opens a dozen connections at once: socketserver's default backlog of 5 drops some.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The checks record every exchange themselves."""


@contextmanager
def serve_wsgi(app: WSGIApp | None = None, *, factory: Callable[[str], WSGIApp] | None = None) -> Iterator[str]:
    """Serve ``app`` (or ``factory(url)``) on 127.0.0.1, on a free port, for the ``with`` block; yield its URL."""
    if (app is None) == (factory is None):
        raise ValueError("give either app or factory")
    holder: dict[str, WSGIApp] = {}

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, dispatch, server_class=_ThreadingServer, handler_class=_QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    holder["app"] = app if app is not None else factory(url)  # type: ignore[misc]
    thread = threading.Thread(target=server.serve_forever, name="conformance-wsgi", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
