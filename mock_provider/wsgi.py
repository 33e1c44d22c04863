"""WSGI entry point for other WSGI servers.

``jesign-mock serve`` runs the app under waitress with the mock's limits (see :mod:`mock_provider.server`). To run it
under another WSGI server, give that server :func:`app_from_environment` as an application factory, e.g.
``waitress-serve --call mock_provider.wsgi:app_from_environment``; the configuration then comes from
``JESIGN_MOCK_*`` variables and the file named by ``JESIGN_MOCK_CONFIG``. Timeouts and body limits are then that
server's business.
"""

from __future__ import annotations

from flask import Flask

from mock_provider.app import create_app
from mock_provider.config import load_config


def app_from_environment() -> Flask:
    """The mock's app, configured from the environment (defaults, ``JESIGN_MOCK_CONFIG``, ``JESIGN_MOCK_*``)."""
    return create_app(load_config())
