"""Transport failures and malformed answers through the SDK's public calls: each one a :class:`JesignError` of the
class docs/sdk/errors.md gives, retried where that is safe and only there.

The broken answers come from a raw socket server (:mod:`tests.jesign_sdk.broken_http`): real resets, truncated
bodies, stalls, redirect loops and TLS failures, as ``requests`` meets them. Three public calls stand for the three
kinds of call: a GET (``registration.status``), a POST with its ``Idempotency-Key``
(``registration.confirm_profile``), and a POST the server cannot replay (``sso.refresh``: a refresh token is
single-use). ``attempts`` counts what the SDK sent, ``server.count`` what reached the server.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import socket
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
import urllib3
import urllib3.exceptions
from asn1crypto import cms

from jesign_sdk import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    Applicant,
    Client,
    InternalServerError,
    JesignError,
    MockOutboxOtpSource,
    OtpRequest,
    RetryPolicy,
    Tokens,
)
from jesign_sdk._requestor import RetrySafety, transport_failure
from jesign_sdk.resources.trust import HttpTrustBackend
from tests.helpers import broken_http
from tests.helpers.broken_http import closed_port, serve

RETRIES = 2
MOBILE = "+33612345678"
STATUS: dict[str, Any] = {
    "state": "profile_confirmed",
    "next_action": "start_certificate_request",
    "profile": {
        "given_name": "Marie",
        "family_name": "Dupont",
        "email": "marie.dupont@example.com",
        "firms": [{"id": "frm_ecma", "name": "Cabinet ECMA", "delegations": ["sign"]}],
        "mobile_number": MOBILE,
        "mobile_number_confirmed": True,
        "read_only_fields": ["given_name"],
    },
    "certificate_request": None,
    "active_firms": [],
}


class CountingSession(requests.Session):
    """A session that counts the requests the SDK makes through it (each retry is one)."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        self.attempts += 1
        return super().request(*args, **kwargs)


def make_client(base_url: str, *, session: requests.Session | None = None, timeout: float = 2.0) -> Client:
    tokens = Tokens(access_token="at_test", expires_at=datetime.now(UTC) + timedelta(hours=1), refresh_token="rt_1")
    return Client(
        base_url,
        tokens=tokens,
        session=session or CountingSession(),
        timeout=timeout,
        retry=RetryPolicy(max_retries=RETRIES, backoff_base=0.0),
    )


def attempts(client: Client) -> int:
    session = client.requestor.session
    assert isinstance(session, CountingSession)
    return session.attempts


def status(client: Client) -> object:
    return client.registration.status()


def confirm_profile(client: Client) -> object:
    return client.registration.confirm_profile(mobile_number=MOBILE)


def refresh(client: Client) -> object:
    assert client.tokens is not None
    return client.sso.refresh(client.tokens)


#: (call, whether the server can replay it)
CALLS = [pytest.param(status, True, id="GET"), pytest.param(confirm_profile, True, id="POST+key")]
CALLS += [pytest.param(refresh, False, id="POST-token")]

#: Failures after the request reached the server: (behaviour, the class they become).
AFTER_SENDING = [
    pytest.param(broken_http.reset_before_answer, APIConnectionError, id="reset-before-answer"),
    pytest.param(broken_http.reset_mid_body, APIConnectionError, id="reset-mid-body"),
    pytest.param(broken_http.truncated_chunked, APIConnectionError, id="truncated-chunked"),
    pytest.param(broken_http.short_body, APIConnectionError, id="incomplete-read"),
    pytest.param(broken_http.bad_gzip, APIConnectionError, id="undecodable-gzip"),
    pytest.param(broken_http.stall_before_answer, APITimeoutError, id="read-timeout"),
    pytest.param(broken_http.stall_mid_body, APITimeoutError, id="read-timeout-mid-body"),
]


# -- after sending: retried only when the call can be replayed ------------------------------------------------------


@pytest.mark.parametrize(("behaviour", "expected"), AFTER_SENDING)
@pytest.mark.parametrize(("call", "replayable"), CALLS)
def test_a_failure_after_sending_is_retried_only_when_the_call_can_be_replayed(
    behaviour: broken_http.Behaviour,
    expected: type[APIConnectionError],
    call: Callable[[Client], object],
    replayable: bool,
) -> None:
    with serve(behaviour) as server:
        client = make_client(server.url, timeout=0.5)
        with pytest.raises(JesignError) as caught:
            call(client)
    assert type(caught.value) is expected
    assert server.count == attempts(client) == (RETRIES + 1 if replayable else 1)
    if replayable:
        assert "not retried" not in str(caught.value)
        keys = {r.headers.get("idempotency-key") for r in server.requests}
        assert len(keys) == 1  # the same key on each retry (none for the GET)
    else:
        assert "not retried" in str(caught.value)
        assert "idempotency-key" not in server.requests[0].headers


def test_a_post_reset_mid_body_is_retried_with_its_key_and_gets_its_answer() -> None:
    with serve(broken_http.reset_once_then(json.dumps(STATUS).encode())) as server:
        client = make_client(server.url)
        answer = client.registration.confirm_profile(mobile_number=MOBILE)
    assert answer.state == "profile_confirmed"
    assert server.count == attempts(client) == 2
    first, second = (r.headers["idempotency-key"] for r in server.requests)
    assert first == second


def test_enroll_with_a_connection_reset_mid_body_raises_a_jesign_error() -> None:
    with serve(broken_http.reset_mid_body) as server:
        client = make_client(server.url)
        with pytest.raises(APIConnectionError) as caught:
            client.registration.enroll(Applicant(mobile_number=MOBILE), MockOutboxOtpSource(client.requestor, MOBILE))
    assert "the connection broke before the answer was whole" in str(caught.value)
    assert isinstance(caught.value.__cause__, requests.exceptions.ChunkedEncodingError)
    assert server.count == RETRIES + 1
    assert all(r.path == "/platform/api/v1/registration" for r in server.requests)


def test_a_session_that_streams_by_default_still_has_its_broken_bodies_retried() -> None:
    session = CountingSession()
    session.stream = True
    with serve(broken_http.reset_mid_body) as server:
        client = make_client(server.url, session=session)
        with pytest.raises(APIConnectionError):
            status(client)
    assert server.count == attempts(client) == RETRIES + 1


# -- per-call options -----------------------------------------------------------------------------------------------


def test_a_copy_with_options_has_its_calls_made_with_them_and_leaves_the_client_as_it_was() -> None:
    with serve(broken_http.stall_before_answer) as server:
        client = make_client(server.url, timeout=30.0)  # the server would stall past that (then close: not a timeout)
        quick = client.with_options(timeout=0.2, max_retries=0)
        with pytest.raises(APITimeoutError):
            status(quick)
        assert server.count == 1
    assert (client.requestor.timeout, client.requestor.retry.max_retries) == (30.0, RETRIES)
    with serve(broken_http.unavailable) as server:
        persistent = make_client(server.url).with_options(max_retries=4)
        with pytest.raises(InternalServerError):
            persistent.registration.confirm_profile(mobile_number=MOBILE, idempotency_key="k1")
        assert server.count == 5
        assert {r.headers["idempotency-key"] for r in server.requests} == {"k1"}  # the caller's key, on every retry
    assert quick.requestor.session is client.requestor.session  # the same connections
    quick.tokens = Tokens(access_token="at_other", expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert client.tokens is quick.tokens  # the same login


# -- before sending: always retried ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "replayable"), CALLS)
def test_a_refused_connection_is_retried_whatever_the_call(call: Callable[[Client], object], replayable: bool) -> None:
    client = make_client(f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(APIConnectionError) as caught:
        call(client)
    assert type(caught.value) is APIConnectionError
    assert "cannot connect" in str(caught.value)
    assert attempts(client) == RETRIES + 1


def test_an_unreachable_proxy_is_retried_whatever_the_call() -> None:
    session = CountingSession()
    session.trust_env = False  # only this proxy, whatever the environment says
    session.proxies = {"http": f"http://127.0.0.1:{closed_port()}"}
    client = make_client("http://platform.test", session=session)
    with pytest.raises(APIConnectionError) as caught:
        refresh(client)
    assert isinstance(caught.value.__cause__, requests.exceptions.ProxyError)
    assert attempts(client) == RETRIES + 1


@responses.activate
def test_a_connect_timeout_is_retried_whatever_the_call() -> None:
    responses.post("https://sso.test/sso/token", body=requests.ConnectTimeout("connect timed out"))
    client = make_client("https://sso.test")
    with pytest.raises(APITimeoutError):
        refresh(client)
    assert attempts(client) == len(responses.calls) == RETRIES + 1


def test_a_dns_failure_counts_as_not_sent() -> None:
    reason = urllib3.exceptions.NameResolutionError("platform.test", None, socket.gaierror(-2, "Name not known"))  # type: ignore[arg-type]
    raised = requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]
    failure = transport_failure(raised, answered=False)
    assert (failure.kind, failure.retry) == (APIConnectionError, RetrySafety.ALWAYS)
    # The same refusal after a redirect was answered: the first request did reach a server.
    after_redirect = transport_failure(raised, answered=True)
    assert (after_redirect.kind, after_redirect.retry) == (APIConnectionError, RetrySafety.IF_IDEMPOTENT)


# -- never retried: another try cannot mend it -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    ["platform.test", "ftp://127.0.0.1", "http://", "http://exa mple.com"],
    ids=["missing-schema", "invalid-schema", "no-host", "invalid-url"],
)
def test_an_unsendable_url_is_not_retried(base_url: str) -> None:
    client = make_client(base_url)
    with pytest.raises(APIConnectionError) as caught:
        status(client)
    assert "the request cannot be sent" in str(caught.value)
    assert isinstance(caught.value.__cause__, requests.RequestException)
    assert attempts(client) == 1


def test_an_invalid_header_is_not_retried() -> None:
    with serve(broken_http.reset_before_answer) as server:
        client = make_client(server.url)
        client.tokens = Tokens(access_token="at\r\nX-Injected: 1", expires_at=datetime.now(UTC) + timedelta(hours=1))
        with pytest.raises(APIConnectionError) as caught:
            status(client)
    assert isinstance(caught.value.__cause__, requests.exceptions.InvalidHeader)
    assert (attempts(client), server.count) == (1, 0)


def test_a_redirect_loop_is_not_retried() -> None:
    with serve(broken_http.redirect_to_itself) as server:
        client = make_client(server.url)
        with pytest.raises(APIConnectionError) as caught:
            status(client)
    assert "redirected too many times" in str(caught.value)
    assert attempts(client) == 1
    assert server.count == requests.Session().max_redirects + 1


def test_the_sessions_own_exhausted_retries_are_not_retried_again() -> None:
    session = CountingSession()
    retry = urllib3.Retry(total=2, status_forcelist=[503], backoff_factor=0, raise_on_status=True)
    session.mount("http://", requests.adapters.HTTPAdapter(max_retries=retry))
    with serve(broken_http.unavailable) as server:
        client = make_client(server.url, session=session)
        with pytest.raises(APIConnectionError) as caught:
            status(client)
    assert isinstance(caught.value.__cause__, requests.exceptions.RetryError)
    assert (attempts(client), server.count) == (1, 3)


def test_a_tls_certificate_that_does_not_verify_is_not_retried(tmp_path: Path) -> None:
    with serve(broken_http.reset_before_answer, tls=broken_http.self_signed_tls(tmp_path)) as server:
        client = make_client(server.url)
        with pytest.raises(APIConnectionError) as caught:
            status(client)
    assert "TLS certificate does not verify" in str(caught.value)
    assert isinstance(caught.value.__cause__, requests.exceptions.SSLError)
    assert (attempts(client), server.count, server.connections) == (1, 0, 1)


@pytest.mark.parametrize(("call", "replayable"), CALLS)
def test_another_tls_failure_is_retried_when_the_call_can_be_replayed(
    call: Callable[[Client], object], replayable: bool
) -> None:
    with serve(broken_http.reset_before_answer, greeting=b"HTTP/1.1 400 Bad Request\r\n\r\n") as plain:
        client = make_client(plain.url.replace("http://", "https://"))
        with pytest.raises(APIConnectionError) as caught:
            call(client)
    assert isinstance(caught.value.__cause__, requests.exceptions.SSLError)
    assert attempts(client) == plain.connections == (RETRIES + 1 if replayable else 1)


# -- what gets past requests' own wrappers ---------------------------------------------------------------------------


class _BrokenRaw(io.RawIOBase):
    """A body that fails on its first read, with no ``stream`` method: requests reads it as a plain file."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise self.error


class _LeakyTransport(requests.adapters.BaseAdapter):
    """A transport (the seam the SDK lets callers plug in) whose answers' bodies raise what they raise."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response.raw = _BrokenRaw(self.error)
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "error",
    [
        http.client.IncompleteRead(b'{"state": "ac', 40),
        urllib3.exceptions.ProtocolError("Connection broken", ConnectionResetError(104, "reset by peer")),
        urllib3.exceptions.DecodeError("bad zstd frame"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=["http.client.IncompleteRead", "urllib3.ProtocolError", "urllib3.DecodeError", "ConnectionResetError"],
)
@pytest.mark.parametrize(("call", "replayable"), CALLS)
def test_errors_leaking_from_a_body_are_connection_errors(
    error: BaseException, call: Callable[[Client], object], replayable: bool
) -> None:
    session = CountingSession()
    session.mount("https://", _LeakyTransport(error))
    client = make_client("https://platform.test", session=session)
    with pytest.raises(APIConnectionError) as caught:
        call(client)
    assert caught.value.__cause__ is error
    assert "the connection broke before the answer was whole" in str(caught.value)
    assert attempts(client) == (RETRIES + 1 if replayable else 1)


# -- successes that are not what the API promises --------------------------------------------------------------------

BASE = "https://jesign.test"
PLATFORM = f"{BASE}/platform/api/v1"
CSC = f"{BASE}/trust/csc/v2"


#: (id, method, URL, answer body (JSON, or bytes as is), the call, what the error says)
MALFORMED: list[Any] = [
    ("not-json", "GET", f"{PLATFORM}/me", b"<html>Portail captif</html>", lambda c: c.me(), "not JSON (text/html"),
    (
        "empty",
        "GET",
        f"{PLATFORM}/registration",
        b"",
        lambda c: c.registration.status(),
        "a JSON object was expected, not null",
    ),
    (
        "array",
        "GET",
        f"{PLATFORM}/registration",
        [],
        lambda c: c.registration.status(),
        "a JSON object was expected, not an array",
    ),
    ("missing", "GET", f"{PLATFORM}/me", {"id": "usr_1"}, lambda c: c.me(), "no 'given_name' field"),
    (
        "wrong-type",
        "GET",
        f"{PLATFORM}/registration",
        {**STATUS, "state": 3},
        lambda c: c.registration.status(),
        "'state' is an integer, not a string",
    ),
    (
        "nested",
        "GET",
        f"{PLATFORM}/registration",
        {**STATUS, "profile": {**STATUS["profile"], "firms": [{"id": "frm_1"}]}},
        lambda c: c.registration.status(),
        "no 'name' field",
    ),
    (
        "bad-instant",
        "GET",
        f"{PLATFORM}/firms/frm_1/delegations",
        {
            "data": [
                {
                    "id": "dlg_1",
                    "firm_id": "frm_1",
                    "user_id": "usr_2",
                    "kind": "sign",
                    "granted_by": "usr_1",
                    "granted_at": "yesterday",
                }
            ]
        },
        lambda c: c.delegations.list("frm_1"),
        "'granted_at' is not an ISO 8601 instant",
    ),
    (
        "bad-pem",
        "GET",
        f"{PLATFORM}/registration/certificate",
        {
            "id": "crt_1",
            "level": "qcp",
            "status": "valid",
            "acceptance": "presumed",
            "subject": "CN=M",
            "error_report_deadline": "2026-01-01T00:00:00+00:00",
            "serial_number": "01",
            "not_before": "2026-01-01T00:00:00+00:00",
            "not_after": "2029-01-01T00:00:00+00:00",
            "certificate_pem": "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n",
        },
        lambda c: c.certificates.current(),
        "the answer is not what the API promises",
    ),
    (
        "discovery",
        "GET",
        f"{BASE}/sso/.well-known/openid-configuration",
        {"issuer": BASE + "/sso"},
        lambda c: c.sso.issuer,
        "no 'authorization_endpoint' field",
    ),
    (
        "token",
        "POST",
        f"{BASE}/sso/token",
        {"token_type": "Bearer", "expires_in": 3600},
        refresh,
        "no 'access_token' field",
    ),
    (
        "csc-list",
        "POST",
        f"{CSC}/credentials/list",
        {"credentialIDs": [7]},
        lambda c: c.signing.credentials(),
        "'credentialIDs[0]' is an integer",
    ),
    (
        "csc-certificate",
        "POST",
        f"{CSC}/credentials/info",
        {"cert": {"certificates": [base64.b64encode(b"\x30\x03\x02\x01\x01").decode()]}, "SCAL": "2"},
        lambda c: c.signing.csc.credential("crd_1"),
        "the answer is not what the API promises",
    ),
    (
        "csc-sad",
        "POST",
        f"{CSC}/credentials/authorize",
        {"SAD": 12},
        lambda c: c.signing.csc.authorize("crd_1", num_signatures=1),
        "'SAD' is an integer",
    ),
    (
        "csc-signatures",
        "POST",
        f"{CSC}/signatures/signHash",
        {"signatures": [base64.b64encode(b"sig").decode()]},
        lambda c: c.signing.csc.sign_hashes("crd_1", "sad", [b"\x01" * 32, b"\x02" * 32], "1.2.840.10045.4.3.2"),
        "1 signatures for 2 hashes",
    ),
    (
        "csc-timestamp",
        "POST",
        f"{CSC}/signatures/timestamp",
        {"timestamp": "not base64!"},
        lambda c: c.signing.csc.timestamp(b"\x01" * 32, "2.16.840.1.101.3.4.2.1"),
        "the answer is not what the API promises",
    ),
    (
        "csc-timestamp-not-signed",
        "POST",
        f"{CSC}/signatures/timestamp",
        {"timestamp": base64.b64encode(cms.ContentInfo({"content_type": "data", "content": b"t"}).dump()).decode()},
        lambda c: c.signing.csc.timestamp(b"\x01" * 32, "2.16.840.1.101.3.4.2.1"),
        "the time-stamp token is data, not signed_data",
    ),
    (
        "pki-root",
        "GET",
        f"{BASE}/pki/ca/root.cer",
        b"<html>not DER</html>",
        lambda c: c.signing.trust_roots(),
        "the answer is not what the API promises",
    ),
    (
        "outbox",
        "GET",
        f"{BASE}/_mock/outbox/otp",
        {"phone_number": MOBILE},
        lambda c: MockOutboxOtpSource(c.requestor, MOBILE).get_code(OtpRequest("reg_1", "** 78", "5678")),
        "no 'otp' field",
    ),
    (
        "trust",
        "GET",
        f"{BASE}/trust/v1/registrations/reg_1",
        {"id": "reg_1", "state": "created", "level": "qcp", "agreement": "signed"},
        lambda c: HttpTrustBackend(c.requestor, "reg_1", "session").get(),
        "'agreement' is a string, not an object",
    ),
]


@responses.activate
@pytest.mark.parametrize(("method", "url", "body", "call", "says"), [pytest.param(*m[1:], id=m[0]) for m in MALFORMED])
def test_a_success_that_is_not_what_the_api_promises(
    method: str, url: str, body: Any, call: Callable[[Client], object], says: str
) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    media_type = "text/html" if content.startswith(b"<") else "application/json"
    responses.add(method, url, body=content, content_type=media_type, headers={"X-Request-Id": "req_odd"})
    client = make_client(BASE)
    with pytest.raises(APIResponseValidationError) as caught:
        call(client)
    error = caught.value
    assert says in str(error)
    assert (error.status_code, error.request_id) == (200, "req_odd")
    assert str(error).startswith(f"[200] {method} {url}")
    assert attempts(client) == 1  # the same request would get the same answer
    if not isinstance(body, bytes):
        assert error.body == body
    assert not isinstance(error, APIConnectionError)


@responses.activate
def test_an_enrollment_reading_a_broken_status_stops_with_a_jesign_error() -> None:
    responses.get(f"{PLATFORM}/registration", json={**STATUS, "profile": None})
    client = make_client(BASE)
    with pytest.raises(APIResponseValidationError, match="no 'profile' field"):
        client.registration.enroll(
            Applicant(birth_date=date(1980, 4, 12)), MockOutboxOtpSource(client.requestor, MOBILE)
        )
