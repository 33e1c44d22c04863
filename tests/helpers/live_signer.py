"""Marie, registered and logged in through the SDK, on a mock of her own served over HTTP: for the test modules
that sign a lot and share her (registering takes longer than signing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from jesign_sdk import Client, MockOutboxOtpSource
from mock_provider.core.clock import ManualClock
from tests.helpers.mock import LiveMock, served
from tests.helpers.registration import MARIE_MOBILE, register_to_active


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
    with served(ManualClock(datetime.now(UTC))) as live:
        register_to_active(live.app.test_client())
        client = Client(live.url)
        client.login_with_hint("marie.dupont")
        yield Signer(live, client, MockOutboxOtpSource(client.requestor, MARIE_MOBILE))
