"""``validate_pdf`` and ``jesign validate`` always answer: a report per signature (foreign, malformed, tampered ones
included) with its ETSI EN 319 102-1 indication, online or fully offline, with trust roots given as paths or bytes,
PEM or DER, nothing fetched when told so, and no traceback on stderr.

The fast lane signs with another provider's PKI made here (no server); the live tests sign through the mock, and
the offline ones validate with the mock stopped and every outgoing connection refused."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from jesign_sdk import Client, MockOutboxOtpSource, PdfRefusedError, TrustRootError
from jesign_sdk.cli import main
from jesign_sdk.signing import LEVELS, load_trust_roots
from mock_provider.core.clock import ManualClock
from tests.helpers.broken_http import closed_port
from tests.helpers.foreign_pki import ForeignPki, corrupt_first_signature, foreign_pki, unsupported_subfilter
from tests.helpers.mock import LiveMock, served
from tests.helpers.pdf import one_page_pdf
from tests.helpers.registration import MARIE_MOBILE, register_to_active


@pytest.fixture(scope="module")
def other() -> ForeignPki:
    return foreign_pki()


@pytest.fixture
def offline_client() -> Client:
    """A client of a provider that is not there: any call it made would fail."""
    return Client(f"http://127.0.0.1:{closed_port()}")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outgoing connection of this process refused, and recorded: the list must stay empty."""
    attempts: list[Any] = []

    def refuse(_socket: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise ConnectionRefusedError("this test allows no connection")

    def refuse_ex(_socket: socket.socket, address: Any) -> int:
        attempts.append(address)
        return 111

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse_ex)
    return attempts


def changed_after_signing(pdf: bytes) -> bytes:
    """An incremental update that replaces the first page's content: what no signature allows."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 600 Td (ajout) Tj ET"))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tampered(pdf: bytes) -> bytes:
    """One byte changed inside what the signature covers (the page's text)."""
    changed = pdf.replace(b"(Lettre de mission)", b"(Lettre de missioN)", 1)
    assert changed != pdf
    return changed


# -- the fast lane: another provider's signatures, no server -----------------------------------------------------


def test_a_signature_under_the_roots_given_passes_offline_and_a_foreign_one_says_so(
    offline_client: Client, other: ForeignPki, no_network: list[Any]
) -> None:
    signed = other.sign(one_page_pdf())
    [report] = offline_client.signing.validate_pdf(signed, trust_roots=[other.root_pem], allow_fetching=False)
    assert (report.indication, report.sub_indication, report.reason) == ("TOTAL_PASSED", None, None)
    assert (report.foreign, report.malformed, report.pades_level) == (False, False, "B-B")
    assert report.signer_name == "Jean Martin (Other Provider)"

    [foreign] = offline_client.signing.validate_pdf(
        signed, trust_roots=[foreign_pki("Third Party").root_pem], allow_fetching=False
    )
    assert (foreign.indication, foreign.sub_indication) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    assert foreign.foreign is True
    assert "does not lead to any of the trust roots" in (foreign.reason or "")
    assert "(foreign)" in str(foreign)
    assert no_network == []


@pytest.mark.parametrize(
    ("damage", "indication", "sub_indication", "says"),
    [
        (tampered, "TOTAL_FAILED", "HASH_FAILURE", "changed after signing"),
        (changed_after_signing, "TOTAL_FAILED", "FORMAT_FAILURE", "in a way the signature does not allow"),
        (corrupt_first_signature, "TOTAL_FAILED", "FORMAT_FAILURE", "cannot be read"),
        (unsupported_subfilter, "TOTAL_FAILED", "FORMAT_FAILURE", "SubFilter /adbe.x509.rsa_sha1"),
    ],
    ids=["tampered", "changed-after", "malformed", "unsupported-subfilter"],
)
def test_a_damaged_signature_is_reported_not_raised(
    offline_client: Client, other: ForeignPki, damage: Any, indication: str, sub_indication: str, says: str
) -> None:
    [report] = offline_client.signing.validate_pdf(
        damage(other.sign(one_page_pdf())), trust_roots=[other.root_pem], allow_fetching=False
    )
    assert (report.indication, report.sub_indication) == (indication, sub_indication), report
    assert says in (report.reason or ""), report.reason
    assert not report.ok
    assert f"Signature Foreign: {indication} / {sub_indication}" in str(report)


def test_a_malformed_signature_is_reported_beside_the_valid_ones(offline_client: Client, other: ForeignPki) -> None:
    broken = corrupt_first_signature(other.sign(one_page_pdf(), field_name="Broken"))
    signed = other.sign(broken, field_name="Good")
    reports = offline_client.signing.validate_pdf(signed, trust_roots=[other.root_pem], allow_fetching=False)
    assert [(r.field_name, r.malformed, r.indication) for r in reports] == [
        ("Broken", True, "TOTAL_FAILED"),
        ("Good", False, "TOTAL_PASSED"),
    ]
    assert reports[0].signer_name is None
    assert reports[0].details[0].startswith("ValueError: ")


def test_trust_roots_as_paths_or_bytes_pem_or_der(tmp_path: Path, other: ForeignPki) -> None:
    third = foreign_pki("Third Party")
    der = other.root.public_bytes(Encoding.DER)
    (tmp_path / "root.der").write_bytes(der)
    (tmp_path / "bundle.pem").write_bytes(other.root_pem + third.root_pem)
    loaded = load_trust_roots([der, other.root_pem, tmp_path / "root.der", str(tmp_path / "bundle.pem")])
    assert [r.dump() for r in loaded] == [der, der, der, der, third.root.public_bytes(Encoding.DER)]


@pytest.mark.parametrize(
    ("roots", "says"),
    [
        ([b"not a certificate"], "the trust root given as bytes is not a PEM or DER X.509 certificate"),
        ([b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"], "no CERTIFICATE block"),
        (["/nonexistent/root.pem"], "trust root /nonexistent/root.pem cannot be read"),
        ([], "no trust root given"),
        ([42], "a trust root is a path, bytes or a certificate, not 42"),
    ],
    ids=["garbage", "pem-without-certificate", "missing-file", "none", "wrong-type"],
)
def test_a_trust_root_that_cannot_be_used_is_a_trust_root_error(
    offline_client: Client, roots: list[Any], says: str
) -> None:
    with pytest.raises(TrustRootError, match=says):
        offline_client.signing.validate_pdf(one_page_pdf(), trust_roots=roots, allow_fetching=False)


def test_offline_without_trust_roots_fetches_nothing_and_says_so(offline_client: Client, no_network: list[Any]) -> None:
    with pytest.raises(TrustRootError, match="fetches nothing, not even the provider's root"):
        offline_client.signing.validate_pdf(one_page_pdf(), allow_fetching=False)
    assert no_network == []


def test_a_document_that_is_not_a_pdf_is_refused(offline_client: Client, other: ForeignPki) -> None:
    with pytest.raises(PdfRefusedError) as caught:
        offline_client.signing.validate_pdf(b"PK\x03\x04 a zip", trust_roots=[other.root_pem], allow_fetching=False)
    assert caught.value.code == "not_a_pdf"


# -- signed through the mock, validated with the mock stopped ----------------------------------------------------


@dataclass(frozen=True)
class StoppedProvider:
    """Documents Marie signed through the mock, whose server has stopped since: its port refuses connections."""

    url: str
    root_der: bytes
    root_pem: bytes
    documents: dict[str, bytes]


@pytest.fixture(scope="module")
def stopped(other: ForeignPki) -> StoppedProvider:
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0), frozen=True)
    with served(clock) as live:
        url = live.url
        register_to_active(live.app.test_client())
        marie = Client(url)
        marie.login_with_hint("marie.dupont")
        otp = MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
        documents = {
            level: marie.signing.sign_pdf(one_page_pdf(level), level=level, otp_source=otp) for level in LEVELS
        }
        broken = corrupt_first_signature(other.sign(one_page_pdf("broken")))
        documents["malformed, then B-LT"] = marie.signing.sign_pdf(broken, level="B-LT", otp_source=otp)
        foreign = other.sign(one_page_pdf("foreign"))
        documents["foreign, then B-LT"] = marie.signing.sign_pdf(foreign, level="B-LT", otp_source=otp)
        root = live.services.pki.hierarchy().root.certificate
    return StoppedProvider(url, root.public_bytes(Encoding.DER), root.public_bytes(Encoding.PEM), documents)


#: Offline, what each level's signature is worth: B-B and B-T carry no revocation data (TRY_LATER), B-LT and B-LTA
#: hold it in their DSS.
OFFLINE = {
    "B-B": ("INDETERMINATE", "TRY_LATER"),
    "B-T": ("INDETERMINATE", "TRY_LATER"),
    "B-LT": ("TOTAL_PASSED", None),
    "B-LTA": ("TOTAL_PASSED", None),
}


def root_as(stopped: StoppedProvider, form: str, directory: Path) -> Any:
    data = stopped.root_pem if form.endswith("pem") else stopped.root_der
    if form.startswith("bytes"):
        return data
    path = directory / f"root.{form.split()[1]}"
    path.write_bytes(data)
    return path


@pytest.mark.live
@pytest.mark.parametrize("form", ["path pem", "path der", "bytes pem", "bytes der"])
def test_each_level_validates_offline_with_the_provider_stopped(
    stopped: StoppedProvider, form: str, tmp_path: Path, no_network: list[Any]
) -> None:
    client = Client(stopped.url)
    root = root_as(stopped, form, tmp_path)
    for level, (indication, sub_indication) in OFFLINE.items():
        [report] = client.signing.validate_pdf(stopped.documents[level], trust_roots=[root], allow_fetching=False)
        assert (report.indication, report.sub_indication) == (indication, sub_indication), (level, report)
        assert report.pades_level == level
        assert (report.intact, report.valid, report.foreign) == (True, True, False)
        assert report.revocation_status == ("good" if report.ok else "unknown")
        if report.ok:
            assert report.revocation_checked_at is not None  # the DSS's OCSP answer
        else:
            assert "no revocation information" in (report.reason or "")
    assert no_network == []


@pytest.mark.live
def test_a_malformed_foreign_signature_does_not_hide_the_persons_own(
    stopped: StoppedProvider, no_network: list[Any]
) -> None:
    client = Client(stopped.url)
    reports = client.signing.validate_pdf(
        stopped.documents["malformed, then B-LT"], trust_roots=[stopped.root_pem], allow_fetching=False
    )
    assert [(r.field_name, r.indication, r.sub_indication, r.malformed) for r in reports] == [
        ("Foreign", "TOTAL_FAILED", "FORMAT_FAILURE", True),
        ("Signature1", "TOTAL_PASSED", None, False),
    ]
    assert reports[1].signer_name == "Marie Dupont"
    assert reports[1].pades_level == "B-LT"
    assert no_network == []


@pytest.mark.live
def test_a_foreign_signature_is_reported_and_passes_once_its_root_is_trusted(
    stopped: StoppedProvider, other: ForeignPki
) -> None:
    client = Client(stopped.url)
    document = stopped.documents["foreign, then B-LT"]
    foreign, own = client.signing.validate_pdf(document, trust_roots=[stopped.root_der], allow_fetching=False)
    assert (foreign.field_name, foreign.indication, foreign.sub_indication) == (
        "Foreign",
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
    )
    assert (foreign.foreign, own.foreign, own.indication) == (True, False, "TOTAL_PASSED")
    both = client.signing.validate_pdf(document, trust_roots=[stopped.root_der, other.root_pem], allow_fetching=False)
    assert [r.indication for r in both] == ["TOTAL_PASSED", "TOTAL_PASSED"]


@pytest.mark.live
def test_cli_validates_offline_with_the_provider_stopped(
    stopped: StoppedProvider, tmp_path: Path, no_network: list[Any]
) -> None:
    def run(*args: str) -> Any:
        command = ["--base-url", stopped.url, "--config-dir", str(tmp_path / "config"), *args]
        return CliRunner().invoke(main, command, catch_exceptions=False)

    (tmp_path / "root.pem").write_bytes(stopped.root_pem)
    (tmp_path / "root.der").write_bytes(stopped.root_der)
    for level, (indication, sub_indication) in OFFLINE.items():
        (tmp_path / f"{level}.pdf").write_bytes(stopped.documents[level])
        result = run(
            "--json", "validate", "--offline", "--trust", str(tmp_path / "root.pem"), str(tmp_path / f"{level}.pdf")
        )
        assert result.exit_code == (0 if indication == "TOTAL_PASSED" else 1), result.output
        [signature] = json.loads(result.stdout)["signatures"]
        assert (signature["indication"], signature["sub_indication"]) == (indication, sub_indication)
        assert signature["pades_level"] == level
    text = run("validate", "--offline", "--trust", str(tmp_path / "root.der"), str(tmp_path / "B-LTA.pdf"))
    assert text.exit_code == 0, text.output
    assert "Signature Signature1: TOTAL_PASSED" in text.stdout
    assert "PAdES level:  B-LTA" in text.stdout

    (tmp_path / "both.pdf").write_bytes(stopped.documents["malformed, then B-LT"])
    both = run("--json", "validate", "--offline", "--trust", str(tmp_path / "root.pem"), str(tmp_path / "both.pdf"))
    assert both.exit_code == 1  # not every signature passed
    assert [(s["field_name"], s["indication"], s["malformed"]) for s in json.loads(both.stdout)["signatures"]] == [
        ("Foreign", "TOTAL_FAILED", True),
        ("Signature1", "TOTAL_PASSED", False),
    ]

    usage = run("validate", "--offline", str(tmp_path / "B-LT.pdf"))
    assert usage.exit_code == 2
    assert "--offline fetches nothing" in usage.output
    (tmp_path / "notes.txt").write_text("not a certificate")
    refused = run("--json", "validate", "--offline", "--trust", str(tmp_path / "notes.txt"), str(tmp_path / "B-LT.pdf"))
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error"]["code"] == "trust_root_invalid"
    assert no_network == []


# -- online: revocation ------------------------------------------------------------------------------------------


def revoke(live: LiveMock, marie: Client) -> None:
    credential = marie.signing.credential()
    answer = requests.post(
        f"{live.url}/_mock/certificates/{credential.id}/revoke", json={"reason": "key_compromise"}, timeout=10
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.live
def test_a_revoked_signature_says_so_in_its_report_and_nothing_on_stderr(
    live_mock: LiveMock, clock: ManualClock, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Marie registers and signs a minute ago; her certificate is revoked now.
    clock.set(clock.now() - timedelta(minutes=1), frozen=True)
    register_to_active(live_mock.app.test_client())
    marie = Client(live_mock.url)
    marie.login_with_hint("marie.dupont")
    otp = MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
    without_time_stamp = marie.signing.sign_pdf(one_page_pdf("B-B"), level="B-B", otp_source=otp)
    time_stamped = marie.signing.sign_pdf(one_page_pdf("B-T"), level="B-T", otp_source=otp)
    clock.set(datetime.now(UTC).replace(microsecond=0), frozen=True)
    revoke(live_mock, marie)

    [report] = marie.signing.validate_pdf(without_time_stamp)
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "REVOKED_NO_POE")
    assert (report.revocation_status, report.revocation_reason) == ("revoked", "key_compromise")
    assert "was revoked on" in (report.reason or "")
    assert "nothing proves the signature was made before" in (report.reason or "")
    assert any("revoked" in line for line in report.details)
    assert "INDETERMINATE / REVOKED_NO_POE" in str(report)
    # The time-stamp proves the signature existed before the revocation (EN 319 102-1 §5.5).
    [stamped] = marie.signing.validate_pdf(time_stamped)
    assert (stamped.indication, stamped.revocation_status, stamped.trusted) == ("TOTAL_PASSED", "revoked", False)
    assert "after the signature time-stamp" in (stamped.reason or "")

    assert "Traceback" not in capfd.readouterr().err
    assert [r for r in caplog.records if r.name.startswith("pyhanko")] == []  # none reached the application's logs


@pytest.mark.live
def test_cli_reports_a_revoked_signature_with_an_empty_stderr(
    live_mock: LiveMock, registered: Callable[..., str], tmp_path: Path
) -> None:
    """In a process of its own, where logging is not configured: pyHanko's warnings would reach stderr there."""
    registered(live_mock.app)
    marie = Client(live_mock.url)
    marie.login_with_hint("marie.dupont")
    signed = marie.signing.sign_pdf(
        one_page_pdf(), level="B-B", otp_source=MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
    )
    revoke(live_mock, marie)
    (tmp_path / "signed.pdf").write_bytes(signed)
    jesign = Path(sys.executable).with_name("jesign")
    result = subprocess.run(
        [
            str(jesign),
            "--base-url",
            live_mock.url,
            "--config-dir",
            str(tmp_path),
            "--json",
            "validate",
            str(tmp_path / "signed.pdf"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == ""
    [signature] = json.loads(result.stdout)["signatures"]
    assert (signature["indication"], signature["sub_indication"]) == ("INDETERMINATE", "REVOKED_NO_POE")
    assert signature["revocation_status"] == "revoked"
