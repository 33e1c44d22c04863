"""The rule-breakage switches' mechanism: declared, listed, switched on by setting or control plane, reset."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask

import mock_provider
from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.config import ConfigError, load_config
from mock_provider.core.clock import ManualClock
from mock_provider.core.misbehaviour import catalogue
from mock_provider.core.misbehaviour.switch import Breakage, declare
from tests.helpers.mock import memory_config

PROBE = Breakage("probe_rule", rule="A probe rule for these tests.", check="tests.probe")


@pytest.fixture(autouse=True)
def probe_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalogue.CATALOGUE, PROBE.id, PROBE)


@pytest.fixture
def configured_app(clock: ManualClock) -> Iterator[Flask]:
    app = create_app(memory_config(breakages=("probe_rule",)), clock=clock)
    yield app
    services_of(app).close()


def test_declaring_twice_is_refused() -> None:
    first, second = ModuleType("first_area"), ModuleType("second_area")
    first.PROBE = PROBE  # type: ignore[attr-defined]
    second.AGAIN = declare(PROBE.id, rule="again.", check="again.again")  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="declared twice"):
        catalogue.collect([first, second])


def test_every_switch_is_declared_in_one_home() -> None:
    """No switch is declared outside the rule areas' modules, which the catalogue lists without walking the package."""
    package = Path(mock_provider.__file__).parent
    areas = package / "core" / "misbehaviour" / "areas"
    declared_elsewhere = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.parent != areas
        and re.search(r"\bdeclare\(", path.read_text(encoding="utf-8"))
        and path.name != "switch.py"
    ]
    assert declared_elsewhere == []
    assert {path.stem for path in areas.glob("*.py")} - {"__init__"} == {
        area.__name__.rpartition(".")[2] for area in catalogue.AREAS
    }
    declared = [value for area in catalogue.AREAS for value in vars(area).values() if isinstance(value, Breakage)]
    assert len(declared) == len(catalogue.CATALOGUE) - 1  # all but the probe of these tests


def test_one_guard_style() -> None:
    """A switch is asked one way, ``SWITCH in breakages`` (or ``not in``): no id compared, no helper of one's own."""
    package = Path(mock_provider.__file__).parent
    other_styles = re.compile(r"\.id (not )?in (broken|breakages|active)\b|\.any_of\(|\b_broken\(breakages")
    offending = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in package.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if other_styles.search(line)
    ]
    assert offending == []


def test_every_declared_switch_names_its_rule_and_check() -> None:
    for breakage in catalogue.CATALOGUE.values():
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
