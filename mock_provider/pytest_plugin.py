"""pytest plugin (entry point ``jesign``): the mock in-process, for integrators' own tests.

Installed with jesign, it gives every test suite of the environment these fixtures (they need ``pip install
'jesign[mock]'``):

- ``jesign_mock_server`` (session): the mock served over HTTP by a threaded server on a free loopback port, with
  an in-memory database. Its ``url`` is the base URL to give :class:`jesign_sdk.Client`.
- ``jesign_mock`` (function): the same server, reset to its seed before the test (no registration, message,
  token or fault left by another test; the clock back to real time).
- ``jesign_client`` (function): a factory of SDK clients already logged in: ``jesign_client("marie.dupont")``.
  Their clock is the mock's (:attr:`MockServer.clock`), so that a test may move it: the login, the id_token's
  checks and validation follow.
- ``jesign_webhook_receiver`` (function): a :class:`jesign_sdk.webhook_receiver.WebhookReceiver` on a free
  loopback port, recording the webhooks it gets and answering 500 on demand (``fail_next``). It needs the SDK
  only, not the mock. The served mock sends its webhooks from a background thread.

::

    def test_my_integration(jesign_mock, jesign_client):
        client = jesign_client("marie.dupont")
        assert client.registration.status().next_action == "confirm_profile"

Importing this module needs only pytest: the mock (Flask, SQLAlchemy) is imported when a fixture is first used,
so a project that installed the SDK alone is not broken by the plugin's presence. There, a test that uses a
fixture ends in error with one line naming the install command.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask

    from jesign_sdk import Client, ServerClock
    from jesign_sdk.webhook_receiver import WebhookReceiver
    from mock_provider.core.services import MockServices


@dataclass
class MockServer:
    """The mock served on ``url``; ``app`` and ``services`` give the in-process view for assertions."""

    url: str
    app: Flask

    @property
    def services(self) -> MockServices:
        from mock_provider.app import services_of

        return services_of(self.app)

    @property
    def clock(self) -> ServerClock:
        """The mock's clock, as its answers tell it: give it to your own clients, ``Client(url, clock=...)``."""
        from jesign_sdk import ServerClock

        return ServerClock(self.url)

    def reset(self) -> None:
        """Back to the seed, with no fault and the clock back to real time."""
        client = self.app.test_client()
        client.post("/_mock/reset")
        client.delete("/_mock/faults")


@pytest.fixture(scope="session")
def jesign_mock_server() -> Iterator[MockServer]:
    from mock_provider.extra import missing_message

    message = missing_message("jesign's pytest fixtures (jesign_mock, jesign_client)")
    if message is not None:
        pytest.fail(message, pytrace=False)
    from mock_provider import create_app
    from mock_provider.app import services_of
    from mock_provider.dev_server import make_server

    holder: dict[str, Any] = {}

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server = make_server(dispatch)
    url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        {"database_url": "sqlite:///:memory:", "public_base_url": url, "secret_key": "jesign-pytest-plugin-secret"}
    )
    holder["app"] = app
    services_of(app).webhooks.start_sender()
    thread = threading.Thread(target=server.serve_forever, name="jesign-mock", daemon=True)
    thread.start()
    try:
        yield MockServer(url, app)
    finally:
        server.shutdown()
        thread.join(5)
        services_of(app).close()


@pytest.fixture
def jesign_mock(jesign_mock_server: MockServer) -> MockServer:
    jesign_mock_server.reset()
    return jesign_mock_server


@pytest.fixture
def jesign_client(jesign_mock: MockServer) -> Callable[..., Client]:
    from jesign_sdk import Client

    def make(login: str = "marie.dupont", **options: Any) -> Client:
        options.setdefault("clock", jesign_mock.clock)
        client = Client(jesign_mock.url, **options)
        client.login_with_hint(login)
        return client

    return make


@pytest.fixture
def jesign_webhook_receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on a free loopback port (the SDK's, independent of the mock), closed after the test."""
    from jesign_sdk.webhook_receiver import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver
