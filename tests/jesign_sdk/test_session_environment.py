"""The SDK's default HTTP session reads the environment's proxy and CA settings once per origin, as requests would."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from jesign_sdk._requestor import Requestor, Session

URLS = ("http://127.0.0.1:8400/sso/token", "https://provider.example/trust/v1/x", "http://internal.example/a")


def settings(session: requests.Session, url: str, **given: Any) -> dict[str, Any]:
    v = {"proxies": {}, "stream": None, "verify": None, "cert": None, **given}
    return session.merge_environment_settings(url, v["proxies"], v["stream"], v["verify"], v["cert"])


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"HTTP_PROXY": "http://proxy.example:3128", "HTTPS_PROXY": "http://proxy.example:3129"},
        {"HTTPS_PROXY": "http://proxy.example:3129", "NO_PROXY": "127.0.0.1,internal.example"},
        {"ALL_PROXY": "socks5://proxy.example:1080", "REQUESTS_CA_BUNDLE": "/etc/ssl/bundle.pem"},
        {"CURL_CA_BUNDLE": "/etc/ssl/curl.pem"},
    ],
)
def test_the_settings_are_those_requests_would_use(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    ours, theirs = Session(), requests.Session()
    for url in URLS:
        for _ in range(2):  # the first call reads the environment, the second the settings kept
            assert settings(ours, url) == settings(theirs, url)
        explicit = {"proxies": {"http": "http://mine.example:1"}, "verify": False, "stream": True}
        assert settings(ours, url, **explicit) == settings(theirs, url, **explicit)
    ours.verify = "/etc/ssl/session.pem"  # the session's own settings still apply, when changed afterwards
    theirs.verify = "/etc/ssl/session.pem"
    assert settings(ours, URLS[1]) == settings(theirs, URLS[1])


def test_the_environment_is_read_once_per_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []
    real = requests.utils.get_environ_proxies

    def counting(url: str, no_proxy: str | None = None) -> dict[str, str]:
        looked_up.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.utils, "get_environ_proxies", counting)
    session = Session()
    for path in ("/a", "/b", "/c"):
        settings(session, f"http://127.0.0.1:8400{path}")
    settings(session, "https://provider.example/x")
    assert looked_up == ["http://127.0.0.1:8400/a", "https://provider.example/x"]
    session.trust_env = False  # as requests: nothing from the environment
    assert settings(session, "http://127.0.0.1:8400/d")["proxies"] == {}


def test_the_requestor_uses_it_unless_given_a_session() -> None:
    assert isinstance(Requestor(None).session, Session)
    mine = requests.Session()
    assert Requestor(None, session=mine).session is mine
