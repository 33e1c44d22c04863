"""The person's certificates, as the platform has them from the trust provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jesign_sdk._models import IssuedCertificate

if TYPE_CHECKING:
    from jesign_sdk._client import Client


class Certificates:
    """``client.certificates``."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def current(self) -> IssuedCertificate:
        """The certificate issued at the end of the registration (404 :class:`NotFoundError` before that)."""
        return self._client.platform("GET", "/registration/certificate", parse=IssuedCertificate.from_json)
