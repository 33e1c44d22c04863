"""What the trust provider's services share: storage, the clock, the PKI, the settings and the SMS-code policy."""

from __future__ import annotations

import hashlib
from datetime import datetime

from mock_provider.config import MockConfig
from mock_provider.core import otp
from mock_provider.core.clock import Clock
from mock_provider.core.pki.authority import Pki
from mock_provider.core.storage import Database


class TrustService:
    """Base of the registration (:class:`Registrations`) and remote signing (:class:`Signing`) services."""

    def __init__(self, db: Database, clock: Clock, pki: Pki, config: MockConfig, secret: bytes) -> None:
        self.db = db
        self.clock = clock
        self.pki = pki
        self.breakages = pki.breakages
        self.config = config
        self.otp_key = otp.key_from_secret(secret)
        self.otp_policy = otp.OtpPolicy.from_config(config)

    def _now(self) -> datetime:
        """The mock clock's instant, to the second (what certificates, codes and events record)."""
        return self.clock.now().replace(microsecond=0)


def token_digest(token: str) -> str:
    """How a bearer secret (a session token, a SAD) is kept: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()
