"""The HTTP server of ``jesign-mock serve`` against slow and hostile clients (mock_provider/server.py).

The parser's per-route limits are tested in-process by feeding it bytes; the rest runs the real ``serve`` and
plays the clients with raw sockets: slow ones must not starve the others, a silent one is cut off, an oversized
body is refused from its headers with a problem+json 413 and never reaches the app.
"""

from __future__ import annotations

import contextlib
import errno
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import requests
from waitress.adjustments import Adjustments

from mock_provider import create_app
from mock_provider.config import MockConfig, load_config
from mock_provider.server import (
    UPLOAD_FORM_OVERHEAD,
    UPLOAD_ROUTES,
    LimitedRequestParser,
    PortInUse,
    body_limit,
    channel_class,
    listen,
)
from tests.helpers.mock import memory_config
from tests.helpers.serve import (
    Served,
    closed_by_server,
    free_port,
    has_ipv6_loopback,
    problem_of,
    read_response,
    serving,
)

CONFIG = load_config({"max_document_bytes": 200_000, "max_body_bytes": 4096}, environ={})
UPLOAD = "/trust/v1/registrations/reg_x/documents"


def parse(raw: bytes, config: MockConfig = CONFIG) -> LimitedRequestParser:
    """The mock's request parser after ``raw`` arrived, fed as waitress's channel feeds it."""
    parser = cast(LimitedRequestParser, channel_class(config).parser_class(Adjustments()))
    while raw and not parser.completed:
        raw = raw[parser.received(raw) :]
    return parser


def chunks(size: int, piece: int = 1000) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in [b"a" * piece] * (size // piece))


# -- the limits, in-process --------------------------------------------------------------------------------------


def test_uploads_take_both_document_sides_and_every_other_route_takes_max_body_bytes() -> None:
    assert body_limit(CONFIG, UPLOAD) == 2 * 200_000 + UPLOAD_FORM_OVERHEAD
    assert body_limit(CONFIG, "/trust/enroll/reg_x/document") == 2 * 200_000 + UPLOAD_FORM_OVERHEAD
    assert body_limit(CONFIG, "/trust/enroll/reg_x/document/recto") == 2 * 200_000 + UPLOAD_FORM_OVERHEAD
    assert body_limit(CONFIG, "/trust/v1/id-validations") == 2 * 200_000 + UPLOAD_FORM_OVERHEAD
    # The seal API takes Universign's 25 MB PDF, whatever the document limit.
    assert body_limit(CONFIG, "/trust/v1/seals") == 25 * 1024 * 1024 + UPLOAD_FORM_OVERHEAD
    for path in (
        "/sso/token",
        "/trust/v1/registrations",
        f"{UPLOAD}/x",
        "/pki/ocsp",
        "/trust/enroll/reg_x",
        "/trust/v1/seals/x",
    ):
        assert body_limit(CONFIG, path) == 4096, path


def test_the_upload_routes_are_the_apps_document_uploads() -> None:
    """The pattern names real routes: the API's upload, the screens' two (the recto's page, the verso's) and the
    identity prevalidation, POST all, and nothing else."""
    app = create_app(memory_config())
    matched = {
        rule.rule: sorted(rule.methods or ())
        for rule in app.url_map.iter_rules()
        if UPLOAD_ROUTES.fullmatch(re.sub(r"<[^>]+>", "reg_x", rule.rule))
    }
    assert set(matched) == {
        "/trust/v1/registrations/<registration_id>/documents",
        "/trust/enroll/<registration_id>/document",
        "/trust/enroll/<registration_id>/document/recto",
        "/trust/v1/id-validations",
    }
    assert all("POST" in methods for methods in matched.values())


def test_a_declared_length_over_the_route_limit_is_refused_with_the_headers() -> None:
    parser = parse(b"POST /sso/token HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4097\r\n\r\n")
    assert parser.completed
    assert parser.error is not None
    assert parser.error.code == 413
    assert parser.body_limit == 4096
    assert not parser.expect_continue  # the refusal goes out at once, instead of "100 Continue"


def test_a_declared_length_within_the_route_limit_waits_for_its_body() -> None:
    upload = parse(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 400000\r\n\r\n" % UPLOAD.encode())
    assert not upload.completed
    assert upload.error is None
    small = parse(b"POST /sso/token HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + b"a" * 4096)
    assert small.completed
    assert small.error is None


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit() -> None:
    head = b"POST /sso/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    over = parse(head + chunks(5000))  # no last chunk: refused while the body is still arriving
    assert over.completed
    assert over.error is not None
    assert over.error.code == 413
    within = parse(head + chunks(4000) + b"0\r\n\r\n")
    assert within.completed
    assert within.error is None
    assert within.headers["CONTENT_LENGTH"] == "4000"


# -- the listening socket, in-process ----------------------------------------------------------------------------


def listen_on(host: str, port: int) -> socket.socket:
    return listen(load_config({"host": host, "port": port}, environ={}))


def test_a_port_in_use_is_refused_never_shared() -> None:
    port = free_port()
    with listen_on("127.0.0.1", port):
        for host in ("127.0.0.1", "0.0.0.0", "localhost"):
            with pytest.raises(PortInUse) as refused:
                listen_on(host, port)
            assert refused.value.errno == errno.EADDRINUSE
            assert str(refused.value.strerror) == f"port {port} is already in use"
        # Another program asking the kernel to share the port (SO_REUSEPORT) is refused too: the mock's socket
        # does not offer to share it.
        with socket.socket() as sharer:
            sharer.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            with pytest.raises(OSError, match="in use") as taken:
                sharer.bind(("127.0.0.1", port))
            assert taken.value.errno == errno.EADDRINUSE
    with listen_on("127.0.0.1", port):  # free again once the first is closed
        pass


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback here: no other family to land on")
@pytest.mark.parametrize(
    ("mine", "other", "other_family"),
    [("127.0.0.1", "::1", socket.AF_INET6), ("::1", "127.0.0.1", socket.AF_INET)],
    ids=["ipv4-beside-ipv6", "ipv6-beside-ipv4"],
)
def test_a_server_on_the_other_loopback_is_refused(mine: str, other: str, other_family: socket.AddressFamily) -> None:
    """A client of ``localhost`` may land on 127.0.0.1 or on ::1: a mock there and another server here would split
    its requests."""
    port = free_port()
    with socket.create_server((other, port), family=other_family):
        with pytest.raises(PortInUse) as refused:
            listen_on(mine, port)
        twin = f"[{other}]:{port}" if ":" in other else f"{other}:{port}"
        assert refused.value.twin == twin
        assert twin in str(refused.value.strerror)
    with listen_on(mine, port):  # the refusal left nothing bound: with the other server gone, it listens
        pass


# -- the real server ---------------------------------------------------------------------------------------------

PARTIAL_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
PARTIAL_BODY = b"POST /sso/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\ngrant_type="


@contextlib.contextmanager
def slow_clients(served: Served, count: int, *, timeout: float = 10) -> Iterator[list[socket.socket]]:
    """``count`` connections that stop mid-request: half in their headers, half in their body."""
    with contextlib.ExitStack() as stack:
        clients = []
        for number in range(count):
            sock = stack.enter_context(served.connect(timeout))
            sock.sendall(PARTIAL_HEADERS if number % 2 else PARTIAL_BODY)
            clients.append(sock)
        yield clients


@pytest.mark.live
def test_requests_are_answered_while_slow_clients_hold_connections(tmp_path: Path) -> None:
    # More slow clients than threads: under a server that reads bodies in its app threads, nothing would answer.
    with serving(tmp_path, "--threads", "2") as served, slow_clients(served, 8):
        for path in ("/healthz", "/pki/ca/root.cer", "/sso/.well-known/openid-configuration"):
            answer = requests.get(f"{served.base}{path}", timeout=5)
            assert answer.status_code == 200, answer.text
    assert served.returncode == 0, served.err


@pytest.mark.live
def test_a_silent_client_is_cut_off_after_the_read_timeout(tmp_path: Path) -> None:
    with serving(tmp_path, env={"JESIGN_MOCK_READ_TIMEOUT_SECONDS": "2"}) as served:
        started = time.monotonic()
        # the clients wait far longer than the server's 2 s: the server, not the client, gives up
        with slow_clients(served, 2, timeout=30) as clients:
            for sock in clients:
                assert closed_by_server(sock)  # without an answer
        assert time.monotonic() - started >= 1, "closed at once, not after a silence"
        assert requests.get(f"{served.base}/healthz", timeout=5).status_code == 200
    assert served.returncode == 0, served.err


@pytest.mark.live
def test_oversized_requests_are_refused_before_the_app(tmp_path: Path) -> None:
    limits = {"JESIGN_MOCK_MAX_DOCUMENT_BYTES": "200000", "JESIGN_MOCK_MAX_BODY_BYTES": "4096"}
    upload_limit = 2 * 200_000 + UPLOAD_FORM_OVERHEAD
    with serving(tmp_path, env=limits) as served:

        def refused(head: bytes, *, then: bytes = b"") -> tuple[int, dict[str, str], bytes]:
            with served.connect() as sock:
                sock.sendall(head + then)
                return read_response(sock)

        # A declared length over the route's limit: answered from the headers, no byte of the body sent.
        problem = problem_of(
            *refused(b"POST /sso/token HTTP/1.1\r\nHost: x\r\nX-Request-Id: big-token\r\nContent-Length: 4097\r\n\r\n"),
            413,
            "content_too_large",
        )
        assert problem["request_id"] == "big-token"
        assert "4096 bytes" in problem["detail"]
        upload_head = b"POST %s HTTP/1.1\r\nHost: x\r\nX-Request-Id: big-upload\r\nContent-Length: %d\r\n\r\n"
        problem = problem_of(*refused(upload_head % (UPLOAD.encode(), upload_limit + 1)), 413, "content_too_large")
        assert f"{upload_limit} bytes" in problem["detail"]
        # A chunked body, refused once it passes the limit, its end never sent.
        chunked = (
            b"POST /sso/token HTTP/1.1\r\nHost: x\r\nX-Request-Id: big-chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        problem_of(*refused(chunked, then=chunks(8000)), 413, "content_too_large")
        # Headers past max_header_bytes.
        huge_header = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" % (b"a" * 70_000)
        problem_of(*refused(huge_header), 431, "request_header_fields_too_large")
        # Malformed requests, also refused by the server.
        problem_of(*refused(b"POST /sso/token HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"), 400, "bad_request")
        gzip = b"POST /sso/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        problem_of(*refused(gzip), 501, "not_implemented")

        # Within the limits, the same routes reach the app, which records them in its request history.
        answer = requests.post(
            f"{served.base}{UPLOAD}", data=b"a" * 300_000, headers={"X-Request-Id": "fits"}, timeout=10
        )
        assert answer.status_code != 413, answer.text
        history = requests.get(f"{served.base}/_mock/requests", params={"limit": 50}, timeout=5).json()["data"]
        seen = {entry["request_id"] for entry in history}
        assert "fits" in seen
        assert seen.isdisjoint({"big-token", "big-upload", "big-chunked"})
        assert requests.get(f"{served.base}/healthz", timeout=5).status_code == 200
    assert served.returncode == 0, served.err
