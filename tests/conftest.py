"""Fixtures of the whole suite: the session's apps, in memory and served, each handed out as new.

``app``, ``client``, ``services`` and ``live_mock`` come from :class:`tests.helpers.mock.AppPool`: built once per
worker, their storage copied back as built before each test (about a millisecond, against about 240 ms to build
one). ``registered`` makes an accountant registered and active on such an app from a snapshot. A test that needs
an app of its own builds it with ``create_app(memory_config(...), clock=clock)`` or
:func:`tests.helpers.mock.served`. Helpers live in :mod:`tests.helpers`: import them from there, never from a
conftest or a test module.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.services import MockServices
from tests.helpers.mock import POSTGRES_SERVER_URL, AppPool, LiveMock, frozen_now

#: Fixtures that serve the mock over HTTP or drive Chromium: a test that uses one is marked ``live`` or ``browser``
#: (the fast lane, ``make test-fast``, leaves them out), whether or not its module says so.
LIVE_FIXTURES = frozenset({"live_mock", "serve", "realistic_live", "mock_url", "jesign_mock", "jesign_mock_server"})
BROWSER_FIXTURES = frozenset({"chromium", "page"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & LIVE_FIXTURES:
            item.add_marker(pytest.mark.live)
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def app_pool() -> Iterator[AppPool]:
    pool = AppPool(ManualClock())
    yield pool
    pool.close()


@pytest.fixture
def clock(app_pool: AppPool) -> ManualClock:
    """The session's clock, frozen at the real current instant, so that tools that read the wall clock (openssl)
    agree with it. The pool's apps read it; so does an app a test builds with it."""
    return frozen_now(app_pool.clock)


@pytest.fixture
def app(app_pool: AppPool, clock: ManualClock) -> Flask:
    return app_pool.app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def services(app: Flask) -> MockServices:
    return services_of(app)


@pytest.fixture
def live_mock(app_pool: AppPool, clock: ManualClock) -> LiveMock:
    return app_pool.live()


@pytest.fixture
def registered(app_pool: AppPool) -> Callable[..., str]:
    """``registered(app, login="marie.dupont", mobile="0612345678")``: the accountant registered and active on the
    pool's ``app`` (restored from a snapshot after the first walk); answers a fresh access token. Use it first in the
    test: what the test did on that app before is gone."""
    return app_pool.registered


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
