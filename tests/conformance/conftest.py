"""The mock served for the conformance suite, through the suite's own in-process server (``serve_wsgi``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance import serve_wsgi
from mock_provider import create_app
from mock_provider.app import services_of
from tests.conftest import memory_config


@pytest.fixture(scope="session")
def mock_url() -> Iterator[str]:
    """One mock for the session (each plan run resets it); its URL."""
    apps = []

    def factory(url: str) -> object:
        app = create_app(memory_config(public_base_url=url))
        apps.append(app)
        return app

    with serve_wsgi(factory=factory) as url:
        yield url
    for app in apps:
        services_of(app).close()
