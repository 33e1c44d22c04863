"""``enroll()`` against the mock over HTTP: from first login to active, and resumed after each step in turn."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import requests

import jesign_sdk
from jesign_sdk import (
    Applicant,
    BadRequestError,
    Client,
    DocumentRefusedError,
    DocumentSide,
    EnrollmentError,
    Handoff,
    IdentityDocument,
    MockOutboxOtpSource,
    OtpRequest,
    RegistrationExpiredError,
    RegistrationRejectedError,
    ServerClock,
)
from mock_provider.core.clock import ManualClock
from tests.helpers.mock import LiveMock
from tests.helpers.registration import MARIE_MOBILE, colour_image, grey_image, td1

pytestmark = pytest.mark.live


def applicant(**overrides: Any) -> Applicant:
    document = IdentityDocument(
        document_type="id_card:fra",
        front=DocumentSide(colour_image(), "recto.jpg"),
        back=DocumentSide(colour_image("PNG"), "verso.png"),
        mrz=td1("X4RTBPFW4"),
    )
    values: dict[str, Any] = {"mobile_number": "06 12 34 56 78", "birth_date": date(1980, 4, 12), "document": document}
    values.update(overrides)
    return Applicant(**values)


def logged_in(live: LiveMock, login: str = "marie.dupont") -> Client:
    client = Client(live.url)
    client.login_with_hint(login)
    return client


#: What a field holding a secret is called in the SDK's models.
SECRET_FIELDS = {"access_token", "refresh_token", "id_token", "session_token", "client_secret", "code_verifier"}
SECRET_FIELDS |= {"sad", "otp", "code", "password", "content"}  # content: an identity document's picture


def test_no_secret_shows_in_a_repr(live_mock: LiveMock) -> None:
    client = logged_in(live_mock)
    assert client.tokens is not None
    request = client.sso.authorization_url("http://127.0.0.1/callback")
    client.registration.confirm_profile(mobile_number="0612345678")
    handoff = client.registration.start_certificate_request()
    shown = repr((client.tokens, request, handoff))
    secrets = (client.tokens.access_token, client.tokens.refresh_token, client.tokens.id_token)
    for secret in (*secrets, request.code_verifier, handoff.session_token):
        assert secret
        assert secret not in shown
    assert "expires_at=" in repr(client.tokens)  # what is not secret still shows
    # Every model of the SDK, those to come included: a field named as a secret is left out of its repr.
    for module in pkgutil.walk_packages(jesign_sdk.__path__, prefix="jesign_sdk."):
        for model in vars(importlib.import_module(module.name)).values():
            if isinstance(model, type) and dataclasses.is_dataclass(model):
                shown_fields = {f.name for f in dataclasses.fields(model) if f.repr}
                assert not shown_fields & SECRET_FIELDS, f"{model.__qualname__} shows {shown_fields & SECRET_FIELDS}"


class Crash(Exception):
    """Stands for the integrator's process dying in the middle of the walk."""


def test_enroll_from_first_login_to_active(live_mock: LiveMock) -> None:
    client = logged_in(live_mock)
    assert client.tokens is not None
    assert client.tokens.claims["given_name"] == "Marie"
    assert {f["name"] for f in client.tokens.claims["firms"]} == {"Cabinet Ecma", "Dupont & Associés"}
    seen: list[tuple[str, str | None]] = []
    certificate = client.registration.enroll(
        applicant(), MockOutboxOtpSource(client.requestor, MARIE_MOBILE), on_step=lambda s, a: seen.append((s, a))
    )
    assert [a for _, a in seen] == [
        "confirm_profile",
        "start_certificate_request",
        "submit_identity",
        "upload_identity_document",
        "sign_subscription_agreement",
        "accept_terms",
        None,
    ]
    assert certificate.level == "qcpnqscd"
    assert certificate.status == "valid"
    assert "serialNumber=IDCFR-X4RTBPFW4" in certificate.subject  # attribute names, read from the certificate
    assert "2.5.4." not in certificate.subject
    certificate.certificate.verify_directly_issued_by(certificate.chain[0])
    assert client.certificates.current() == certificate
    me = client.me()
    assert me.registration_state == "active"
    assert all(f.service_open for f in me.firms)


@pytest.mark.parametrize("crash_at", range(1, 6))
def test_enroll_resumes_after_an_interruption_at_each_step(live_mock: LiveMock, crash_at: int) -> None:
    steps = 0

    def crash_before_step(state: str, action: str | None) -> None:
        nonlocal steps
        steps += 1
        if steps == crash_at + 1:
            raise Crash(f"died before {action}")

    first = logged_in(live_mock)
    with pytest.raises(Crash):
        first.registration.enroll(
            applicant(), MockOutboxOtpSource(first.requestor, MARIE_MOBILE), on_step=crash_before_step
        )
    # A new process: a new login, the same call.
    second = logged_in(live_mock)
    certificate = second.registration.enroll(applicant(), MockOutboxOtpSource(second.requestor, MARIE_MOBILE))
    assert certificate.status == "valid"
    _assert_one_of_each(live_mock)


def test_enroll_resumes_after_the_code_was_sent_but_not_typed(live_mock: LiveMock) -> None:
    class DiesOnFirstCode:
        def get_code(self, request: OtpRequest) -> str:
            assert request.phone_last_digits == "5678"
            raise Crash("the phone rang, the process died")

    first = logged_in(live_mock)
    with pytest.raises(Crash):
        first.registration.enroll(applicant(), DiesOnFirstCode())
    second = logged_in(live_mock)
    certificate = second.registration.enroll(applicant(), MockOutboxOtpSource(second.requestor, MARIE_MOBILE))
    assert certificate.status == "valid"
    _assert_one_of_each(live_mock, sms=1)


class Codes:
    """Answers each ask with the next of ``answers`` (a code, or a function of the mock's outbox), keeping what it was
    told."""

    def __init__(self, client: Client, *answers: str | Callable[[str], str]) -> None:
        self.asked: list[OtpRequest] = []
        self._answers = list(answers)
        self._outbox = MockOutboxOtpSource(client.requestor, MARIE_MOBILE)

    def get_code(self, request: OtpRequest) -> str:
        self.asked.append(request)
        answer = self._answers.pop(0)
        return answer if isinstance(answer, str) else answer(self._outbox.get_code(request))


def test_after_a_wrong_code_the_source_is_told_why_and_the_tries_left(live_mock: LiveMock) -> None:
    client = logged_in(live_mock)
    codes = Codes(client, "000000", "000001", lambda sent: sent)
    assert client.registration.enroll(applicant(), codes).status == "valid"
    told = [(r.refused, r.resent, r.attempts_remaining, r.phone_last_digits) for r in codes.asked]
    assert told == [
        (None, False, None, "5678"),
        ("otp_invalid", False, 2, "5678"),  # the fewer of the SDK's 3 asks and the provider's 5 tries
        ("otp_invalid", False, 1, "5678"),
    ]
    assert [r.notice for r in codes.asked] == [
        "Un code vous a été envoyé par SMS au 5678.",
        "Le code saisi est incorrect : il vous reste 2 essais.",
        "Le code saisi est incorrect : il vous reste 1 essai.",
    ]
    _assert_one_of_each(live_mock, sms=1)  # a wrong code sends nothing


def test_an_expired_code_is_replaced_and_the_source_told_a_new_one_was_sent(
    live_mock: LiveMock, clock: ManualClock
) -> None:
    client = logged_in(live_mock)

    def too_late(sent: str) -> str:
        clock.advance(timedelta(minutes=31))  # the code is valid 30 minutes
        return sent

    codes = Codes(client, too_late, lambda sent: sent)
    assert client.registration.enroll(applicant(), codes).status == "valid"
    second = codes.asked[1]
    assert (second.refused, second.resent, second.attempts_remaining) == ("otp_expired", True, 2)
    assert second.notice == "Ce code a expiré.\nUn nouveau code vous a été envoyé par SMS au 5678."
    _assert_one_of_each(live_mock, sms=2)


def test_the_last_refused_code_ends_the_walk_without_sending_another(live_mock: LiveMock) -> None:
    client = logged_in(live_mock)
    codes = Codes(client, "000000", "000001")
    with pytest.raises(EnrollmentError, match="the SMS code was refused 2 times"):
        client.registration.enroll(applicant(), codes, max_code_attempts=2)
    assert len(codes.asked) == 2
    assert client.registration.status().next_action == "sign_subscription_agreement"
    messages = requests.get(f"{live_mock.url}/_mock/outbox", params={"channel": "sms"}, timeout=10).json()["data"]
    assert len(messages) == 1


def test_a_request_under_way_is_cancelled_and_nothing_else(live_mock: LiveMock) -> None:
    client = logged_in(live_mock)
    with pytest.raises(EnrollmentError, match="no certificate request to cancel: there is no certificate request"):
        client.registration.cancel_certificate_request()
    assert requests.get(f"{live_mock.url}/_mock/registrations", timeout=10).json()["data"] == []  # none opened
    client.registration.confirm_profile(mobile_number="0612345678")
    handoff = client.registration.start_certificate_request()
    client.registration.trust(handoff).submit_identity(
        birth_date=date(1980, 4, 12), accept_terms=True, accept_privacy_policy=True
    )
    cancelled = client.registration.cancel_certificate_request()
    assert (cancelled.id, cancelled.state, cancelled.cancellable) == (handoff.id, "cancelled", False)
    with pytest.raises(EnrollmentError, match=f"the request {handoff.id} is cancelled"):
        client.registration.cancel_certificate_request()
    # A new request may be walked afterwards.
    certificate = client.registration.enroll(applicant(), MockOutboxOtpSource(client.requestor, MARIE_MOBILE))
    assert certificate.registration_id != handoff.id


def test_an_unfinished_session_ends_after_seven_days(live_mock: LiveMock, clock: ManualClock) -> None:
    client = Client(live_mock.url, clock=ServerClock(live_mock.url))  # the id_token is checked on the mock's clock
    client.login_with_hint("marie.dupont")
    client.registration.confirm_profile(mobile_number="0612345678")
    handoff = client.registration.start_certificate_request()
    assert handoff.expires_at == clock.now().replace(microsecond=0) + timedelta(days=7)
    clock.advance(timedelta(days=7))
    with pytest.raises(RegistrationExpiredError) as ended:
        client.registration.trust(handoff).submit_identity(
            birth_date=date(1980, 4, 12), accept_terms=True, accept_privacy_policy=True
        )
    assert ended.value.expired_at == handoff.expires_at.isoformat()
    assert ended.value.status_code == 410
    client.login_with_hint("marie.dupont")  # the access token lives one hour
    assert client.registration.status().state == "profile_confirmed"
    assert client.registration.start_certificate_request().id != handoff.id


def test_a_signed_request_can_no_longer_be_cancelled(live_mock: LiveMock) -> None:
    client = logged_in(live_mock)
    client.registration.enroll(applicant(), MockOutboxOtpSource(client.requestor, MARIE_MOBILE))
    with pytest.raises(EnrollmentError, match="is certificate_issued"):
        client.registration.cancel_certificate_request()
    assert client.registration.certificate().status == "valid"


def test_an_error_in_the_certificate_is_reported_with_the_handoff_enroll_gave(live_mock: LiveMock) -> None:
    client = logged_in(live_mock)
    handoffs: list[Handoff] = []
    first = client.registration.enroll(
        applicant(), MockOutboxOtpSource(client.requestor, MARIE_MOBILE), on_handoff=handoffs.append
    )
    assert [h.id for h in handoffs] == [first.registration_id]

    other = dataclasses.replace(handoffs[0], id="reg_someone_else")
    with pytest.raises(EnrollmentError, match="the hand-off is registration reg_someone_else's"):
        client.registration.report_certificate_error("Mon prénom est mal orthographié", other)
    assert client.registration.certificate().id == first.id  # nothing sent

    second = client.registration.report_certificate_error("Mon prénom est mal orthographié", handoffs[0])
    assert second.id != first.id
    assert (second.status, second.acceptance, second.registration_id) == (
        "valid",
        "awaiting_acceptance",
        first.registration_id,
    )
    revoked = [
        c for c in requests.get(f"{live_mock.url}/_mock/certificates", timeout=10).json()["data"] if c["revoked_at"]
    ]
    assert [(c["id"], c["revocation_reason"]) for c in revoked] == [(first.id, "superseded")]
    with pytest.raises(BadRequestError) as caught:  # the provider's own check: say what is wrong
        client.registration.report_certificate_error(" ", handoffs[0])
    assert caught.value.code == "error_report_incomplete"


def test_enroll_reports_a_refused_document(live_mock: LiveMock) -> None:
    client = logged_in(live_mock)
    grey = IdentityDocument("id_card:fra", DocumentSide(grey_image()), DocumentSide(colour_image("PNG")), "X4RTBPFW4")
    with pytest.raises(DocumentRefusedError) as caught:
        client.registration.enroll(applicant(document=grey), MockOutboxOtpSource(client.requestor, MARIE_MOBILE))
    assert (caught.value.reason, caught.value.field) == ("document_not_in_colour", "front")
    assert client.registration.status().state == "identity_submitted"


def test_enroll_reports_a_rejection(live_mock: LiveMock) -> None:
    client = logged_in(live_mock, "jean.rejet")
    mrz = td1("X4RTBPFW4", surname="Rejet", given="Jean", sex="M")
    person = applicant(
        mobile_number="+33656789012",
        document=IdentityDocument(
            "id_card:fra", DocumentSide(colour_image()), DocumentSide(colour_image("PNG")), mrz=mrz
        ),
    )
    with pytest.raises(RegistrationRejectedError) as caught:
        client.registration.enroll(person, MockOutboxOtpSource(client.requestor, "+33656789012"))
    assert caught.value.reason == "document_unreadable"


def _assert_one_of_each(live: LiveMock, *, sms: int | None = None) -> None:
    certificates = requests.get(f"{live.url}/_mock/certificates", timeout=10).json()["data"]
    assert len([c for c in certificates if "Marie" in c["subject"]]) == 1
    registrations = requests.get(f"{live.url}/_mock/registrations", timeout=10).json()["data"]
    assert len(registrations) == 1
    if sms is not None:
        messages = requests.get(f"{live.url}/_mock/outbox", params={"channel": "sms"}, timeout=10).json()["data"]
        assert len(messages) == sms
