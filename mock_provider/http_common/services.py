"""The core services of the app that is answering the request, for any blueprint (APIs, SSO, screens)."""

from __future__ import annotations

from flask import current_app

from mock_provider.core.services import MockServices

#: Where the app factory keeps the core services (``app.extensions[EXTENSION]``).
EXTENSION = "jesign_mock"


def services() -> MockServices:
    """The :class:`~mock_provider.core.services.MockServices` of the current app (inside a request or app context)."""
    found: MockServices = current_app.extensions[EXTENSION]
    return found
