"""What every answer of the mock says about the server: its clock (``Date``) and its name (``Server``).

``Date`` (RFC 9110 section 6.6.1) is the instant the answer was made, to the second, on the mock clock: a client
that follows the server's clock (``jesign_sdk.ServerClock``) follows the mock's when a test moves it, as it would
follow a real server's. ``Server: jesign-mock`` (section 10.2.4) tells a client that it talks to the mock, whose
clock may be moved, and not to a real provider.

HTTP servers add both headers only when the application gave none: waitress (``jesign-mock serve``) does so, and
so does :mod:`mock_provider.dev_server` (werkzeug's server, for tests). The server's own refusals, made before the
application runs (``413`` on a body too large, say), carry the server's wall-clock ``Date``.
"""

from __future__ import annotations

from email.utils import format_datetime

from flask import Flask, Response

from mock_provider.core.clock import Clock

SERVER = "jesign-mock"


def server_headers(clock: Clock) -> list[tuple[str, str]]:
    """The ``Date`` and ``Server`` headers of an answer made now."""
    return [("Date", format_datetime(clock.now().replace(microsecond=0), usegmt=True)), ("Server", SERVER)]


def install(app: Flask, clock: Clock) -> None:
    """Give every answer of ``app`` the headers of :func:`server_headers`."""

    @app.after_request
    def _server_headers(response: Response) -> Response:
        for name, value in server_headers(clock):
            response.headers[name] = value
        return response
