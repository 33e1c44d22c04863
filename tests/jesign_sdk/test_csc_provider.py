"""Signing through any CSC provider and through a local key, with the surface of ``client.signing``.

- certomancer's CSC dummy (``certomancer-csc-dummy``: CSC 1.0.4, the server pyHanko tests its own ``CSCSigner``
  with), on a certomancer configuration made here, served over HTTP in a thread: B-B and B-T through
  :class:`CscProvider`, validated by pyHanko against the dummy's root;
- the mock's ``/trust/csc/v1`` and ``/trust/csc/v2`` with the SSO's token, the version read from ``info``;
- a PKCS#12 file through :class:`LocalKeyProvider`, no server at all.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from asn1crypto import x509 as asn1_x509
from certomancer import registry
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from csc_dummy.csc_dummy_server import CSCWithCertomancer, DummyServiceParams
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from jesign_sdk import Client, JesignError, MockOutboxOtpSource, OtpUnavailableError, PdfRefusedError
from jesign_sdk.cli import main
from jesign_sdk.signing import (
    Credential,
    CscProvider,
    LocalKeyBackend,
    LocalKeyProvider,
    SigningBackend,
    SigningProvider,
)
from jesign_sdk.signing.csc_oauth2 import CscOAuth2, mock_authorize
from jesign_sdk.signing.local import LocalKeyError
from tests.helpers.mock import LiveMock
from tests.helpers.registration import MARIE_MOBILE


def one_page_pdf(text: str = "Lettre de mission") -> bytes:
    writer = PdfFileWriter()
    content = writer.add_object(generic.StreamObject(stream_data=f"% {text}\n".encode()))
    writer.insert_page(PageObject(contents=content, media_box=(0, 0, 595, 842)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def validate(signed: bytes, root: asn1_x509.Certificate, *, timestamped: bool) -> None:
    """pyHanko's own validation: intact, valid, trusted from ``root``; a signature time-stamp when asked."""
    reader = PdfFileReader(io.BytesIO(signed))
    [embedded] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    status = asyncio.run(async_validate_pdf_signature(embedded, context, ts_validation_context=context))
    details = status.pretty_print_details()
    assert status.intact, details
    assert status.valid, details
    assert status.trusted, details
    assert (status.timestamp_validity is not None) is timestamped
    if timestamped:
        assert status.timestamp_validity is not None
        assert status.timestamp_validity.trusted


# -- a PKI made here ----------------------------------------------------------------------------------------------


def _key_pem(path: Path) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    return key


def certomancer_config(folder: Path) -> Path:
    """A root, a signer and a TSA (P-256 keys made now), valid from yesterday for a year, in certomancer's YAML."""
    keys = folder / "keys"
    keys.mkdir()
    for name in ("root", "signer", "tsa"):
        _key_pem(keys / f"{name}.key.pem")
    now = datetime.now(UTC)
    validity = {
        "valid-from": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "valid-to": (now + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
    }
    usage = {"id": "key_usage", "critical": True}
    config = {
        "external-url-prefix": "http://csc-dummy.test",
        "keysets": {
            "test": {"path-prefix": str(keys), "keys": {n: {"path": f"{n}.key.pem"} for n in ("root", "signer", "tsa")}}
        },
        "pki-architectures": {
            "test": {
                "keyset": "test",
                "entity-defaults": {"country-name": "FR", "organization-name": "Certomancer CSC test"},
                "entities": {
                    "root": {"common-name": "Root"},
                    "signer": {"common-name": "Alice"},
                    "tsa": {"common-name": "TSA"},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": validity,
                        "extensions": [
                            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                            {
                                **usage,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature", "key_cert_sign", "crl_sign"],
                                },
                            },
                        ],
                    },
                    "signer": {
                        "issuer": "root",
                        "validity": validity,
                        "extensions": [
                            {
                                **usage,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature", "non_repudiation"],
                                },
                            }
                        ],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": validity,
                        "extensions": [
                            {**usage, "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                            {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                        ],
                    },
                },
                "services": {"time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}}},
            }
        },
    }
    path = folder / "certomancer.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def csc_dummy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, asn1_x509.Certificate]]:
    """certomancer's CSC dummy (CSC 1.0.4, SCAL2: hashes pinned) on a loopback port, in a thread of its own:
    its ``/csc/v1`` base URL and the root it signs under."""
    config = registry.CertomancerConfig.from_file(str(certomancer_config(tmp_path_factory.mktemp("certomancer"))))
    with warnings.catch_warnings():  # the dummy keys its aiohttp app with strings (its code, not ours)
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        dummy = CSCWithCertomancer(
            config, service_params=DummyServiceParams(hash_pinning_required=True, default_tsa="test/tsa")
        )
    dummy.register_routes()
    port = _free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(dummy.app)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="csc-dummy", daemon=True)
    thread.start()
    assert started.wait(10), "the CSC dummy did not start"
    root = config.get_pki_arch(registry.ArchLabel("test")).get_cert(registry.CertLabel("root"))
    yield f"http://127.0.0.1:{port}/csc/v1", root
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


# -- an independent CSC 1.0.4 server ------------------------------------------------------------------------------


def test_csc_dummy_signs_at_b_b_and_b_t_read_as_version_1(csc_dummy: tuple[str, asn1_x509.Certificate]) -> None:
    base_url, root = csc_dummy
    provider = CscProvider(base_url, credential_id="test/signer", provider_timestamps=True)
    assert provider.info is not None
    assert provider.info.specs == "1.0.4.0"
    assert provider.csc.version == "1"
    assert "test/signer" in provider.credentials()
    credential = provider.credential()
    assert credential.scal == 2
    assert not credential.needs_code
    for level, timestamped in (("B-B", False), ("B-T", True)):
        signed = provider.sign_pdf(one_page_pdf(level), level=level)
        validate(signed, root, timestamped=timestamped)


def test_csc_dummy_batch_under_one_authorization_and_forced_version(
    csc_dummy: tuple[str, asn1_x509.Certificate],
) -> None:
    base_url, root = csc_dummy
    provider = CscProvider(base_url, version="1", credential_id="test/signer")
    assert provider.info is None  # forced: no info call
    signed = provider.sign_pdfs([one_page_pdf("un"), one_page_pdf("deux")], level="B-B")
    for document in signed:
        validate(document, root, timestamped=False)


def test_csc_dummy_spoken_to_in_v2_names_refuses_and_the_sdk_says_so(
    csc_dummy: tuple[str, asn1_x509.Certificate],
) -> None:
    """The failure the version detection exists for: v2's ``hashes`` at a 1.0.4 server is an error, raised as
    the SDK's (never a raw exception), and no B-T without a time-stamping authority."""
    base_url, _ = csc_dummy
    forced = CscProvider(base_url, version="2", credential_id="test/signer")
    with pytest.raises(JesignError):
        forced.sign_pdf(one_page_pdf(), level="B-B")
    auto = CscProvider(base_url, credential_id="test/signer")  # info lists no signatures/timestamp
    with pytest.raises(ValueError, match="time-stamped"):
        auto.sign_pdf(one_page_pdf(), level="B-T")


def test_several_credentials_and_none_named_is_refused_before_signing(
    csc_dummy: tuple[str, asn1_x509.Certificate],
) -> None:
    base_url, _ = csc_dummy
    provider = CscProvider(base_url)
    with pytest.raises(JesignError, match="name one"):
        provider.sign_pdf(one_page_pdf(), level="B-B")


# -- the mock, v1 and v2 ----------------------------------------------------------------------------------------


@pytest.mark.live
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_mocks_csc_api_through_the_neutral_provider(
    live_mock: LiveMock, registered: Callable[..., str], version: str
) -> None:
    registered(live_mock.app)
    marie = Client(live_mock.url)
    marie.login_with_hint("marie.dupont")
    assert marie.tokens is not None
    provider = CscProvider(
        f"{live_mock.url}/trust/csc/{version}",
        token=lambda: marie.tokens.access_token,  # type: ignore[union-attr]
        credential_id=marie.signing.credential().id,
    )
    assert provider.csc.version == version[1]
    credential = provider.credential()
    assert credential.needs_code
    assert credential.code_online
    assert credential.scal == 2
    with pytest.raises(OtpUnavailableError):  # refused before the SMS is sent
        provider.sign_pdf(one_page_pdf(), level="B-B")
    otp = MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
    root = marie.signing.trust_roots()[0]
    signed = provider.sign_pdf(one_page_pdf(version), level="B-T", otp_source=otp)
    validate(signed, root, timestamped=True)
    [report] = marie.signing.validate_pdf(signed)
    assert report.indication == "TOTAL_PASSED"


# -- a local key ---------------------------------------------------------------------------------------------------


def self_signed_pkcs12(password: bytes) -> tuple[bytes, asn1_x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Cachet de test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, True, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"test", key, certificate, None, serialization.BestAvailableEncryption(password)
    )
    return data, asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def test_a_pkcs12_file_signs_through_the_same_surface_with_no_server(tmp_path: Path) -> None:
    data, certificate = self_signed_pkcs12(b"mot de passe")
    path = tmp_path / "cachet.p12"
    path.write_bytes(data)
    provider = LocalKeyProvider.from_pkcs12(path, password="mot de passe")
    assert isinstance(provider, SigningProvider)
    assert isinstance(provider.backend, SigningBackend)
    written = provider.sign_pdf(one_page_pdf(), tmp_path / "signé.pdf", level="B-B")
    validate(written.read_bytes(), certificate, timestamped=False)
    sealed = provider.seal_pdfs([one_page_pdf("a"), one_page_pdf("b")], credential_id="local", level="B-B")
    for document in sealed:
        validate(document, certificate, timestamped=False)
    with pytest.raises(ValueError, match="time-stamped"):  # no TSA given
        provider.sign_pdf(one_page_pdf(), level="B-T")
    with pytest.raises(PdfRefusedError):
        provider.sign_pdf(b"%PDF-1.7 not really", level="B-B")


def test_a_pkcs12_file_that_cannot_be_used_is_a_clear_error(tmp_path: Path) -> None:
    data, _ = self_signed_pkcs12(b"right")
    with pytest.raises(LocalKeyError, match="password"):
        LocalKeyBackend.from_pkcs12(data, password=b"wrong")
    with pytest.raises(LocalKeyError, match="cannot be read"):
        LocalKeyBackend.from_pkcs12(tmp_path / "absent.p12")
    backend = LocalKeyBackend.from_pkcs12(data, password=b"right")
    with pytest.raises(LocalKeyError):
        backend.credential("another")
    assert issubclass(LocalKeyError, JesignError)


# -- the command line ----------------------------------------------------------------------------------------------


def test_cli_signs_with_a_pkcs12_file_and_through_a_csc_provider(
    tmp_path: Path, csc_dummy: tuple[str, asn1_x509.Certificate]
) -> None:
    data, certificate = self_signed_pkcs12(b"secret")
    (tmp_path / "cachet.p12").write_bytes(data)
    (tmp_path / "lettre.pdf").write_bytes(one_page_pdf())
    runner = CliRunner()
    local = runner.invoke(
        main,
        ["--json", "sign", str(tmp_path / "lettre.pdf"), "--pkcs12", str(tmp_path / "cachet.p12"), "--level", "B-B"],
        env={"JESIGN_PKCS12_PASSWORD": "secret", "JESIGN_CONFIG_DIR": str(tmp_path / "config")},
    )
    assert local.exit_code == 0, local.output
    [document] = json.loads(local.stdout)["documents"]
    validate(Path(document["output"]).read_bytes(), certificate, timestamped=False)

    base_url, root = csc_dummy
    out = tmp_path / "out"
    out.mkdir()
    remote = runner.invoke(
        main,
        [
            "sign",
            str(tmp_path / "lettre.pdf"),
            "-o",
            str(out),
            "--csc-url",
            base_url,
            "--level",
            "B-B",
            "--credential",
            "test/signer",
        ],
        env={"JESIGN_CONFIG_DIR": str(tmp_path / "config")},
    )
    assert remote.exit_code == 0, remote.output
    validate((out / "lettre.pdf").read_bytes(), root, timestamped=False)

    wrong = runner.invoke(
        main,
        ["--json", "sign", str(tmp_path / "lettre.pdf"), "--pkcs12", str(tmp_path / "cachet.p12"), "--level", "B-B"],
        env={"JESIGN_PKCS12_PASSWORD": "not it", "JESIGN_CONFIG_DIR": str(tmp_path / "config")},
    )
    assert wrong.exit_code == 1
    assert "password" in json.loads(wrong.stdout)["error"]["message"]
    both = runner.invoke(
        main, ["sign", str(tmp_path / "lettre.pdf"), "--pkcs12", "x.p12", "--csc-url", base_url], catch_exceptions=False
    )
    assert both.exit_code == 2
    stray = runner.invoke(main, ["sign", str(tmp_path / "lettre.pdf"), "--credential", "test/signer"])
    assert stray.exit_code == 2


# -- a backend written by a user -------------------------------------------------------------------------------------


class _OwnSession:
    def __init__(self, key: ec.EllipticCurvePrivateKey, fail: bool) -> None:
        self.key, self.fail, self.prepared = key, fail, False

    def prepare(self) -> None:
        self.prepared = True

    def sign(self, digests: Sequence[bytes]) -> list[bytes]:
        if self.fail:
            raise RuntimeError("the service is down")
        return [self.key.sign(d, ec.ECDSA(Prehashed(hashes.SHA256()))) for d in digests]


class _OwnBackend:
    """A backend as the docs tell a user to write one: two methods, and a session with two."""

    def __init__(self, fail: bool = False) -> None:
        data, self.root = self_signed_pkcs12(b"k")
        key, _, _ = pkcs12.load_key_and_certificates(data, b"k")
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        self.key, self.fail, self.sessions = key, fail, list[_OwnSession]()

    def credential(self, credential_id: str | None = None) -> Credential:
        return Credential(id="own", certificates=(self.root,))

    def session(self, credential: Credential, *, otp_source: object) -> _OwnSession:
        self.sessions.append(_OwnSession(self.key, self.fail))
        return self.sessions[-1]


def test_a_backend_written_by_a_user_signs_and_its_failures_are_the_sdks() -> None:
    backend = _OwnBackend()
    signed = SigningProvider(backend).sign_pdfs([one_page_pdf("a"), one_page_pdf("b")], level="B-B")
    for document in signed:
        validate(document, backend.root, timestamped=False)
    assert [s.prepared for s in backend.sessions] == [True]  # one operation for the batch
    failing = _OwnBackend(fail=True)
    with pytest.raises(JesignError, match="the signing backend failed: RuntimeError") as raised:
        SigningProvider(failing).sign_pdf(one_page_pdf(), level="B-B")
    assert isinstance(raised.value.__cause__, RuntimeError)


@pytest.mark.live
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_mocks_own_oauth2_through_the_neutral_provider(
    live_mock: LiveMock, registered: Callable[..., str], version: str
) -> None:
    """No SSO token at all: the calls carry the provider's own service token, and the operation is authorized by a
    credential token for exactly its hashes (the SMS code typed on the provider's page), in place of the SAD."""
    registered(live_mock.app)
    marie = Client(live_mock.url)
    marie.login_with_hint("marie.dupont")  # only for the session the mock's page logs in with, and the outbox
    base_url = f"{live_mock.url}/trust/csc/{version}"
    info = CscProvider(base_url).info
    assert info is not None
    assert "oauth2code" in info.auth_types
    assert info.oauth2 is not None
    otp = MockOutboxOtpSource(marie.requestor, MARIE_MOBILE)
    oauth2 = CscOAuth2(
        info.oauth2, client_id="jesign-cli", authorize=mock_authorize(marie.requestor, "marie.dupont", otp=otp)
    )
    provider = CscProvider(base_url, oauth2=oauth2, authorize_via="oauth2")
    personal = next(c for c in provider.credentials() if not c.startswith("seal_"))
    signed = provider.sign_pdfs([one_page_pdf("un"), one_page_pdf("deux")], credential_id=personal, level="B-T")
    root = marie.signing.trust_roots()[0]
    for document in signed:
        validate(document, root, timestamped=True)
    sealed = provider.seal_pdf(one_page_pdf("cachet"), credential_id="seal_frm_ecma", level="B-B")
    validate(sealed, root, timestamped=False)
    with pytest.raises(ValueError, match="needs the provider's OAuth2"):
        CscProvider(base_url, token="x", authorize_via="oauth2")
