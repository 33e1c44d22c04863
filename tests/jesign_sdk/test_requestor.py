"""The requestor's HTTP policy, against canned answers (``responses``): retries, idempotency, errors."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses

import jesign_sdk
from jesign_sdk import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    DocumentRefusedError,
    GoneError,
    InternalServerError,
    NotFoundError,
    OtpExpiredError,
    OtpInvalidError,
    OtpLockedError,
    RateLimitError,
    RegistrationExpiredError,
    RegistrationStateError,
)
from jesign_sdk._requestor import Endpoints, Requestor, RetryPolicy

BASE = "https://platform.test"
URL = f"{BASE}/platform/api/v1/thing"


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def requestor(slept: list[float]) -> Requestor:
    policy = RetryPolicy(max_retries=3, backoff_base=0.5, backoff_max=4.0, rng=random.Random(7))
    return Requestor(Endpoints.single_origin(BASE), retry=policy, sleep=slept.append)


def problem(status: int, code: str, **extra: object) -> dict[str, object]:
    return {"type": "about:blank", "title": "t", "status": status, "detail": f"detail of {code}", "code": code,
            "request_id": "req_123", **extra}  # fmt: skip


@responses.activate
def test_retries_5xx_then_succeeds_with_the_same_idempotency_key(requestor: Requestor, slept: list[float]) -> None:
    responses.post(URL, status=503, json=problem(503, "unavailable"))
    responses.post(URL, status=502, body="bad gateway")
    responses.post(URL, status=200, json={"ok": True})
    answer = requestor.request("POST", "platform", "/thing", json={"a": 1})
    assert answer.json() == {"ok": True}
    keys = {call.request.headers["Idempotency-Key"] for call in responses.calls}
    assert len(responses.calls) == 3
    assert len(keys) == 1
    assert len(slept) == 2
    assert all(0 <= d <= 4.0 for d in slept)
    assert responses.calls[0].request.headers["User-Agent"] == f"jesign-python/{jesign_sdk.__version__}"


@responses.activate
def test_each_logical_post_gets_its_own_key(requestor: Requestor) -> None:
    responses.post(URL, json={})
    requestor.request("POST", "platform", "/thing")
    requestor.request("POST", "platform", "/thing")
    requestor.request("POST", "platform", "/thing", idempotency_key="mine")
    keys = [call.request.headers["Idempotency-Key"] for call in responses.calls]
    assert len(set(keys)) == 3
    assert keys[2] == "mine"


@responses.activate
def test_get_has_no_idempotency_key(requestor: Requestor) -> None:
    responses.get(URL, json={})
    requestor.request("GET", "platform", "/thing")
    assert "Idempotency-Key" not in responses.calls[0].request.headers


@responses.activate
def test_a_delete_keeps_its_key_across_retries(requestor: Requestor) -> None:
    """So that a retry of a DELETE that was done gets its first answer, not a 404."""
    responses.delete(URL, status=503, json=problem(503, "unavailable"))
    responses.delete(URL, status=204)
    requestor.request("DELETE", "platform", "/thing")
    keys = [call.request.headers["Idempotency-Key"] for call in responses.calls]
    assert len(keys) == 2
    assert keys[0] == keys[1]


@responses.activate
def test_a_call_the_server_cannot_replay_carries_no_key(requestor: Requestor) -> None:
    responses.post(URL, json={})
    requestor.request("POST", "platform", "/thing", idempotent=False)
    assert "Idempotency-Key" not in responses.calls[0].request.headers


@responses.activate
@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(requestor: Requestor, status: int) -> None:
    responses.get(URL, status=status, json=problem(status, "x"))
    responses.get(URL, json={"ok": 1})
    assert requestor.request("GET", "platform", "/thing").json() == {"ok": 1}


@responses.activate
def test_retry_after_seconds_and_date_are_honoured(requestor: Requestor, slept: list[float]) -> None:
    responses.get(URL, status=429, json=problem(429, "slow_down"), headers={"Retry-After": "7"})
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    responses.get(URL, status=503, json=problem(503, "x"), headers={"Retry-After": later})
    responses.get(URL, json={})
    requestor.request("GET", "platform", "/thing")
    assert slept[0] == 7
    assert 25 < slept[1] <= 30


@responses.activate
def test_a_retry_after_date_counts_from_the_answers_date_and_any_error_carries_the_wait(
    requestor: Requestor, slept: list[float]
) -> None:
    sent = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365)  # a server whose clock is a year ahead
    later = format_datetime(sent + timedelta(seconds=20), usegmt=True)
    dated = {"Date": format_datetime(sent, usegmt=True), "Retry-After": later}
    responses.get(URL, status=503, json=problem(503, "x"), headers=dated)
    responses.get(URL, json={})
    requestor.request("GET", "platform", "/thing")
    assert slept == [20]
    responses.post(URL, status=423, json=problem(423, "otp_code_limit_reached"), headers={"Retry-After": "1770"})
    with pytest.raises(OtpLockedError) as caught:
        requestor.request("POST", "platform", "/thing")
    assert caught.value.retry_after == 1770


@responses.activate
def test_too_long_retry_after_gives_up_with_the_error(requestor: Requestor, slept: list[float]) -> None:
    responses.get(
        URL, status=429, json=problem(429, "otp_resend_too_soon", retry_after=3600), headers={"Retry-After": "3600"}
    )
    with pytest.raises(RateLimitError) as caught:
        requestor.request("GET", "platform", "/thing")
    assert caught.value.retry_after == 3600
    assert slept == []


@responses.activate
def test_gives_up_after_max_retries(requestor: Requestor) -> None:
    responses.get(URL, status=500, json=problem(500, "internal_error"))
    with pytest.raises(InternalServerError) as caught:
        requestor.request("GET", "platform", "/thing")
    assert len(responses.calls) == 4
    assert caught.value.code == "internal_error"


@responses.activate
def test_client_errors_are_not_retried(requestor: Requestor) -> None:
    responses.get(URL, status=404, json=problem(404, "registration_not_found"))
    with pytest.raises(NotFoundError):
        requestor.request("GET", "platform", "/thing")
    assert len(responses.calls) == 1


@responses.activate
def test_connection_errors_are_retried_then_raised(requestor: Requestor, slept: list[float]) -> None:
    responses.get(URL, body=requests.ConnectionError("refused"))
    with pytest.raises(APIConnectionError) as caught:
        requestor.request("GET", "platform", "/thing")
    assert not isinstance(caught.value, APITimeoutError)
    assert len(responses.calls) == 4
    assert len(slept) == 3


@responses.activate
def test_timeouts(requestor: Requestor) -> None:
    responses.get(URL, body=requests.ReadTimeout("slow"))
    responses.get(URL, json={"late": True})
    assert requestor.request("GET", "platform", "/thing").json() == {"late": True}
    responses.get(f"{URL}2", body=requests.ConnectTimeout("slow"))
    with pytest.raises(APITimeoutError):
        requestor.request("GET", "platform", "/thing2", max_retries=0)


@responses.activate
@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "otp_invalid", OtpInvalidError),
        (400, "otp_expired", OtpExpiredError),
        (423, "otp_locked", OtpLockedError),
        (400, "document_not_in_colour", DocumentRefusedError),
        (400, "mrz_check_digit", DocumentRefusedError),
        (409, "registration_wrong_state", RegistrationStateError),
        (410, "registration_expired", RegistrationExpiredError),
        (410, "gone_elsewhere", GoneError),
        (409, "certificate_request_exists", ConflictError),
        (401, "invalid_token", AuthenticationError),
    ],
)
def test_error_mapping(requestor: Requestor, status: int, code: str, cls: type[Exception]) -> None:
    errors = [{"field": "front", "code": code, "detail": "d"}]
    responses.post(URL, status=status, json=problem(status, code, attempts_remaining=2, state="created", errors=errors))
    with pytest.raises(cls) as caught:
        requestor.request("POST", "platform", "/thing")
    error = caught.value
    assert error.code == code  # type: ignore[attr-defined]
    assert error.request_id == "req_123"  # type: ignore[attr-defined]
    assert str(error) == f"[{status} {code}] detail of {code} (request req_123)"


@responses.activate
def test_domain_error_details(requestor: Requestor) -> None:
    responses.post(URL, status=400, json=problem(400, "otp_invalid", attempts_remaining=2))
    with pytest.raises(OtpInvalidError) as invalid:
        requestor.request("POST", "platform", "/thing")
    assert invalid.value.attempts_remaining == 2
    assert isinstance(invalid.value, jesign_sdk.OtpError)
    responses.post(
        f"{URL}/doc",
        status=400,
        json=problem(
            400,
            "document_not_in_colour",
            errors=[{"field": "back", "code": "document_not_in_colour", "detail": "grey"}],
        ),
    )
    with pytest.raises(DocumentRefusedError) as refused:
        requestor.request("POST", "platform", "/thing/doc")
    assert (refused.value.reason, refused.value.field) == ("document_not_in_colour", "back")
    responses.post(f"{URL}/state", status=409, json=problem(409, "registration_wrong_state", state="created"))
    with pytest.raises(RegistrationStateError) as wrong:
        requestor.request("POST", "platform", "/thing/state")
    assert wrong.value.state == "created"


@responses.activate
def test_oauth_errors_and_non_json_bodies(requestor: Requestor) -> None:
    responses.post(f"{BASE}/sso/token", status=400, json={"error": "invalid_grant", "error_description": "bad code"})
    with pytest.raises(jesign_sdk.BadRequestError) as oauth:
        requestor.request("POST", "sso", "/token")
    assert (oauth.value.code, oauth.value.message) == ("invalid_grant", "bad code")
    responses.get(URL, status=418, body="<html>teapot</html>", headers={"X-Request-Id": "req_tea"})
    with pytest.raises(jesign_sdk.APIStatusError) as odd:
        requestor.request("GET", "platform", "/thing")
    assert odd.value.status_code == 418
    assert odd.value.request_id == "req_tea"


def test_public_surface_is_pinned() -> None:
    assert sorted(jesign_sdk.__all__) == sorted(
        [
            "LOOPBACK_REDIRECT_URI", "APIConnectionError", "APIResponseValidationError", "APIStatusError",
            "APITimeoutError", "Agreement",
            "Applicant", "AuthenticationError", "AuthorizationRequest", "BadRequestError", "CertificateRequest",
            "Client", "CodeSent", "ConflictError", "Delegation", "DocumentRefusedError", "DocumentSide", "Endpoints",
            "EnrollmentError", "Firm", "GoneError", "Handoff", "IdTokenError", "IdentityDocument",
            "InternalServerError",
            "IssuedCertificate", "JesignError", "LockedError", "Me", "MockOutboxOtpSource", "NotFoundError",
            "OtpError", "OtpExpiredError", "OtpInvalidError", "OtpLockedError", "OtpRequest", "OtpSource",
            "OtpUnavailableError", "PdfRefusedError", "PermissionDeniedError", "Profile", "PromptOtpSource",
            "RateLimitError", "RegistrationExpiredError", "RegistrationRejectedError", "RegistrationStateError",
            "RegistrationStatus",
            "RemoteSigner", "RetryPolicy", "ServerClock", "SignatureReport", "SigningProgress", "Tokens",
            "TrustBackend", "TrustRegistration", "TrustRootError", "VisibleSignature", "__version__",
        ]
    )  # fmt: skip
    for name in jesign_sdk.__all__:
        assert hasattr(jesign_sdk, name)


@responses.activate
def test_a_caller_can_keep_a_status_for_itself(requestor: Requestor, slept: list[float]) -> None:
    responses.post(
        URL, status=429, json=problem(429, "otp_resend_too_soon", retry_after=60), headers={"Retry-After": "60"}
    )
    with pytest.raises(RateLimitError):
        requestor.request("POST", "platform", "/thing", no_retry_on=frozenset({429}))
    assert len(responses.calls) == 1
    assert slept == []


@responses.activate
def test_an_idempotency_key_in_progress_is_retried(requestor: Requestor, slept: list[float]) -> None:
    responses.post(URL, status=409, json=problem(409, "idempotency_request_in_progress"), headers={"Retry-After": "1"})
    responses.post(URL, status=201, json={"id": "reg_1"})
    assert requestor.request("POST", "platform", "/thing").json() == {"id": "reg_1"}
    assert slept == [1]
    assert len({c.request.headers["Idempotency-Key"] for c in responses.calls}) == 1
    responses.post(f"{URL}/x", status=409, json=problem(409, "registration_wrong_state"))
    with pytest.raises(RegistrationStateError):
        requestor.request("POST", "platform", "/thing/x")


@responses.activate
def test_retries_are_logged_with_the_querys_values_and_the_user_information_masked(
    requestor: Requestor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jesign_sdk")
    responses.get("https://user:pass@platform.test/sso/logout", status=503)
    responses.get("https://user:pass@platform.test/sso/logout", status=204)
    requestor.send("GET", "https://user:pass@platform.test/sso/logout?id_token_hint=eyJ.secret", params={"s": "x"})
    said = [record.getMessage() for record in caplog.records]
    assert said[0] == "GET https://platform.test/sso/logout?id_token_hint=***&s=***: sent (attempt 1 of 4)"
    assert said[1].startswith("GET https://platform.test/sso/logout?id_token_hint=***&s=***: 503 Service Unavailable")
    assert said[2].startswith("retrying GET https://platform.test/sso/logout?id_token_hint=***&s=*** in ")
    assert "secret" not in "".join(said)
    assert "pass" not in "".join(said)
