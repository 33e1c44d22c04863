"""werkzeug's threaded development server, for the mock in tests (the pytest plugin's, and this repository's).

werkzeug's request handler writes its own ``Date`` and ``Server`` headers before the application's, so an answer
would carry two of each, and a client would read ``Date`` as two dates joined by a comma. The mock's ``Date`` is its
clock's (:mod:`mock_provider.api.server_headers`), which a test may have moved: here the server adds its own only
when the application gave none, as waitress (``jesign-mock serve``) and wsgiref do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.serving import make_server as _werkzeug_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["make_server"]


def make_server(app: WSGIApplication, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded server of ``app`` on ``host`` and ``port`` (0: a free port, in ``server.server_port``); call
    ``serve_forever()`` in a thread, ``shutdown()`` to stop."""
    return _werkzeug_server(host, port, app, threaded=True, request_handler=_AppHeadersFirst)


class _AppHeadersFirst(WSGIRequestHandler):
    """Adds the server's ``Date`` and ``Server`` after the application's headers, and only those it did not give."""

    _given: set[str] | None = None

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self._given = set()

    def send_header(self, keyword: str, value: str) -> None:
        if self._given is not None:
            self._given.add(keyword.lower())
        super().send_header(keyword, value)

    def end_headers(self) -> None:
        given, self._given = self._given, None
        if given is not None:
            if "server" not in given:
                super().send_header("Server", self.version_string())
            if "date" not in given:
                super().send_header("Date", self.date_time_string())
        super().end_headers()
