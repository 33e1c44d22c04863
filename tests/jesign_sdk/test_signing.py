"""``client.signing`` against the mock over HTTP: PAdES B-B to B-LTA checked by pyHanko's own validator, batches
under one SMS, seals, revocation, refused inputs, wrong codes, and the ``sign``/``validate`` commands."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from asn1crypto import x509 as asn1_x509
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import PdfSigner
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from jesign_sdk import (
    APIConnectionError,
    APIResponseValidationError,
    Client,
    ConflictError,
    MockOutboxOtpSource,
    OtpInvalidError,
    OtpLockedError,
    OtpRequest,
    PdfRefusedError,
    PermissionDeniedError,
    SigningProgress,
    Tokens,
    VisibleSignature,
)
from jesign_sdk.cli import main
from jesign_sdk.signing import CscTimeStamper
from mock_provider.core.clock import ManualClock
from tests.helpers.broken_http import closed_port
from tests.helpers.mock import LiveMock, served
from tests.helpers.pdf import blank_pdf
from tests.helpers.registration import MARIE_MOBILE, register_to_active

pytestmark = pytest.mark.live


@pytest.fixture
def marie(live_mock: LiveMock, registered: Callable[..., str]) -> Client:
    """Marie Dupont, registered (certificate issued, both firms opened) and logged in to the SDK."""
    registered(live_mock.app)
    client = Client(live_mock.url)
    client.login_with_hint("marie.dupont")
    return client


@pytest.fixture
def otp(marie: Client) -> MockOutboxOtpSource:
    return MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)


def root(live: LiveMock) -> asn1_x509.Certificate:
    der = live.services.pki.hierarchy().root.certificate.public_bytes(Encoding.DER)
    return asn1_x509.Certificate.load(der)


def online_context(live: LiveMock) -> ValidationContext:
    return ValidationContext(trust_roots=[root(live)], allow_fetching=True, fetcher_backend=RequestsFetcherBackend())


def offline_context(live: LiveMock, reader: PdfFileReader) -> ValidationContext:
    """Only what the document embeds: its DSS, no network, revocation information required."""
    dss = DocumentSecurityStore.read_dss(reader)
    return dss.as_validation_context(
        {"trust_roots": [root(live)], "allow_fetching": False, "revocation_mode": "hard-fail"}
    )


def validate_with_pyhanko(signed: bytes, context: ValidationContext) -> Any:
    reader = PdfFileReader(io.BytesIO(signed))

    return asyncio.run(async_validate_pdf_signature(reader.embedded_regular_signatures[0], context))


def csc_calls(live: LiveMock) -> list[str]:
    history = requests.get(f"{live.url}/_mock/requests", params={"limit": 1000}, timeout=10).json()["data"]
    return [r["path"].split("/trust/csc/v2/")[1] for r in reversed(history) if "/trust/csc/v2/" in r["path"]]


def sms_count(live: LiveMock) -> int:
    return len(requests.get(f"{live.url}/_mock/outbox", params={"channel": "sms"}, timeout=10).json()["data"])


# -- the four levels -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_each_level_validates_with_pyhanko(
    live_mock: LiveMock, marie: Client, otp: MockOutboxOtpSource, level: Any
) -> None:
    signed = marie.signing.sign_pdf(blank_pdf(), level=level, otp_source=otp, reason="Approbation", location="Paris")

    status = validate_with_pyhanko(signed, online_context(live_mock))
    assert (status.intact, status.valid, status.trusted) == (True, True, True), status.pretty_print_details()
    assert status.signing_cert.subject.native["common_name"] == "Marie Dupont"
    assert (status.timestamp_validity is not None) == (level != "B-B")
    if level in ("B-LT", "B-LTA"):
        reader = PdfFileReader(io.BytesIO(signed))
        offline = validate_with_pyhanko(signed, offline_context(live_mock, reader))
        assert offline.trusted, offline.pretty_print_details()
        assert offline.timestamp_validity is not None
        assert offline.timestamp_validity.trusted
    if level == "B-LTA":
        reader = PdfFileReader(io.BytesIO(signed))
        [document_stamp] = reader.embedded_timestamp_signatures
        context = offline_context(live_mock, reader)
        stamp = asyncio.run(async_validate_pdf_timestamp(document_stamp, context))
        assert (stamp.intact, stamp.valid, stamp.trusted) == (True, True, True)

    [report] = marie.signing.validate_pdf(signed)
    assert report.ok
    assert report.pades_level == level
    assert report.certificate_level == "qcpnqscd"
    assert report.signer_name == "Marie Dupont"
    assert report.revocation_status == "good"
    assert report.revocation_checked_at is not None
    assert (report.timestamp_time is None) == (level == "B-B")
    assert f"PAdES level:  {level}" in str(report)
    # Only hashes went out: authorize once, sign once.
    assert [c for c in csc_calls(live_mock) if c != "signatures/timestamp"] == [
        "credentials/list",
        "credentials/info",
        "credentials/sendOTP",
        "credentials/authorize",
        "signatures/signHash",
    ]


def test_a_visible_signature_in_a_named_field_written_to_a_file(
    marie: Client, otp: MockOutboxOtpSource, tmp_path: Path
) -> None:
    source = tmp_path / "lettre.pdf"
    source.write_bytes(blank_pdf())
    written = marie.signing.sign_pdf(
        source,
        tmp_path / "lettre-signée.pdf",
        level="B-B",
        field_name="Approbation",
        visible=VisibleSignature(0, (50, 50, 250, 110), "Lu et approuvé"),
        otp_source=otp,
    )
    assert written == tmp_path / "lettre-signée.pdf"
    [report] = marie.signing.validate_pdf(written)
    assert report.field_name == "Approbation"
    assert report.ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lettre-signée.pdf", "lettre.pdf"]


# -- batches -------------------------------------------------------------------------------------------------------


def test_a_batch_of_three_takes_one_sms(live_mock: LiveMock, marie: Client, otp: MockOutboxOtpSource) -> None:
    before = sms_count(live_mock)
    seen: list[SigningProgress] = []
    signed = marie.signing.sign_pdfs(
        [blank_pdf(str(n)) for n in range(3)], level="B-T", otp_source=otp, on_progress=seen.append
    )
    assert sms_count(live_mock) == before + 1
    calls = [c for c in csc_calls(live_mock) if c != "signatures/timestamp"]
    assert calls.count("credentials/sendOTP") == calls.count("credentials/authorize") == 1
    assert calls.count("signatures/signHash") == 1
    assert [p.stage for p in seen] == ["digest"] * 3 + ["authorize", "sign"] + ["finish"] * 3
    assert [p.done for p in seen] == list(range(1, 9))
    assert {p.total for p in seen} == {8}
    for document in signed:
        [report] = marie.signing.validate_pdf(document)
        assert report.ok
        assert report.pades_level == "B-T"


# -- seals ---------------------------------------------------------------------------------------------------------


def test_an_accountant_seals_for_an_opened_firm(live_mock: LiveMock, marie: Client) -> None:
    sms = sms_count(live_mock)
    sealed = marie.signing.seal_pdf(blank_pdf(), firm_id="frm_ecma", level="B-T")
    assert sms_count(live_mock) == sms  # SCAL1: no code
    status = validate_with_pyhanko(sealed, online_context(live_mock))
    assert status.trusted, status.pretty_print_details()
    [report] = marie.signing.validate_pdf(sealed)
    assert report.ok
    assert report.certificate_level == "seal"
    assert report.signer_name == "Cabinet Ecma"
    assert "Cachet" in str(report) or "seal" in str(report)


def test_sealing_without_the_delegation_is_refused_and_writes_nothing(
    live_mock: LiveMock, marie: Client, tmp_path: Path
) -> None:
    luc = Client(live_mock.url)
    luc.login_with_hint("luc.martin")
    target = tmp_path / "sealed.pdf"
    with pytest.raises(PermissionDeniedError) as caught:
        luc.signing.seal_pdf(blank_pdf(), target, firm_id="frm_ecma")
    assert caught.value.code == "seal_delegation_required"
    assert list(tmp_path.iterdir()) == []


# -- revocation ----------------------------------------------------------------------------------------------------


def test_a_revoked_certificate_signs_nothing_and_its_signatures_report_it(
    live_mock: LiveMock, marie: Client, otp: MockOutboxOtpSource
) -> None:
    older = marie.signing.sign_pdf(blank_pdf(), level="B-B", otp_source=otp)
    credential = marie.signing.credential()
    answer = requests.post(
        f"{live_mock.url}/_mock/certificates/{credential.id}/revoke", json={"reason": "key_compromise"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    with pytest.raises(ConflictError) as caught:
        marie.signing.sign_pdf(blank_pdf("again"), level="B-B", otp_source=otp)
    assert caught.value.code == "credential_revoked"
    [report] = marie.signing.validate_pdf(older)
    assert (report.intact, report.valid, report.trusted) == (True, True, False)
    assert report.revocation_status == "revoked"
    assert report.revocation_reason == "key_compromise"
    assert report.revoked_at is not None
    assert "REVOKED" in str(report)


# -- the PKI out of reach, and what pyHanko's fetchers make of it ------------------------------------------------


@pytest.fixture
def far_from_its_pki(clock: ManualClock) -> Iterator[Client]:
    """Marie, registered and logged in, on a mock whose certificates name OCSP and CRL URLs where no one listens:
    every fetch pyHanko's fetchers make meets a refused connection (the SDK's own calls reach the mock)."""
    with served(clock, public_base_url=f"http://127.0.0.1:{closed_port()}") as live:
        token = register_to_active(live.app.test_client())
        expires = datetime.now(UTC) + timedelta(hours=1)
        yield Client(live.url, tokens=Tokens(access_token=token, expires_at=expires))


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_a_long_term_signature_without_reachable_revocation_data_fails_and_writes_nothing(
    far_from_its_pki: Client, tmp_path: Path, level: Any
) -> None:
    marie = far_from_its_pki
    otp = MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
    target = tmp_path / "signed.pdf"
    with pytest.raises(APIConnectionError) as caught:
        marie.signing.sign_pdf(blank_pdf(), target, level=level, otp_source=otp)
    assert "no usable revocation information could be obtained" in str(caught.value)
    assert isinstance(caught.value.__cause__, SigningError)
    assert list(tmp_path.iterdir()) == []
    # The levels that embed no revocation data are not concerned.
    assert marie.signing.sign_pdf(blank_pdf(), level="B-T", otp_source=otp)


def test_validation_without_reachable_revocation_data_reports_it_instead_of_raising(far_from_its_pki: Client) -> None:
    marie = far_from_its_pki
    signed = marie.signing.sign_pdf(
        blank_pdf(), level="B-T", otp_source=MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
    )
    [report] = marie.signing.validate_pdf(signed)
    assert (report.intact, report.valid, report.trusted) == (True, True, False)
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "TRY_LATER")
    assert report.revocation_status == "unknown"
    assert report.revocation_checked_at is None


class _Misanswering:
    """The provider's CSC API, whose TSA answers a token for another nonce or another hash than asked."""

    def __init__(self, marie: Client, *, nonce: int | None = None, digest: bytes | None = None) -> None:
        self.marie, self.nonce, self.digest = marie, nonce, digest

    def timestamp(self, digest: bytes, hash_algorithm: str, *, nonce: int | None = None) -> bytes:
        return self.marie.signing.csc.timestamp(self.digest or digest, hash_algorithm, nonce=self.nonce or nonce)


@pytest.mark.parametrize(
    ("misanswer", "says"),
    [({"nonce": 1}, "answers another request"), ({"digest": hashlib.sha256(b"other").digest()}, "another hash")],
    ids=["nonce", "hash"],
)
def test_a_time_stamp_for_another_request_is_a_response_error(
    marie: Client, misanswer: dict[str, Any], says: str
) -> None:
    stamper = CscTimeStamper(_Misanswering(marie, **misanswer))  # type: ignore[arg-type]
    with pytest.raises(APIResponseValidationError, match=says):
        asyncio.run(stamper.async_timestamp(hashlib.sha256(b"document").digest(), "sha256"))
    # The provider's own answer goes through.
    honest = CscTimeStamper(marie.signing.csc)
    assert asyncio.run(honest.async_timestamp(hashlib.sha256(b"document").digest(), "sha256"))


# -- refused before anything is sent -------------------------------------------------------------------------------


def encrypted_pdf() -> bytes:
    writer = PdfFileWriter()
    writer.insert_page(
        PageObject(contents=writer.add_object(generic.StreamObject(stream_data=b"")), media_box=(0, 0, 595, 842))
    )
    writer.encrypt("owner-password", "user-password")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (lambda: b"PK\x03\x04 a zip, not a PDF", "not_a_pdf"),
        (lambda: b"%PDF-1.7\n garbage without a trailer", "pdf_damaged"),
        (encrypted_pdf, "encrypted_pdf"),
        (lambda: blank_pdf() + b"%" * (10 * 1024 * 1024), "pdf_too_large"),
    ],
)
def test_bad_documents_are_refused_before_any_call(
    live_mock: LiveMock, marie: Client, otp: MockOutboxOtpSource, document: Any, code: str
) -> None:
    with pytest.raises(PdfRefusedError) as caught:
        marie.signing.sign_pdfs([blank_pdf(), document()], otp_source=otp)
    assert caught.value.code == code
    assert caught.value.document == 1
    assert "(document 2 of the call)" in str(caught.value)
    assert csc_calls(live_mock) == []


def test_a_too_large_file_is_refused_by_its_size(
    live_mock: LiveMock, marie: Client, otp: MockOutboxOtpSource, tmp_path: Path
) -> None:
    big = tmp_path / "big.pdf"
    big.write_bytes(blank_pdf())
    with pytest.raises(PdfRefusedError) as caught:
        marie.signing.sign_pdf(big, otp_source=otp, max_bytes=100)
    assert caught.value.code == "pdf_too_large"
    assert str(big) in str(caught.value)
    assert csc_calls(live_mock) == []


def test_a_missing_file_is_refused_by_name(live_mock: LiveMock, marie: Client, otp: MockOutboxOtpSource) -> None:
    for call in (
        lambda: marie.signing.sign_pdf("missing.pdf", otp_source=otp),
        lambda: marie.signing.validate_pdf("missing.pdf"),
    ):
        with pytest.raises(PdfRefusedError) as caught:
            call()
        assert caught.value.code == "file_unreadable"
        assert caught.value.source == "missing.pdf"
        assert "missing.pdf" in str(caught.value)
    assert csc_calls(live_mock) == []


# -- SMS codes -----------------------------------------------------------------------------------------------------


class Codes:
    """Gives these codes in turn, then the right one from the outbox."""

    def __init__(self, marie: Client, *wrong: str) -> None:
        self.wrong = list(wrong)
        self.asked: list[OtpRequest] = []
        self._outbox = MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)

    def get_code(self, request: OtpRequest) -> str:
        self.asked.append(request)
        return self.wrong.pop(0) if self.wrong else self._outbox.get_code(request)


def test_a_wrong_code_is_asked_again(marie: Client) -> None:
    codes = Codes(marie, "000000")
    signed = marie.signing.sign_pdf(blank_pdf(), level="B-B", otp_source=codes)
    assert len(codes.asked) == 2
    assert codes.asked[0].phone_last_digits == "5678"
    assert marie.signing.validate_pdf(signed)[0].ok


def test_thirty_signing_codes_an_hour_then_the_wait_is_told(
    marie: Client, otp: MockOutboxOtpSource, clock: ManualClock
) -> None:
    credential = marie.signing.credential()
    for _ in range(30):
        marie.signing.csc.send_otp(credential.id)
        clock.advance(timedelta(seconds=61))  # past the resend cooldown
    with pytest.raises(OtpLockedError) as caught:
        marie.signing.sign_pdf(blank_pdf(), level="B-B", otp_source=otp)
    assert caught.value.code == "otp_code_limit_reached"
    wait = 3600 - 30 * 61  # until the first of the thirty is an hour old
    assert caught.value.retry_after == wait
    assert f"wait {wait} seconds" in str(caught.value)


def test_wrong_codes_three_times_raise_otp_invalid(live_mock: LiveMock, marie: Client) -> None:
    codes = Codes(marie, "000000", "000001", "000002", "000003")
    with pytest.raises(OtpInvalidError) as caught:
        marie.signing.sign_pdf(blank_pdf(), level="B-B", otp_source=codes)
    assert len(codes.asked) == 3
    assert caught.value.attempts_remaining == 2
    assert "signatures/signHash" not in csc_calls(live_mock)


# -- the command line ----------------------------------------------------------------------------------------------


def test_cli_signs_a_batch_and_validates(live_mock: LiveMock, marie: Client, cli_login: None, tmp_path: Path) -> None:
    def run(*args: str) -> Any:
        command = ["--base-url", live_mock.url, "--config-dir", str(tmp_path / "config"), *args]
        return CliRunner().invoke(main, command, catch_exceptions=False)

    assert run("login", "--login-hint", "marie.dupont").exit_code == 0
    sources = []
    for name in ("a.pdf", "b.pdf"):
        (tmp_path / name).write_bytes(blank_pdf(name))
        sources.append(str(tmp_path / name))
    out = tmp_path / "signed"
    out.mkdir()
    result = run(
        "sign", *sources, "-o", str(out), "--level", "B-LT", "--reason", "Approbation", "--otp-from-mock-outbox"
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a.pdf", "b.pdf"]
    assert str(out / "a.pdf") in result.stdout

    checked = run("--json", "validate", str(out / "a.pdf"))
    assert checked.exit_code == 0, checked.output
    [signature] = json.loads(checked.stdout)["signatures"]
    assert signature["trusted"] is True
    assert signature["pades_level"] == "B-LT"
    assert signature["certificate_level"] == "qcpnqscd"

    text = run("validate", str(out / "b.pdf"))
    assert "PAdES level:  B-LT" in text.stdout

    usage = run("sign", str(tmp_path / "a.pdf"), str(tmp_path / "b.pdf"), "-o", str(tmp_path / "one.pdf"))
    assert usage.exit_code == 2  # several files need a folder
    (tmp_path / "notes.pdf").write_text("not a PDF")
    refused = run("--json", "sign", str(tmp_path / "notes.pdf"), "--otp-from-mock-outbox")
    assert refused.exit_code == 1
    error = json.loads(refused.stdout)["error"]
    assert (error["code"], error["file"], error["document"]) == ("not_a_pdf", str(tmp_path / "notes.pdf"), 0)
    assert not (tmp_path / "notes-signed.pdf").exists()


def test_a_page_that_does_not_exist_is_refused_before_the_sms(
    live_mock: LiveMock, marie: Client, otp: MockOutboxOtpSource
) -> None:
    with pytest.raises(PdfRefusedError) as caught:
        marie.signing.sign_pdf(
            blank_pdf(), level="B-B", visible=VisibleSignature(7, (50, 50, 250, 110), "page 8"), otp_source=otp
        )
    assert caught.value.code == "pdf_not_signable"
    assert "no page 8" in str(caught.value)
    assert csc_calls(live_mock) == []


def test_the_sms_goes_out_while_digesting_and_a_digesting_error_is_the_one_raised(
    live_mock: LiveMock, marie: Client, otp: MockOutboxOtpSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the checks cannot foresee fails while pyHanko digests, the SMS on its way: the digesting's error is the
    one raised, and the code sent meanwhile is good for the next try."""
    digest = PdfSigner.async_digest_doc_for_signing

    async def failing(*args: Any, **kwargs: Any) -> Any:
        raise SigningError("something only pyHanko's digesting finds")

    monkeypatch.setattr(PdfSigner, "async_digest_doc_for_signing", failing)
    with pytest.raises(PdfRefusedError) as caught:
        marie.signing.sign_pdf(blank_pdf(), level="B-B", otp_source=otp)
    assert caught.value.code == "pdf_not_signable"
    assert "only pyHanko's digesting finds" in str(caught.value)
    calls = csc_calls(live_mock)
    assert "credentials/sendOTP" in calls  # sent while digesting, before the error
    assert "credentials/authorize" not in calls
    assert "signatures/signHash" not in calls
    # The code sent meanwhile is still good for the next try (no second SMS within the cooldown).
    monkeypatch.setattr(PdfSigner, "async_digest_doc_for_signing", digest)
    sms = sms_count(live_mock)
    assert marie.signing.validate_pdf(marie.signing.sign_pdf(blank_pdf(), otp_source=otp))[0].ok
    assert sms_count(live_mock) == sms
