"""The SDK inside an application, against the mock over HTTP: the coroutine twins and the synchronous calls inside
a running event loop, per-call options (``with_options``, ``idempotency_key``), and the DEBUG log of each request,
with no secret in it."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from jesign_sdk import (
    BadRequestError,
    Client,
    ConflictError,
    MockOutboxOtpSource,
    OtpRequest,
    OtpSource,
    PdfRefusedError,
    PromptOtpSource,
)
from tests.helpers import pdf_corpus as corpus
from tests.helpers.live_signer import MARIE_MOBILE, Signer, served_signer

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def marie() -> Iterator[Signer]:
    with served_signer() as signer:
        yield signer


class CodeTypedMeanwhile:
    """A person typing the SMS code (an interactive source) while the application's event loop goes on: the code
    comes only once that loop has run another task. A signature that held the loop while it waits for the code
    would never get it (the wait then fails after 30 seconds)."""

    def __init__(self, codes: OtpSource, loop: asyncio.AbstractEventLoop) -> None:
        self._codes = codes
        self._loop = loop

    def get_code(self, request: OtpRequest) -> str:
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self._loop).result(timeout=30)
        return self._codes.get_code(request)


def test_signs_seals_and_validates_inside_a_running_event_loop(marie: Signer) -> None:
    signing = marie.client.signing

    async def application() -> list[str]:
        typed = CodeTypedMeanwhile(marie.otp, asyncio.get_running_loop())
        signed, sealed = await asyncio.gather(  # two calls of one client at once
            signing.async_sign_pdf(corpus.simple_pdf(), otp_source=typed, level="B-T"),
            signing.async_seal_pdf(corpus.simple_pdf(), firm_id="frm_ecma", level="B-T"),
        )
        reports = [*await signing.async_validate_pdf(signed), *await signing.async_validate_pdf(sealed)]
        # The synchronous calls, from the coroutine too: each runs in a thread of its own while the loop waits.
        again = signing.sign_pdf(corpus.simple_pdf(), otp_source=marie.otp, level="B-B")
        reports += signing.validate_pdf(again)
        return [report.indication for report in reports]

    assert asyncio.run(application()) == ["TOTAL_PASSED"] * 3


def test_a_refusal_inside_a_running_event_loop_comes_out_as_it_is() -> None:
    client = Client("http://127.0.0.1:9")  # nothing is sent: the document is refused first

    async def application() -> None:
        with pytest.raises(PdfRefusedError) as refused:
            client.signing.sign_pdf(b"not a PDF", otp_source=PromptOtpSource())
        assert refused.value.code == "not_a_pdf"
        with pytest.raises(PdfRefusedError):
            await client.signing.async_validate_pdf(b"not a PDF either", trust_roots=[])

    asyncio.run(application())


def test_a_copy_with_other_options_signs_with_what_the_client_looked_up(marie: Signer) -> None:
    marie.client.signing.sign_pdf(corpus.simple_pdf(), otp_source=marie.otp, level="B-T")
    calls = marie.csc_calls()
    patient = marie.client.with_options(timeout=120, max_retries=5)
    patient.signing.sign_pdf(corpus.simple_pdf(), otp_source=marie.otp, level="B-T")
    # sendOTP, authorize, signHash and the signature's time-stamp: no credential looked up, no token measured again
    assert marie.csc_calls() == calls + 4
    assert (marie.client.requestor.timeout, marie.client.requestor.retry.max_retries) == (30.0, 3)


def test_a_key_of_the_callers_makes_a_repeated_call_answer_its_first_answer(marie: Signer) -> None:
    delegations = marie.client.delegations
    first = delegations.grant("frm_ecma", user_id="usr_chloe_bernard", kind="seal", idempotency_key="grant-chloe")
    again = delegations.grant("frm_ecma", user_id="usr_chloe_bernard", kind="seal", idempotency_key="grant-chloe")
    assert again == first
    with pytest.raises(ConflictError) as refused:  # another call (the SDK's own key): the delegation exists
        delegations.grant("frm_ecma", user_id="usr_chloe_bernard", kind="seal")
    assert refused.value.code == "delegation_exists"
    with pytest.raises(BadRequestError) as reused:  # the same key for another call: refused, nothing done
        delegations.grant("frm_ecma", user_id="usr_chloe_bernard", kind="sign", idempotency_key="grant-chloe")
    assert reused.value.code == "idempotency_key_reused"
    assert [(d.user_id, d.kind) for d in delegations.list("frm_ecma")].count(("usr_chloe_bernard", "sign")) == 0


class Recorded:
    """A code source that keeps the codes it gave."""

    interactive = False

    def __init__(self, codes: MockOutboxOtpSource) -> None:
        self._codes = codes
        self.given: list[str] = []

    def get_code(self, request: OtpRequest) -> str:
        self.given.append(self._codes.get_code(request))
        return self.given[-1]


#: The loggers of the mock's side (authlib logs the tokens it issues, at DEBUG).
SERVER_LOGGERS = ("mock_provider", "authlib", "werkzeug", "sqlalchemy")
#: The line of each answer in the jesign_sdk log.
ANSWER = re.compile(r"(GET|POST|DELETE) (http://127\.0\.0\.1:\d+/\S*): (\d{3}) [\w ]+, request id (\S+) \([\d.]+ ms\)")


def test_each_request_is_logged_at_debug_and_no_secret_is(marie: Signer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the SDK's, urllib3's, pyHanko's
    client = Client(marie.live.url)
    first = client.login_with_hint("marie.dupont")
    codes = Recorded(MockOutboxOtpSource(client.requestor, MARIE_MOBILE))
    client.signing.sign_pdf(corpus.simple_pdf(), otp_source=codes, level="B-T")
    client.tokens = dataclasses.replace(first, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    client.me()  # refreshes the tokens first
    refreshed = client.tokens
    assert refreshed is not None
    client.logout()

    assert first.refresh_token is not None
    assert first.id_token is not None
    assert refreshed.refresh_token is not None
    assert len(codes.given) == 1
    secrets = [first.access_token, first.refresh_token, first.id_token, refreshed.access_token]
    secrets += [refreshed.refresh_token, *codes.given]
    # What the client's process logs (the mock runs in this process: its server's loggers are left out).
    client_side = [r for r in caplog.records if not r.name.startswith(SERVER_LOGGERS)]
    logged = "\n".join(f"{record.name} {record.getMessage()}" for record in client_side)
    assert [secret for secret in secrets if secret in logged] == []
    assert "Authorization" not in logged
    assert "Bearer" not in logged

    answers = [ANSWER.fullmatch(r.getMessage()) for r in caplog.records if r.name == "jesign_sdk"]
    said = {(m[1], m[2].split("/", 3)[3], m[3]) for m in answers if m is not None}
    assert ("POST", "trust/csc/v2/signatures/signHash", "200") in said
    assert ("POST", "sso/token", "200") in said  # the login's and the refresh's
    assert ("POST", "sso/logout", "200") in said
    assert all(m[4].startswith("req_") for m in answers if m is not None and "/_mock/" not in m[2])
    # The query's values are masked: the login's state, nonce and code challenge, the outbox's phone number.
    assert any(m[2].endswith("?phone_number=***") for m in answers if m is not None)
    assert not re.search(r"[?&][a-z_]+=(?!\*\*\*)", "\n".join(m[2] for m in answers if m is not None))
