"""The hierarchy's life cycle: generated once, persisted, regenerated on demand; keys sealed at rest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from cryptography.x509 import ocsp
from flask import Flask

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.cli import main as mock_cli
from mock_provider.core.pki.keys import KeyDecryptionError, KeyVault
from tests.helpers.pki import issue_person, ocsp_request

BASE = "http://pki.jesign-mock.example.com"


def _app(data_dir: Path, **overrides: object) -> Flask:
    return create_app({"data_dir": str(data_dir), "public_base_url": BASE, **overrides})


def _root_der(app: Flask) -> bytes:
    return bytes(app.test_client().get("/pki/ca/root.cer").data)


def test_hierarchy_survives_a_restart(tmp_path: Path) -> None:
    first = _app(tmp_path)
    root = _root_der(first)
    record = issue_person(services_of(first))
    services_of(first).close()

    second = _app(tmp_path)
    try:
        assert _root_der(second) == root
        issuer = services_of(second).pki.hierarchy()["person"].certificate
        response = second.test_client().post(
            "/pki/ocsp", data=ocsp_request(record.certificate, issuer), content_type="application/ocsp-request"
        )
        assert ocsp.load_der_ocsp_response(response.data).certificate_status == ocsp.OCSPCertStatus.GOOD
        # The subscriber's key opens again after the restart, from its sealed form.
        key = services_of(second).pki.signing_key(record.id)
        spki = PublicFormat.SubjectPublicKeyInfo
        assert key.public_key().public_bytes(Encoding.DER, spki) == record.certificate.public_key().public_bytes(
            Encoding.DER, spki
        )
    finally:
        services_of(second).close()
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_regeneration_makes_a_new_hierarchy(tmp_path: Path) -> None:
    app = _app(tmp_path)
    services = services_of(app)
    old_root = _root_der(app)
    record = issue_person(services)
    old_issuer = services.pki.hierarchy()["person"].certificate
    new = services.pki.regenerate()
    try:
        assert new.generation == 2
        assert _root_der(app) != old_root
        response = app.test_client().post(
            "/pki/ocsp", data=ocsp_request(record.certificate, old_issuer), content_type="application/ocsp-request"
        )
        # Certificates of the retired hierarchy are not the responder's business any more.
        assert ocsp.load_der_ocsp_response(response.data).response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    finally:
        services.close()
    restarted = _app(tmp_path)
    try:
        assert services_of(restarted).pki.hierarchy().generation == 2
    finally:
        services_of(restarted).close()


def test_cli_show_and_regenerate(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"JESIGN_MOCK_PUBLIC_BASE_URL": BASE}
    shown = runner.invoke(mock_cli, ["pki", "show", "--data-dir", str(tmp_path)], env=env)
    assert shown.exit_code == 0, shown.output
    assert "generation 1" in shown.output
    assert "organizationIdentifier=" in shown.output  # attribute names, not OIDs (2.5.4.97=)
    assert "2.5.4." not in shown.output
    root_pem = (tmp_path / "pki" / "root.pem").read_bytes()

    refused = runner.invoke(mock_cli, ["pki", "regenerate", "--data-dir", str(tmp_path)], input="n\n", env=env)
    assert refused.exit_code == 1
    assert (tmp_path / "pki" / "root.pem").read_bytes() == root_pem

    done = runner.invoke(mock_cli, ["pki", "regenerate", "--yes", "--data-dir", str(tmp_path)], env=env)
    assert done.exit_code == 0, done.output
    assert "generation 2" in done.output
    assert (tmp_path / "pki" / "root.pem").read_bytes() != root_pem


def test_private_keys_are_sealed_at_rest(tmp_path: Path) -> None:
    app = _app(tmp_path)
    services = services_of(app)
    record = issue_person(services)
    key = services.pki.signing_key(record.id)
    services.close()
    plain = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    with sqlite3.connect(tmp_path / "mock.sqlite3") as db:
        blobs = [row[0] for row in db.execute("SELECT encrypted_pkcs8 FROM provider_keys")]
    assert len(blobs) == 7  # six for the hierarchy, one for the subscriber
    assert all(plain not in blob and plain[-32:] not in blob for blob in blobs)


def test_wrong_secret_cannot_open_keys(tmp_path: Path) -> None:
    app = _app(tmp_path, secret_key="the-first-secret-value")
    services_of(app).pki.hierarchy()
    services_of(app).close()
    with pytest.raises(KeyDecryptionError):
        _app(tmp_path, secret_key="another-secret-value!").extensions["jesign_mock"].pki.hierarchy()


def test_vault_opens_each_key_once() -> None:
    vault = KeyVault(b"0123456789abcdef")
    sealed_rows: dict[str, bytes] = {}

    class _Session:
        def add(self, row: object) -> None:
            sealed_rows[row.id] = row.encrypted_pkcs8  # type: ignore[attr-defined]

        def flush(self) -> None:
            pass

        def get(self, _model: object, key_id: str) -> object:
            return type("Row", (), {"encrypted_pkcs8": sealed_rows[key_id]})()

    from datetime import UTC, datetime

    key_id, key = vault.create(_Session(), "rsa-2048", datetime.now(UTC))  # type: ignore[arg-type]
    assert vault.load(_Session(), key_id) is key  # type: ignore[arg-type]
    fresh = KeyVault(b"0123456789abcdef")
    opened = fresh.load(_Session(), key_id)  # type: ignore[arg-type]
    assert opened is fresh.load(_Session(), key_id)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="16 bytes"):
        KeyVault(b"short")
