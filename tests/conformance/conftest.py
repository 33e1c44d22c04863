"""The mock served for the conformance suite, through the suite's own in-process server (``serve_wsgi``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance import serve_wsgi
from mock_provider import create_app
from mock_provider.app import services_of
from tests.helpers.browser import chromium  # noqa: F401 - the screen tests' Chromium, for the HTML report's filters
from tests.helpers.mock import memory_config


@pytest.fixture(scope="session")
def mock_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One mock for the session (each plan run resets it); its URL.

    On an SQLite file, as ``jesign-mock serve`` runs by default: an in-memory database serialises every
    transaction of the process, which would hide the races that the concurrency plan must catch.
    """
    apps = []
    database = tmp_path_factory.mktemp("conformance-mock") / "mock.sqlite3"

    def factory(url: str) -> object:
        app = create_app(memory_config(public_base_url=url, database_url=f"sqlite:///{database}"))
        apps.append(app)
        return app

    with serve_wsgi(factory=factory) as url:
        yield url
    for app in apps:
        services_of(app).close()
