"""The rule-breakage switches' mechanism: declared, listed, switched on by setting or control plane, reset."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.config import ConfigError, load_config
from mock_provider.core import breakages
from mock_provider.core.breakages import Breakage
from mock_provider.core.clock import ManualClock
from tests.helpers.mock import memory_config

PROBE = Breakage("probe_rule", rule="A probe rule for these tests.", check="tests.probe")


@pytest.fixture(autouse=True)
def probe_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(breakages.CATALOGUE, PROBE.id, PROBE)


@pytest.fixture
def configured_app(clock: ManualClock) -> Iterator[Flask]:
    app = create_app(memory_config(breakages=("probe_rule",)), clock=clock)
    yield app
    services_of(app).close()


def test_declaring_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        breakages.declare(PROBE.id, rule="again", check="again")


def test_every_declared_switch_names_its_rule_and_check() -> None:
    for breakage in breakages.CATALOGUE.values():
        assert breakage.rule.endswith("."), breakage
        assert "." in breakage.check, breakage


def test_switches_are_off_by_default_and_listed(client) -> None:
    body = client.get("/_mock/breakages").get_json()
    assert body["active"] == []
    assert body["configured"] == []
    assert {"id": "probe_rule", "rule": PROBE.rule, "check": "tests.probe"} in body["data"]
    assert PROBE not in services_of(client.application).breakages


def test_control_plane_turns_switches_on_and_off(client) -> None:
    assert client.put("/_mock/breakages", json={"active": ["probe_rule"]}).get_json()["active"] == ["probe_rule"]
    assert PROBE in services_of(client.application).breakages
    assert client.delete("/_mock/breakages").status_code == 204
    assert PROBE not in services_of(client.application).breakages


def test_unknown_switch_is_refused_and_changes_nothing(client) -> None:
    client.put("/_mock/breakages", json={"active": ["probe_rule"]})
    answer = client.put("/_mock/breakages", json={"active": ["probe_rule", "no_such_rule"]})
    assert answer.status_code == 400
    assert answer.get_json()["code"] == "unknown_breakage"
    assert client.get("/_mock/breakages").get_json()["active"] == ["probe_rule"]
    bad = client.put("/_mock/breakages", json={"active": "probe_rule"})
    assert bad.status_code == 400
    assert bad.get_json()["code"] == "invalid_breakages"


def test_reset_turns_stored_switches_off(client) -> None:
    client.put("/_mock/breakages", json={"active": ["probe_rule"]})
    assert client.post("/_mock/reset").status_code == 200
    assert client.get("/_mock/breakages").get_json()["active"] == []


def test_configured_switches_stay_on(configured_app: Flask) -> None:
    client = configured_app.test_client()
    assert client.delete("/_mock/breakages").status_code == 204
    body = client.get("/_mock/breakages").get_json()
    assert body["active"] == ["probe_rule"]
    assert body["configured"] == ["probe_rule"]


def test_setting_reads_a_comma_separated_list() -> None:
    config = load_config(environ={"JESIGN_MOCK_BREAKAGES": "probe_rule, other_rule"})
    assert config.breakages == ("probe_rule", "other_rule")


@pytest.mark.slow
def test_a_switch_of_the_sso_can_be_configured(tmp_path: Path) -> None:
    """The SSO's switches are declared when its blueprint is imported: with the app, before the setting is checked.

    In a fresh interpreter, so that no other test has imported the SSO's modules first."""
    script = (
        "from mock_provider import create_app\n"
        f"app = create_app({{'database_url': 'sqlite:///:memory:', 'secret_key': 'x' * 32, "
        f"'data_dir': {str(tmp_path)!r}, 'breakages': ['skip_pkce', 'id_token_alg_none']}})\n"
        "from mock_provider.app import services_of\n"
        "print(sorted(services_of(app).breakages.active()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['id_token_alg_none', 'skip_pkce']"


def test_unknown_configured_switch_stops_the_start(clock: ManualClock) -> None:
    with pytest.raises(ConfigError, match="no_such_rule"):
        create_app(memory_config(breakages=("no_such_rule",)), clock=clock)
