"""Shared fixtures: the mock app in memory, and the mock served over HTTP on a loopback port."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import BaseWSGIServer

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.services import MockServices
from mock_provider.dev_server import make_server

#: A PostgreSQL server where the test user may create databases (``.ci/run`` starts one and sets it).
POSTGRES_SERVER_URL = os.environ.get("JESIGN_TEST_POSTGRES_URL")

#: A base URL that looks public, so that linters accept the URLs written into certificates.
PUBLIC_BASE_URL = "http://pki.jesign-mock.example.com"
TEST_SECRET = "test-secret-of-at-least-16-bytes"


def memory_config(**overrides: Any) -> dict[str, Any]:
    return {
        "database_url": "sqlite:///:memory:",
        "secret_key": TEST_SECRET,
        "public_base_url": PUBLIC_BASE_URL,
        **overrides,
    }


@pytest.fixture
def clock() -> ManualClock:
    """Frozen at the real current instant, so that tools that read the wall clock (openssl) agree with it."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0), frozen=True)


@pytest.fixture
def app(clock: ManualClock) -> Iterator[Flask]:
    app = create_app(memory_config(), clock=clock)
    yield app
    services_of(app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def services(app: Flask) -> MockServices:
    return services_of(app)


class LiveMock:
    """The mock served over real HTTP by a threaded WSGI server on 127.0.0.1."""

    def __init__(self, app: Flask, server: BaseWSGIServer) -> None:
        self.app = app
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"

    @property
    def services(self) -> MockServices:
        return services_of(self.app)


class _Deferred:
    """Lets the server bind its port before the app exists, since the app writes its URL into certificates."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


@pytest.fixture
def live_mock(clock: ManualClock) -> Iterator[LiveMock]:
    deferred = _Deferred()
    server = make_server(deferred)
    deferred.app = create_app(memory_config(public_base_url=f"http://127.0.0.1:{server.server_port}"), clock=clock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveMock(deferred.app, server)
    finally:
        server.shutdown()
        thread.join(5)
        services_of(deferred.app).close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of the test's own, dropped afterwards (needs ``JESIGN_TEST_POSTGRES_URL``)."""
    if not POSTGRES_SERVER_URL:
        pytest.skip("no PostgreSQL server: set JESIGN_TEST_POSTGRES_URL (.ci/run starts one and sets it)")
    admin = create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    name = f"jesign_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
