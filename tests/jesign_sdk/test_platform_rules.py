"""The platform's rules over the personal certificate, through the SDK over HTTP: no signature before the terms
(step 6); a collaborator registers and signs only while holding the ``sign`` delegation, and a withdrawal stops
the use at once (the credential suspended, the certificate kept). Each refusal comes before any SMS is sent."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from jesign_sdk import (
    Applicant,
    Client,
    DocumentSide,
    IdentityDocument,
    MockOutboxOtpSource,
    OtpRequest,
    PermissionDeniedError,
)
from tests.helpers.mock import LiveMock
from tests.helpers.registration import colour_image, register_to_active, td1

pytestmark = pytest.mark.live

MARIE_MOBILE = "+33612345678"
LUC_MOBILE = "+33623456789"


def one_page() -> bytes:
    writer = PdfFileWriter()
    writer.insert_page(
        PageObject(contents=writer.add_object(generic.StreamObject(stream_data=b"% a")), media_box=(0, 0, 595, 842))
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def logged_in(live_mock: LiveMock, login: str) -> Client:
    client = Client(live_mock.url)
    client.login_with_hint(login)
    return client


def sms_to(live_mock: LiveMock, phone: str) -> int:
    answer = live_mock.app.test_client().get("/_mock/outbox", query_string={"channel": "sms", "recipient": phone})
    return len(answer.json["data"])


def test_no_signature_before_the_terms_then_one_after(live_mock: LiveMock) -> None:
    register_to_active(live_mock.app.test_client(), terms=False)
    marie = logged_in(live_mock, "marie.dupont")
    otp = MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
    sent = sms_to(live_mock, MARIE_MOBILE)
    credential = marie.signing.credential()
    assert credential.status == "disabled"  # suspended, not revoked
    with pytest.raises(PermissionDeniedError) as refused:
        marie.signing.sign_pdf(one_page(), otp_source=otp)
    assert refused.value.code == "service_not_open"
    assert sms_to(live_mock, MARIE_MOBILE) == sent  # refused before any code was sent
    marie.registration.accept_terms([firm.id for firm in marie.registration.status().profile.firms])
    assert marie.signing.sign_pdf(one_page(), otp_source=otp).startswith(b"%PDF")


def test_a_collaborator_signs_only_while_holding_sign(live_mock: LiveMock) -> None:
    register_to_active(live_mock.app.test_client())  # Marie opens Cabinet Ecma
    register_to_active(live_mock.app.test_client(), "luc.martin", "0623456789")
    marie, luc = logged_in(live_mock, "marie.dupont"), logged_in(live_mock, "luc.martin")
    otp = MockOutboxOtpSource(luc.requestor, LUC_MOBILE)
    assert luc.signing.sign_pdf(one_page(), otp_source=otp).startswith(b"%PDF")
    (held,) = [d for d in marie.delegations.list("frm_ecma") if d.user_id == "usr_luc_martin" and d.kind == "sign"]
    marie.delegations.revoke("frm_ecma", held.id)
    sent = sms_to(live_mock, LUC_MOBILE)
    with pytest.raises(PermissionDeniedError) as refused:
        luc.signing.sign_pdf(one_page(), otp_source=otp)
    assert refused.value.code == "sign_delegation_required"
    assert sms_to(live_mock, LUC_MOBILE) == sent
    assert luc.signing.credential().status == "disabled"
    marie.delegations.grant("frm_ecma", user_id="usr_luc_martin", kind="sign")
    assert luc.signing.sign_pdf(one_page(), otp_source=otp).startswith(b"%PDF")


def test_a_collaborator_without_sign_cannot_request_a_certificate(live_mock: LiveMock) -> None:
    register_to_active(live_mock.app.test_client())
    chloe, marie = logged_in(live_mock, "chloe.bernard"), logged_in(live_mock, "marie.dupont")
    chloe.registration.confirm_profile(mobile_number="0634567890")
    with pytest.raises(PermissionDeniedError) as refused:
        chloe.registration.start_certificate_request()
    assert refused.value.code == "sign_delegation_required"
    assert chloe.registration.status().certificate_request is None
    marie.delegations.grant("frm_ecma", user_id="usr_chloe_bernard", kind="sign")
    assert chloe.registration.start_certificate_request().id


def test_the_holder_revokes_then_enrolls_again(live_mock: LiveMock) -> None:
    """``revoke_certificate`` (a wrong code asked again), then ``enroll`` walks a new request to ``active``."""
    register_to_active(live_mock.app.test_client())
    marie = logged_in(live_mock, "marie.dupont")
    first = marie.registration.certificate()
    outbox = MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
    asked: list[OtpRequest] = []

    class WrongThenRight:
        def get_code(self, request: OtpRequest) -> str:
            asked.append(request)
            code = outbox.get_code(request)
            return code if len(asked) > 1 else str((int(code) + 1) % 1_000_000).zfill(6)

    with pytest.raises(ValueError, match="reason is one of"):
        marie.registration.revoke_certificate(WrongThenRight(), reason="whim")
    assert not asked  # refused before any code was sent
    revoked = marie.registration.revoke_certificate(WrongThenRight(), reason="key_compromise")
    assert (revoked.id, revoked.status) == (first.id, "revoked")
    assert [r.refused for r in asked] == [None, "otp_invalid"]
    assert asked[0].phone_last_digits == "5678"
    status = marie.registration.status()
    assert (status.state, status.next_action) == ("certificate_revoked", "start_certificate_request")
    document = IdentityDocument(
        document_type="id_card:fra",
        front=DocumentSide(colour_image(), "recto.jpg"),
        back=DocumentSide(colour_image("PNG"), "verso.png"),
        mrz=td1("X4RTBPFW4"),
    )
    applicant = Applicant(mobile_number="0612345678", birth_date=date(1980, 4, 12), document=document)
    renewed = marie.registration.enroll(applicant, outbox, poll_interval=0.05)
    assert renewed.id != first.id
    assert renewed.status == "valid"
    assert marie.registration.status().state == "active"
