"""Marie, registered and logged in through the SDK, on a mock of her own served over HTTP: for the test modules
that sign a lot and share her (registering takes longer than signing)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from jesign_sdk import Client, MockOutboxOtpSource
from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.dev_server import make_server
from tests.conftest import LiveMock, _Deferred, memory_config
from tests.mock_provider.registration_helpers import register_to_active

MARIE_MOBILE = "+33612345678"


@dataclass
class Signer:
    live: LiveMock
    client: Client
    otp: MockOutboxOtpSource

    def csc_calls(self) -> int:
        history = requests.get(f"{self.live.url}/_mock/requests", params={"limit": 1000}, timeout=10).json()["data"]
        return sum("/trust/csc/" in r["path"] for r in history)

    def sms(self) -> int:
        outbox = requests.get(f"{self.live.url}/_mock/outbox", params={"channel": "sms"}, timeout=10).json()["data"]
        return len(outbox)


@contextmanager
def served_signer() -> Iterator[Signer]:
    """Marie on a mock of her own (its clock runs with the wall clock), until the block ends."""
    deferred = _Deferred()
    server = make_server(deferred)
    clock = ManualClock(datetime.now(UTC))
    deferred.app = create_app(memory_config(public_base_url=f"http://127.0.0.1:{server.server_port}"), clock=clock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        register_to_active(deferred.app.test_client())
        client = Client(f"http://127.0.0.1:{server.server_port}")
        client.login_with_hint("marie.dupont")
        yield Signer(LiveMock(deferred.app, server), client, MockOutboxOtpSource(client.requestor, MARIE_MOBILE))
    finally:
        server.shutdown()
        thread.join(5)
        services_of(deferred.app).close()
