"""The HTTP server behind ``jesign-mock serve``: waitress, with limits against slow and hostile clients.

Why waitress: its main loop (one thread, non-blocking sockets) reads each request whole, headers then body, before
a worker thread runs the app; bodies past 512 KiB are spooled to a temporary file. A client that sends slowly
holds a socket, never one of the threads that run the app, and a connection that stays silent longer than
``read_timeout_seconds`` is closed. (granian, used before, reads WSGI bodies from inside the app's thread with no
timeout, and its maintainers declined to add one: emmett-framework/granian#728. Four connections stopped mid-body
froze it.)

What this module adds to waitress's own settings:

- **Per-route body limits, applied on the request line and headers**, before any byte of the body is read: the
  identity document uploads take both sides of ``max_document_bytes`` plus :data:`UPLOAD_FORM_OVERHEAD`, every
  other route ``max_body_bytes`` (see :func:`body_limit`). A chunked body is counted as it arrives and refused
  as soon as it passes its route's limit.
- **The server's own refusals as RFC 9457 problems** (``413 content_too_large``, ``431
  request_header_fields_too_large``, ``400 bad_request``, ...), with a request id, like every error of the mock.
- **Worker processes**: with ``workers`` above 1, the parent binds the socket, forks that many workers that all
  accept on it, and stops them on SIGINT or SIGTERM.

- **A port in use is refused** (:class:`PortInUse`), never shared: on the address itself the kernel refuses the
  bind (the socket has no ``SO_REUSEPORT``); on a loopback or wildcard address, :func:`listen` also refuses when
  another server answers on the other IP family's loopback at the same port, where a client of ``localhost`` could
  reach it instead (requests split between two mocks and their two PKIs). The workers share the parent's socket,
  so they are not another server.

The caller's job: :func:`listen` first (so that a port in use is reported before anything else), then
:func:`serve` with the socket; it returns once the server has stopped.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import multiprocessing
import multiprocessing.connection
import re
import signal
import socket
from types import FrameType
from typing import TYPE_CHECKING, NoReturn, cast

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask
from waitress.utilities import RequestEntityTooLarge

from mock_provider.config import MockConfig
from mock_provider.core.seals import MAX_PDF_BYTES
from mock_provider.core.transactions.rules import MAX_FILE_BYTES

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

#: The routes that take identity document images (multipart: recto, verso and a few short fields): the trust
#: provider's API and its upload screen.
UPLOAD_ROUTES = re.compile(
    r"/trust/v1/registrations/[^/]+/documents|/trust/enroll/[^/]+/document(?:/recto)?|/trust/v1/id-validations"
)
#: The seal API (Universign's POST /v1/seals): a PDF of up to 25 MB and the form around it.
SEAL_ROUTE = "/trust/v1/seals"
#: The transaction API's upload (Universign's POST /v1/files): a PDF of up to 25 MB.
FILE_ROUTE = "/trust/v1/files"
#: Room in an upload for the form's other fields and the multipart framing, beside the two images.
UPLOAD_FORM_OVERHEAD = 64 * 1024
#: How long the pre-fork parent waits for workers stopping on Ctrl+C before it sends them SIGTERM.
SHUTDOWN_GRACE_SECONDS = 10.0
#: Listen backlog: connections the kernel holds while every worker is at ``max_connections``.
BACKLOG = 1024

log = logging.getLogger("mock_provider")

# status: (code, title) of the problems the server answers by itself, before the app.
_PROBLEMS = {
    400: ("bad_request", "Bad Request"),
    413: ("content_too_large", "Content Too Large"),
    431: ("request_header_fields_too_large", "Request Header Fields Too Large"),
    501: ("not_implemented", "Not Implemented"),
}


def upload_limit(config: MockConfig) -> int:
    """Largest body of an identity document upload: both sides at their largest, and the form around them."""
    return 2 * config.max_document_bytes + UPLOAD_FORM_OVERHEAD


def body_limit(config: MockConfig, path: str) -> int:
    """Largest request body accepted on ``path`` (the URL path, percent-decoded, without the query)."""
    if path == SEAL_ROUTE:
        return MAX_PDF_BYTES + UPLOAD_FORM_OVERHEAD
    if path == FILE_ROUTE:
        return MAX_FILE_BYTES + UPLOAD_FORM_OVERHEAD
    return upload_limit(config) if UPLOAD_ROUTES.fullmatch(path) else config.max_body_bytes


#: How long :func:`listen` waits for another server to answer on the other loopback (it answers at once, or is
#: refused at once, unless a firewall drops the packets).
PROBE_TIMEOUT_SECONDS = 1.0


class PortInUse(OSError):
    """Another server listens on the port: on the address asked for, or on ``twin`` (``host:port``, the other IP
    family's loopback)."""

    def __init__(self, port: int, twin: str | None = None) -> None:
        reason = f"port {port} is already in use"
        if twin is not None:
            reason += f" by a server on {twin}, which clients of localhost may reach instead"
        super().__init__(errno.EADDRINUSE, reason)
        self.port = port
        self.twin = twin


def listen(config: MockConfig) -> socket.socket:
    """A TCP socket bound to the configured host and port, listening.

    Raises :class:`PortInUse` when another server listens there, or on the other IP family's loopback at the same
    port (see the module's docstring); ``OSError`` when it cannot listen for another reason.
    """
    family, _, _, _, address = socket.getaddrinfo(
        config.host, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    try:
        sock = socket.create_server((config.host, config.port), family=family, backlog=BACKLOG)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(config.port) from exc
        raise
    for twin in _twins(str(address[0])):
        if _answers(twin, config.port):
            sock.close()
            raise PortInUse(config.port, host_port(twin, config.port))
    return sock


#: For an address a client of ``localhost`` may reach (or a wildcard, which covers it), the other IP family's
#: loopback, where that client may land instead.
_TWINS = {"127.0.0.1": "::1", "0.0.0.0": "::1", "::1": "127.0.0.1", "::": "127.0.0.1"}  # noqa: S104


def _twins(host: str) -> list[str]:
    """The addresses where a client meaning ``host`` may land as well."""
    twin = _TWINS.get(str(ipaddress.ip_address(host.split("%")[0])))
    return [twin] if twin is not None else []


def _answers(host: str, port: int) -> bool:
    """Whether a server accepts connections on ``host``, ``port`` (a host without that family: no)."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_SECONDS):
            return True
    except OSError:  # refused, no such address on this machine, unreachable, or silent
        return False


def host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(config: MockConfig, sock: socket.socket) -> None:
    """Serve the mock on ``sock`` until SIGINT or SIGTERM: in this process, or in ``config.workers`` forks."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if config.workers == 1:
        _run_worker(config, sock)
        return
    # fork, not spawn: the workers inherit the bound socket and the resolved configuration as they are.
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_run_worker, args=(config, sock), name=f"jesign-mock worker {number}")
        for number in range(1, config.workers + 1)
    ]
    signal.signal(signal.SIGTERM, _stop)
    interrupted = False
    try:
        for worker in workers:
            worker.start()
        sock.close()  # the workers hold their own copies
        ended = multiprocessing.connection.wait([worker.sentinel for worker in workers])
        failed = next(worker for worker in workers if worker.sentinel in ended)
        failed.join()
        log.error("%s exited with %s; stopping the others", failed.name, failed.exitcode)
        raise SystemExit(1)
    except KeyboardInterrupt:
        interrupted = True  # Ctrl+C reaches the whole process group: the workers are stopping by themselves
    finally:
        for worker in workers:
            if interrupted:
                worker.join(SHUTDOWN_GRACE_SECONDS)
            if worker.is_alive():
                worker.terminate()  # SIGTERM: the worker stops as on Ctrl+C
        for worker in workers:
            worker.join()


def _stop(signum: int, _frame: FrameType | None) -> NoReturn:
    """SIGTERM handler: unwind as on Ctrl+C, so that waitress and the pre-fork parent stop cleanly."""
    raise SystemExit(0)


def _run_worker(config: MockConfig, sock: socket.socket) -> None:
    """One worker: the app, its webhook sender thread, and waitress on the shared socket until SIGINT or SIGTERM
    (waitress stops on both)."""
    from mock_provider.app import create_app, services_of

    signal.signal(signal.SIGTERM, _stop)
    try:
        app = create_app(config)
        server = make_server(config, sock, app)
    except KeyboardInterrupt:
        return  # Ctrl+C while starting: nothing to stop yet
    services_of(app).webhooks.start_sender()
    server.run()


def make_server(config: MockConfig, sock: socket.socket, app: WSGIApplication | None = None) -> BaseWSGIServer:
    """The mock's app under waitress on ``sock``, with the mock's limits; ``run()`` serves it.

    ``app`` serves another WSGI app with exactly the same server settings (the hot-path benchmark's bare Flask app).
    """
    if app is None:
        from mock_provider.app import create_app

        app = create_app(config)
    server = create_server(
        app,
        sockets=[sock],
        threads=config.threads,
        connection_limit=config.max_connections,
        channel_timeout=config.read_timeout_seconds,
        cleanup_interval=1,  # look for silent connections every second, so the timeout is kept to a second
        max_request_header_size=config.max_header_bytes,
        # the routes' own limits come first (see LimitedRequestParser); this only backs them up
        max_request_body_size=max(upload_limit(config), config.max_body_bytes) + 1,
        asyncore_use_poll=True,  # select() cannot watch descriptors past 1024
        clear_untrusted_proxy_headers=False,  # the mock reads no proxy header; leave them to the app
        ident="jesign-mock",
    )
    if not isinstance(server, BaseWSGIServer):  # pragma: no cover - one socket gives one server
        raise TypeError(f"waitress made a {type(server).__name__} for one socket")
    server.channel_class = channel_class(config)
    return server


def channel_class(config: MockConfig) -> type[HTTPChannel]:
    """waitress's connection handler, with the mock's request parser and problem+json error answers."""

    class Parser(LimitedRequestParser):
        pass

    Parser.config = config

    class Channel(HTTPChannel):
        parser_class = Parser
        error_task_class = ProblemErrorTask

    return Channel


class LimitedRequestParser(HTTPRequestParser):
    """waitress's request parser, refusing a body larger than its route accepts before reading it.

    A declared ``Content-Length`` is judged with the headers; a chunked body as it arrives. The refusal completes
    the request with waitress's ``RequestEntityTooLarge``, which :class:`ProblemErrorTask` answers; waitress then
    closes the connection, so the rest of the body is never read.
    """

    config: MockConfig
    path: str
    #: The limit of the request's route, known once its headers are parsed.
    body_limit: int = 0

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        self.body_limit = body_limit(self.config, self.path)
        if self.content_length > self.body_limit:
            self._refuse()

    def received(self, data: bytes) -> int:
        consumed = super().received(data)
        if self.chunked and self.error is None and self.body_rcv is not None and len(self.body_rcv) > self.body_limit:
            self._refuse()
        return consumed

    def _refuse(self) -> None:
        self.error = RequestEntityTooLarge(f"more than {self.body_limit} bytes")
        self.completed = True
        # answer at once: no "100 Continue" for a body that will be refused
        self.expect_continue = False


class ProblemErrorTask(ErrorTask):
    """The answer to a request that waitress or :class:`LimitedRequestParser` refused: an RFC 9457 problem."""

    def execute(self) -> None:
        # Here, not at the top: the app has imported it long before (and with it SQLAlchemy); `serve` imports this
        # module first, to refuse a port in use at once.
        from mock_provider.http_common.problems import problem_body, request_id_from

        request = cast(HTTPRequestParser, self.request)  # the stubs call it an Error; it is the parsed request
        error = request.error
        status = error.code if error is not None else 500
        request_id = request_id_from(request.headers.get("X_REQUEST_ID"))
        code, title = _PROBLEMS.get(status, ("internal_error", "Internal error"))
        if status == 413:
            limit = getattr(request, "body_limit", 0)
            detail = f"This route accepts a request body of at most {limit} bytes."
        elif status == 431:
            detail = f"The request line and headers may take at most {self.channel.adj.max_request_header_size} bytes."
        elif status == 500 or error is None:
            detail = "The mock failed to answer; see its log."
        else:
            detail = str(error.body)
        body = problem_body(status, code, title, detail, request_id=request_id).encode()
        self.status = f"{status} {title}"
        cast(list[tuple[str, str]], self.response_headers).extend(
            [
                ("Content-Type", "application/problem+json"),
                ("Content-Length", str(len(body))),
                ("X-Request-Id", request_id),
            ]
        )
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)
