"""The screens' in-process HTTP: a ``requests`` transport that hands each request to the whole Flask app.

The platform's screens call the other parties as any client would (the SSO's token endpoint, the trust provider's
CSC API), so that every rule, breakage and fault of those endpoints applies. They make those calls through the app
itself rather than over a socket: the served mock may sit behind an address it cannot reach from inside (a
container's published port), and a call to oneself over HTTP would hold a second worker thread of waitress.

:func:`in_process_session` gives a ``requests.Session`` whose every URL goes to the app (the URL's host is kept
as the request's ``Host``), for :class:`jesign_sdk.Client` and its signing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import Client


class WsgiAdapter(BaseAdapter):
    """A ``requests`` transport adapter answering from a WSGI app through werkzeug's test client."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self._app = app

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body
        data = body.encode() if isinstance(body, str) else (body or b"")
        answer = Client(self._app).open(
            url.path or "/",
            method=request.method or "GET",
            query_string=url.query,
            headers=list(request.headers.items()),
            data=data,
            base_url=f"{url.scheme}://{url.netloc}",
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.status.partition(" ")[2]
        response.headers = CaseInsensitiveDict(dict(answer.headers.items()))
        response._content = answer.get_data()
        response.url = request.url or ""
        response.request = request
        response.encoding = answer.mimetype_params.get("charset")
        return response

    def close(self) -> None:
        """Nothing to close: no connection is held."""


def in_process_session(app: Flask) -> requests.Session:
    """A session whose every request goes to ``app`` in-process (plain and TLS URLs alike)."""
    session = requests.Session()
    adapter = WsgiAdapter(app)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False
    return session
