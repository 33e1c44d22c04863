"""jesign's mock provider: one Flask app that plays every remote party (SSO, platform, trust provider, PKI).

NOT FOR PRODUCTION: its certificates come from a TEST hierarchy and its keys are kept by the mock itself.

It needs jesign's ``mock`` extra (``pip install 'jesign[mock]'``). Importing this package needs nothing of it: the
public names are imported on first use, so that the pytest plugin (:mod:`mock_provider.pytest_plugin`) and
``jesign-mock`` (:mod:`mock_provider.cli`) load in an environment with the SDK alone, and say what to install
there (:mod:`mock_provider.extra`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_provider.app import create_app
    from mock_provider.config import MockConfig, load_config

#: Where each public name lives, imported on first use.
_HOMES = {"create_app": "app", "MockConfig": "config", "load_config": "config"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mock_provider' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mock_provider.{home}"), name)
    globals()[name] = value
    return value


__all__ = ["MockConfig", "create_app", "load_config"]
