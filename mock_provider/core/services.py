"""Wiring of the core: one :class:`MockServices` per app holds the config, clock, storage and PKI services.

Framework-free: the Flask app keeps one in ``app.extensions["jesign_mock"]``, and scripts (the CLI, benchmarks)
build one directly with :func:`build_services`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from mock_provider.config import ConfigError, MockConfig
from mock_provider.core.accounts import apply_seed, directory_is_empty, load_seed
from mock_provider.core.clock import Clock, StoredClock
from mock_provider.core.id_validations import IdValidations
from mock_provider.core.misbehaviour.catalogue import unknown
from mock_provider.core.misbehaviour.switches import Breakages
from mock_provider.core.pki.authority import Pki
from mock_provider.core.pki.crl import CrlPublisher
from mock_provider.core.pki.keys import KeyVault
from mock_provider.core.pki.ocsp import OcspResponder
from mock_provider.core.pki.tsa import TimeStampAuthority
from mock_provider.core.registration import Registrations
from mock_provider.core.seals import Seals
from mock_provider.core.signing import Signing
from mock_provider.core.storage import Database
from mock_provider.core.transactions.service import Transactions
from mock_provider.core.webhooks.service import Webhooks


@dataclass
class MockServices:
    config: MockConfig
    clock: Clock
    db: Database
    pki: Pki
    ocsp: OcspResponder
    crl: CrlPublisher
    tsa: TimeStampAuthority
    registrations: Registrations
    signing: Signing
    id_validations: IdValidations
    seals: Seals
    transactions: Transactions
    breakages: Breakages
    webhooks: Webhooks
    #: The secret that keys are sealed under; other keys (OTP HMAC, SSO sessions) are derived from it.
    secret: bytes

    def close(self) -> None:
        self.webhooks.stop_sender()
        self.db.dispose()


def build_services(config: MockConfig, *, clock: Clock | None = None) -> MockServices:
    """Open storage (creating the schema and the data folder if needed) and build every core service.

    The PKI hierarchy is not generated here but on first use, or by :meth:`Pki.hierarchy` at server start.
    """
    if config.uses_data_dir:
        config.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(config.resolved_database_url)
    db.create_schema()
    clock = clock or StoredClock(db)
    if isinstance(clock, StoredClock):
        db.hot_counters.update(StoredClock.COUNTERS)  # read on every request
    with db.transaction() as session:
        if directory_is_empty(session):
            apply_seed(session, load_seed(config.seed_file), clock.now())
    secret = _secret(config)
    vault = KeyVault(secret)
    if missing := unknown(config.breakages):
        raise ConfigError(f"breakages: unknown switch {', '.join(missing)}")
    pki = Pki(db, vault, clock, config, Breakages(db, config.breakages))
    pki.hierarchy()  # generated now on first start, so that no later transaction has to
    signing = Signing(db, clock, pki, config, secret)
    return MockServices(
        config=config,
        clock=clock,
        db=db,
        pki=pki,
        ocsp=OcspResponder(pki, clock, timedelta(seconds=config.ocsp_validity_seconds)),
        crl=CrlPublisher(pki, clock, timedelta(seconds=config.crl_validity_seconds)),
        tsa=TimeStampAuthority(pki, clock, config.tsa_accuracy_seconds),
        registrations=Registrations(db, clock, pki, config, secret),
        signing=signing,
        id_validations=IdValidations(db, clock, pki.breakages, max_document_bytes=config.max_document_bytes),
        seals=Seals(db, clock, pki, signing),
        transactions=Transactions(db, clock, pki.breakages),
        breakages=pki.breakages,
        webhooks=Webhooks(db, clock, vault, pki.breakages),
        secret=secret,
    )


def _secret(config: MockConfig) -> bytes:
    """The key-encryption secret: configured, or kept in the data folder (created with mode 0600)."""
    if config.secret_key is not None:
        return config.secret_key.encode()
    if config.resolved_database_url.endswith(":memory:"):
        return secrets.token_bytes(32)  # nothing outlives the process, so neither need the secret
    path = Path(config.data_dir) / "secret.key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value + b"\n")
    return value
