"""The loopback redirect of a native app (RFC 8252 section 7.3): a one-shot listener on 127.0.0.1 that catches the
authorization server's redirect, and the browser flow around it.

The SSO login of the command line and :class:`~jesign_sdk.signing.csc_oauth2.CscOAuth2` share it: the listener is
bound and serving before the browser is opened, keeps the first callback only, and answers the browser a short page.
"""

from __future__ import annotations

import html
import threading
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from jesign_sdk._errors import JesignError

LOOPBACK_REDIRECT_URI = "http://127.0.0.1/callback"
"""The loopback redirect URI registered for native clients (any port matches, RFC 8252 section 7.3)."""

#: How long the browser flow waits for the person, by default.
LOGIN_TIMEOUT = 300.0


class LoginError(JesignError):
    """The login did not complete on this side (no answer from the browser in time)."""


class CallbackServer(ThreadingHTTPServer):
    """Listens on 127.0.0.1 (a port the system picks) for the SSO's redirect; keeps the first callback only."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CallbackHandler)
        self.received = threading.Event()
        self.callback: str | None = None
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def accept(self, path: str) -> bool:
        with self._lock:
            if self.callback is not None:
                return False
            self.callback = f"http://127.0.0.1:{self.port}{path}"
        self.received.set()
        return True


class _CallbackHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server = cast(CallbackServer, self.server)
        if urlsplit(self.path).path != "/callback":
            self.send_error(404)
            return
        if not server.accept(self.path):
            self.send_error(409, "a login answer was already received")
            return
        error = parse_qs(urlsplit(self.path).query).get("error", [None])[0]
        text = (
            f"La connexion a échoué ({html.escape(error)}). Revenez au terminal."
            if error
            else "Connexion reçue. Vous pouvez fermer cette fenêtre et revenir au terminal."
        )
        page = f"<!doctype html><meta charset=utf-8><title>jesign</title><p>{text}</p>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the callback's URL carries the code."""


@contextmanager
def loopback_listener() -> Iterator[CallbackServer]:
    """A one-shot listener, bound and serving before the caller opens the browser, shut down on leaving."""
    server = CallbackServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def browser_authorize(
    url_for: Callable[[str], str],
    *,
    timeout: float = LOGIN_TIMEOUT,
    open_browser: bool = True,
    say: Callable[[str], None] = print,
) -> str:
    """The browser flow: a listener on ``http://127.0.0.1:<port>/callback``, the authorization URL that
    ``url_for(redirect_uri)`` makes opened in the browser (and shown), and the URL the browser came back on.

    Raises :class:`LoginError` when the browser does not come back within ``timeout`` seconds."""
    with loopback_listener() as listener:
        redirect_uri = f"http://127.0.0.1:{listener.port}/callback"
        url = url_for(redirect_uri)
        say(f"Open this address to authorize:\n\n    {url}\n")
        if open_browser and not webbrowser.open(url):
            say("(no browser could be opened: copy the address above)")
        if not listener.received.wait(timeout) or listener.callback is None:
            raise LoginError(f"no answer from the browser within {timeout:g} seconds")
        return listener.callback
