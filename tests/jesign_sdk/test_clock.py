"""The mock's clock moved by a day forward or a year back: the SDK following it (``ServerClock``) logs in, signs and
validates, and so does the command line; the leeway on the id_token's times; ``ServerClock`` on servers that are
not the mock or that send two dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from click.testing import CliRunner

from jesign_sdk import APIResponseValidationError, Client, IdTokenError, MockOutboxOtpSource, ServerClock
from jesign_sdk.cli import main
from tests.helpers.mock import LiveMock
from tests.helpers.pdf import blank_pdf
from tests.helpers.registration import MARIE_MOBILE, register_to_active

pytestmark = pytest.mark.live

DAY, YEAR = timedelta(days=1), timedelta(days=365)


def move_clock(live: LiveMock, by: timedelta) -> datetime:
    answer = requests.post(f"{live.url}/_mock/clock/advance", json={"seconds": by.total_seconds()}, timeout=10)
    assert answer.status_code == 200, answer.text
    return datetime.fromisoformat(answer.json()["now"])


@pytest.mark.parametrize("by", [DAY, -YEAR], ids=["plus-24h", "minus-1-year"])
def test_the_sdk_and_the_cli_follow_a_moved_mock_clock(
    live_mock: LiveMock, cli_login: None, tmp_path: Path, by: timedelta
) -> None:
    # The hierarchy is made at the real time (as when a test moves the clock of a mock already in use).
    assert requests.get(f"{live_mock.url}/pki/ca/root.cer", timeout=10).status_code == 200
    if by > timedelta(0):
        register_to_active(live_mock.app.test_client())  # issued today, valid tomorrow
    now = move_clock(live_mock, by)
    if by < timedelta(0):
        register_to_active(live_mock.app.test_client())  # a certificate of today is not valid a year ago

    client = Client(live_mock.url, clock=ServerClock(live_mock.url))
    client.login_with_hint("marie.dupont")  # an id_token issued, and expiring, on the mock's clock
    assert abs(client.sso.verify_id_token(client.tokens.id_token or "", nonce=None)["iat"] - now.timestamp()) < 60
    signed = client.signing.sign_pdf(blank_pdf(), otp_source=MockOutboxOtpSource(client.requestor, MARIE_MOBILE))
    [report] = client.signing.validate_pdf(signed)
    assert (report.indication, report.pades_level) == ("TOTAL_PASSED", "B-T"), report.reason
    assert report.timestamp_time is not None
    assert report.signing_time is not None
    assert abs(report.timestamp_time - now) < timedelta(minutes=1)
    assert abs(report.signing_time - now) < timedelta(minutes=1)  # the time the signature claims: the mock's too

    def run(*args: str) -> Any:
        command = ["--base-url", live_mock.url, "--config-dir", str(tmp_path / "config"), *args]
        return CliRunner().invoke(main, command, catch_exceptions=False)

    assert run("login", "--login-hint", "marie.dupont").exit_code == 0
    source = tmp_path / "a.pdf"
    source.write_bytes(blank_pdf("cli"))
    out = tmp_path / "a-signed.pdf"
    result = run("sign", str(source), "-o", str(out), "--level", "B-LT", "--otp-from-mock-outbox")
    assert result.exit_code == 0, result.output
    checked = run("--json", "validate", str(out))
    assert checked.exit_code == 0, checked.output
    [signature] = json.loads(checked.stdout)["signatures"]
    assert (signature["indication"], signature["pades_level"]) == ("TOTAL_PASSED", "B-LT")


def test_the_leeway_is_the_clock_skew_tolerated_on_the_id_token(live_mock: LiveMock) -> None:
    move_clock(live_mock, timedelta(seconds=30))  # the SSO's clock half a minute ahead of this machine's
    Client(live_mock.url).login_with_hint("marie.dupont")  # within the default minute
    strict = Client(live_mock.url, leeway=timedelta(0))
    with pytest.raises(IdTokenError, match="issued in the future"):
        strict.login_with_hint("marie.dupont")
    # Set after the client was made, the clock and the leeway reach the id_token's checks as well.
    later = Client(live_mock.url)
    later.leeway = timedelta(0)
    with pytest.raises(IdTokenError, match="issued in the future"):
        later.login_with_hint("marie.dupont")
    later.clock = ServerClock(live_mock.url)
    later.login_with_hint("marie.dupont")


def test_the_mock_tells_its_clock_and_its_name_in_every_answer(live_mock: LiveMock) -> None:
    moved = move_clock(live_mock, -YEAR)
    for answer in (
        requests.head(live_mock.url, timeout=10),
        requests.get(f"{live_mock.url}/nowhere", timeout=10),  # an error too
        requests.post(f"{live_mock.url}/pki/ocsp", data=b"", timeout=10),  # OCSP, served in front of Flask
    ):
        assert answer.headers["Server"] == "jesign-mock"
        assert answer.headers["Date"] == moved.strftime("%a, %d %b %Y %H:%M:%S GMT")  # one date: the mock's
    assert ServerClock(live_mock.url)() == moved.replace(microsecond=0)


@responses.activate
def test_a_server_clock_refuses_two_dates_and_ignores_what_is_not_the_mock() -> None:
    url = "https://sso.example.com/"
    two = "Thu, 03 Dec 2026 17:15:47 GMT, Fri, 01 Jan 2027 00:00:00 GMT"  # how requests joins a repeated header
    responses.head(url, headers={"Date": two, "Server": "jesign-mock"})
    with pytest.raises(APIResponseValidationError, match="Date"):
        ServerClock(url)()
    responses.replace(responses.HEAD, url, headers={"Date": "Fri, 01 Jan 2027 00:00:00 GMT", "Server": "nginx"})
    assert ServerClock(url)() == datetime(2027, 1, 1, tzinfo=UTC)
    mock_only = ServerClock(url, mock_only=True)
    for _ in range(2):
        assert abs(mock_only() - datetime.now(UTC)) < timedelta(minutes=1)  # not the mock: this machine's clock
    assert len(responses.calls) == 3  # the mock_only clock asked once
