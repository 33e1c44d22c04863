"""The mock as the tests run it: its test configuration, served over HTTP on a loopback port, and a session's pool
of apps handed out as new.

Building an app (schema, seed, PKI hierarchy) costs about 240 ms, and a served one adds a server thread.
:class:`AppPool` builds each configuration once per test session (per xdist worker), copies its storage as built
(:mod:`tests.helpers.snapshot`), and before each test that asks for it copies that back (about a millisecond):
the seed's people, firms, delegations and clients, the PKI hierarchy and nothing else, as a new app has; and
freezes the clock at the current instant. What is not in storage is the app's own: its configuration, its secret,
its caches (they follow the storage's revision counters, which a restore moves forward). A test that needs an app
nobody else touches (a restart on the same database, ``control_plane=False``) builds its own with
:func:`memory_config` or :func:`served`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.services import MockServices
from mock_provider.dev_server import make_server
from tests.helpers import snapshot
from tests.helpers.registration import register_to_active, sso_login

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


def frozen_now(clock: ManualClock) -> ManualClock:
    """Freeze ``clock`` at the real current instant (whole seconds, so never ahead of the wall clock), so that tools
    that read the wall clock (openssl) agree with it."""
    clock.set(datetime.now(UTC).replace(microsecond=0), frozen=True)
    return clock


class LiveMock:
    """The mock served over real HTTP by a threaded WSGI server on 127.0.0.1."""

    def __init__(self, app: Flask, server: BaseWSGIServer) -> None:
        self.app = app
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"

    @property
    def services(self) -> MockServices:
        return services_of(self.app)


class Deferred:
    """Lets the server bind its port before the app exists, since the app writes its URL into certificates."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


@contextmanager
def served(clock: ManualClock, **overrides: Any) -> Iterator[LiveMock]:
    """A new mock of the test configuration (with ``overrides``), served on a free loopback port until the block
    ends, then its port closed; its public base URL is its own unless ``overrides`` say otherwise."""
    deferred = Deferred()
    server = make_server(deferred)
    config = memory_config(**{"public_base_url": f"http://127.0.0.1:{server.server_port}", **overrides})
    deferred.app = create_app(config, clock=clock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveMock(deferred.app, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        services_of(deferred.app).close()


class AppPool:
    """The session's apps, one per configuration, each handed out as new (see the module's docstring)."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self._apps: dict[str, Flask] = {}
        self._live: dict[str, tuple[LiveMock, Any]] = {}
        #: Each app's storage as it was built (by id of the app), and the ready states taken by :meth:`registered`.
        self._built: dict[int, sqlite3.Connection] = {}
        self._snapshots: dict[tuple[int, str, str], sqlite3.Connection] = {}

    def app(self, **overrides: Any) -> Flask:
        """The in-process app of the test configuration with ``overrides``, as new."""
        key = repr(sorted(overrides.items()))
        app = self._apps.get(key)
        if app is None:
            app = self._apps[key] = create_app(memory_config(**overrides), clock=self.clock)
            self._built[id(app)] = snapshot.take(services_of(app).db)
        self.renew(app)
        return app

    def live(self, **overrides: Any) -> LiveMock:
        """The served app of the test configuration with ``overrides`` (its base URL its own), as new."""
        key = repr(sorted(overrides.items()))
        if key not in self._live:
            serving = served(self.clock, **overrides)
            live = serving.__enter__()
            self._live[key] = (live, serving)
            self._built[id(live.app)] = snapshot.take(live.services.db)
        live = self._live[key][0]
        self.renew(live.app)
        return live

    def renew(self, app: Flask) -> None:
        """Put a pool's ``app`` back as it was built, and the clock frozen at the current instant."""
        snapshot.restore(services_of(app).db, self._built[id(app)])
        frozen_now(self.clock)

    def registered(self, app: Flask, login: str = "marie.dupont", mobile: str = "0612345678") -> str:
        """Make ``login`` registered and active on ``app`` (a pool's app): the first time by walking the
        registration from the app as built, then by restoring the snapshot taken after that walk. Answers a fresh
        SSO access token of ``login``. Whatever the test did on ``app`` before is gone."""
        key = (id(app), login, mobile)
        db = services_of(app).db
        taken = self._snapshots.get(key)
        if taken is None:
            self.renew(app)
            token = register_to_active(app.test_client(), login, mobile)
            self._snapshots[key] = snapshot.take(db)
            return token
        snapshot.restore(db, taken)
        return sso_login(app.test_client(), login)

    def close(self) -> None:
        for taken in [*self._built.values(), *self._snapshots.values()]:
            taken.close()
        for _, serving in self._live.values():
            serving.__exit__(None, None, None)
        for app in self._apps.values():
            services_of(app).close()
