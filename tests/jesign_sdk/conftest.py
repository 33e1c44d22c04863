"""Fixtures of the SDK's tests."""

from __future__ import annotations

from typing import Any

import pytest
import requests


@pytest.fixture
def cli_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser of the CLI's login: follows the SSO's redirect to the loopback listener."""

    def open_url(url: str, *args: Any, **kwargs: Any) -> bool:
        assert requests.get(url, timeout=10).status_code == 200
        return True

    monkeypatch.setattr("webbrowser.open", open_url)
