"""WSGI entry point for production servers.

``jesign-mock serve`` runs granian on :func:`app_from_environment`; any WSGI server can do the same, e.g.
``granian --interface wsgi --factory mock_provider.wsgi:app_from_environment``. The configuration comes from
``JESIGN_MOCK_*`` variables and the file named by ``JESIGN_MOCK_CONFIG``; ``serve`` hands its worker processes
the configuration it resolved, so that they all run with the same settings.
"""

from __future__ import annotations

import json
import os
from pathlib import PurePath

from flask import Flask

from mock_provider.app import create_app
from mock_provider.config import MockConfig, load_config

#: Set by ``jesign-mock serve`` for its workers: the resolved configuration as JSON.
RESOLVED_CONFIG_VARIABLE = "_JESIGN_MOCK_SERVE_CONFIG"


def app_from_environment() -> Flask:
    resolved = os.environ.get(RESOLVED_CONFIG_VARIABLE)
    config = load_config(json.loads(resolved), environ={}) if resolved else load_config()
    return create_app(config)


def resolved_config_json(config: MockConfig) -> str:
    """The configuration as JSON that :func:`app_from_environment` reads back unchanged."""
    from dataclasses import asdict

    return json.dumps({k: str(v) if isinstance(v, PurePath) else v for k, v in asdict(config).items()})
