"""A ``curl`` command that sends a recorded request again: how a failed check's report lets you reproduce, by hand,
the exchange it failed on.

The runner gives each FAILED or ERROR result the command for the last request its check sent to the target (the
harness's own calls to the mock's control plane left aside): the request a check judges is, nearly always, the last
one it made. The command is built from the exchange as the report holds it, so every secret is already masked
(``***``: the ``Authorization`` and cookie headers, codes, tokens, client secrets, session tokens; see
:mod:`conformance.http`): put your own values back before sending it. A request body the report does not hold
whole (binary, multipart, or cut short) is read from a file the command names, with a comment saying so.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Iterable

from conformance.results import Exchange

#: Headers that curl writes itself (or that only describe the suite).
_LEFT_OUT = frozenset({"content-length", "connection", "accept-encoding", "host", "user-agent"})
BODY_FILE = "request-body"


def failing_request(exchanges: Iterable[Exchange], harness_parties: Iterable[str] = ()) -> Exchange | None:
    """The exchange a failed check's report reproduces: the last one sent to the target, not to the harness."""
    aside = set(harness_parties)
    sent = [e for e in exchanges if e.party not in aside]
    return sent[-1] if sent else None


def curl_command(exchange: Exchange) -> str:
    """The ``curl`` command line that sends ``exchange``'s request again (``-i``: the answer's status and headers too).

    Its headers and body are the recorded ones, secrets masked; a body the report does not hold whole is read from
    the file :data:`BODY_FILE`, and a comment line before the command says so."""
    words = ["curl", "-i", "-X", exchange.method]
    content_type = ""
    for name, value in exchange.request_headers.items():
        if name.lower() == "content-type":
            content_type = value
        if name.lower() not in _LEFT_OUT:
            words += ["-H", f"{name}: {value}"]
    comment = ""
    body = exchange.request_body
    if body is not None and exchange.request_body_whole:
        words += ["--data-raw", _compact(body, content_type)]
    elif body is not None:
        comment = f"# the request body ({_brief(body)}) is not in the report: save it as {BODY_FILE} first\n"
        words += ["--data-binary", f"@{BODY_FILE}"]
    words.append(exchange.url)
    return comment + " ".join(shlex.quote(word) for word in words)


def _compact(body: str, content_type: str) -> str:
    """A JSON body on one line (the report indents it); any other body as recorded."""
    if "json" in content_type:
        with contextlib.suppress(ValueError, RecursionError):
            return json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":"))
    return body


def _brief(body: str) -> str:
    return body if len(body) <= 60 else body[:57] + "..."
