"""A tiny HTTP/1.1 server on a raw socket that breaks its answers on purpose, for the SDK's transport tests.

Each connection reads one request (head and body), records it, and hands the socket to a *behaviour*: a function
that writes whatever (half) answer it wants and returns how to close: :data:`RESET` (RST, as a crashed peer or a
middlebox does), or a graceful close. The server keeps every request it read, so a test counts the attempts and
reads their headers (the ``Idempotency-Key`` of each retry).
"""

from __future__ import annotations

import datetime
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

RESET = "reset"
CLOSE = "close"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


#: Writes (part of) an answer to the socket for a request; answers RESET or CLOSE.
Behaviour = Callable[[socket.socket, Request], str]


@dataclass
class BrokenServer:
    url: str
    requests: list[Request] = field(default_factory=list)
    connections: int = 0

    @property
    def count(self) -> int:
        return len(self.requests)


@contextmanager
def serve(
    behaviour: Behaviour, *, tls: ssl.SSLContext | None = None, greeting: bytes | None = None
) -> Iterator[BrokenServer]:
    """Serve ``behaviour`` on a loopback port (over TLS with ``tls``) until the block ends.

    With ``greeting``, each connection gets those bytes at once instead, and is closed (no request is read).
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    scheme = "https" if tls is not None else "http"
    server = BrokenServer(f"{scheme}://127.0.0.1:{listener.getsockname()[1]}")
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def handle(conn: socket.socket) -> None:
        server.connections += 1
        try:
            if greeting is not None:
                conn.sendall(greeting)
                return
            if tls is not None:
                conn = tls.wrap_socket(conn, server_side=True)
            conn.settimeout(5)
            request = _read_request(conn)
            if request is None:
                return
            server.requests.append(request)
            if behaviour(conn, request) == RESET:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except (OSError, ssl.SSLError):
            pass  # the client gave up first (a timeout, a refused certificate): nothing to do
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            worker = threading.Thread(target=handle, args=(conn,), daemon=True)
            workers.append(worker)
            worker.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()
        for worker in workers:
            worker.join(5)


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Request(method, path, headers, body)


def closed_port() -> int:
    """A loopback port no one listens on (a connection to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- behaviours ----------------------------------------------------------------------------------------------------


def head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close", *(f"{k.replace('_', '-')}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def reset_before_answer(conn: socket.socket, request: Request) -> str:
    """The request was read (and may have been acted on), then the connection is reset: no answer at all."""
    return RESET


def reset_mid_body(conn: socket.socket, request: Request) -> str:
    """A head announcing 200 bytes of JSON, 20 of them, then a reset."""
    conn.sendall(head(Content_Type="application/json", Content_Length="200") + b'{"state": "active", ')
    time.sleep(0.05)  # let the client read what came before the reset discards it
    return RESET


def truncated_chunked(conn: socket.socket, request: Request) -> str:
    """A chunked body whose chunk promises 0x40 bytes and gives 12, then the connection closes."""
    conn.sendall(head(Content_Type="application/json", Transfer_Encoding="chunked") + b'40\r\n{"state": "ac')
    return CLOSE


def short_body(conn: socket.socket, request: Request) -> str:
    """``Content-Length: 200`` and 20 bytes, then a graceful close (``http.client.IncompleteRead`` underneath)."""
    conn.sendall(head(Content_Type="application/json", Content_Length="200") + b'{"state": "active", ')
    return CLOSE


def bad_gzip(conn: socket.socket, request: Request) -> str:
    """A whole body that says it is gzip and is not."""
    body = b"this is not gzip at all"
    conn.sendall(head(Content_Type="application/json", Content_Encoding="gzip", Content_Length=str(len(body))) + body)
    return CLOSE


def stall_before_answer(conn: socket.socket, request: Request) -> str:
    """No answer until the client gives up (its read timeout)."""
    _wait_for_close(conn)
    return CLOSE


def stall_mid_body(conn: socket.socket, request: Request) -> str:
    """A head and 20 bytes of the 200 it announces, then silence until the client gives up."""
    conn.sendall(head(Content_Type="application/json", Content_Length="200") + b'{"state": "active", ')
    _wait_for_close(conn)
    return CLOSE


def redirect_to_itself(conn: socket.socket, request: Request) -> str:
    conn.sendall(head("302 Found", Location=request.path, Content_Length="0"))
    return CLOSE


def unavailable(conn: socket.socket, request: Request) -> str:
    body = b'{"code": "unavailable"}'
    conn.sendall(head("503 Service Unavailable", Content_Type="application/json", Content_Length=str(len(body))) + body)
    return CLOSE


def reset_once_then(answer: bytes, content_type: str = "application/json") -> Behaviour:
    """Reset the first request mid-body, answer ``answer`` to the next ones."""
    seen: list[Request] = []

    def behaviour(conn: socket.socket, request: Request) -> str:
        seen.append(request)
        if len(seen) == 1:
            return reset_mid_body(conn, request)
        conn.sendall(head(Content_Type=content_type, Content_Length=str(len(answer))) + answer)
        return CLOSE

    return behaviour


def _wait_for_close(conn: socket.socket) -> None:
    conn.settimeout(5)
    try:
        while conn.recv(1024):
            pass
    except OSError:
        pass


# -- TLS -----------------------------------------------------------------------------------------------------------


def self_signed_tls(directory: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1 (that no client trusts)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
