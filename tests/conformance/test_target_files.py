"""Target files as the QA guide shows them: the guide's own file conforms against the mock; every key is documented and
checked (an unknown, missing or mistyped key is a usage error naming the key and the file, before any request);
a role or a party left out makes the checks that need it SKIPPED, with the reason in every report, and the run still
conforms."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance import AbsentFromTarget, CheckContext, MockHarness, Target, TargetError, check, fixture, registry
from conformance.cli import main
from conformance.http import RecordingClient
from conformance.inprocess import serve_wsgi
from conformance.results import Status
from conformance.runner import run_check
from conformance.target import ROLES
from conformance.target_file import SCHEMA, TABLE, Key, load_target, render_markdown
from tests.helpers.guide_targets import GUIDE, guide_target_file, without_table


def _write(folder: Path, text: str, name: str = "target.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the guide's files ---------------------------------------------------------------------------------------------


def test_every_target_file_of_the_guide_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 2
    for index, block in enumerate(blocks):
        for variable in re.findall(r'_env = "([A-Z_]+)"', block):
            monkeypatch.setenv(variable, f"secret-of-{variable}")
        target = load_target(_write(tmp_path, block, f"block{index}.toml"))
        assert target.account("accountant").login


def test_the_guide_s_target_file_is_the_mock_s_layout(tmp_path: Path) -> None:
    """The file and a base URL describe the same target: the guide cannot drift from what the mock serves."""
    url = "http://127.0.0.1:8555"
    path = _write(tmp_path, guide_target_file(url), "mock.toml")
    loaded = load_target(path)
    assert loaded.source == str(path)
    assert replace(loaded, name="", source="") == replace(Target.for_mock(url), name="")


def test_every_key_is_in_the_guide_s_reference() -> None:
    assert "<!-- conformance:target-keys -->" in GUIDE.read_text(encoding="utf-8")
    reference = render_markdown()

    def walk(table: Key) -> Iterator[Key]:
        for key in table.keys:
            yield key
            if key.type == TABLE and key.name != "accounts":
                yield from walk(key)

    for key in walk(SCHEMA):
        assert re.search(rf"\| `{key.name}` \| {key.type} \|", reference) or key.type == TABLE, key.name
        if key.type == TABLE:
            assert f"`[{key.name}" in reference or f".{key.name}]`" in reference, key.name
    for role in ROLES:
        assert f"`{role}`" in reference
        assert re.search(rf"^\| `{role}` \|", GUIDE.read_text(encoding="utf-8"), re.MULTILINE), role


# -- bad files -----------------------------------------------------------------------------------------------------

#: A valid file's text, edited by each case below.
BASE = guide_target_file()


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda t: t.replace('name = "jesign mock"', 'nmae = "x"'), "unknown key nmae (did you mean name?)"),
        (
            lambda t: t.replace("client_secret = ", "client_secrett = ", 1),
            "unknown key oidc.client_secrett (did you mean oidc.client_secret?)",
        ),
        (lambda t: t.replace("[accounts.outsider]", "[accounts.intern]"), "unknown key accounts.intern"),
        (
            lambda t: t + "otp_max_attemps = 3\n",
            "unknown key rules.otp_max_attemps (did you mean rules.otp_max_attempts?)",
        ),
        (lambda t: t.replace("control = ", "admin = "), "unknown key parties.admin"),
        (lambda t: re.sub(r"^sso = .*\n", "", t, flags=re.MULTILINE), "missing key parties.sso"),
        (lambda t: t.replace('redirect_uri = "http://127.0.0.1/callback"', ""), "missing key oidc.redirect_uri"),
        (lambda t: without_table(t, "accounts.accountant"), "missing table [accounts.accountant]"),
        (lambda t: t.replace('login = "chloe.bernard"', ""), "missing key accounts.collaborator.login"),
        (
            lambda t: t + 'otp_max_attempts = "5"\n',
            "rules.otp_max_attempts must be an integer, not a string",
        ),
        (lambda t: t + "otp_max_attempts = true\n", "rules.otp_max_attempts must be an integer, not a boolean"),
        (lambda t: t + "otp_max_attempts = 5.0\n", "rules.otp_max_attempts must be an integer, not a float"),
        (lambda t: t + 'levels = "lcp"\n', "rules.levels must be an array of strings, not a string"),
        (
            lambda t: t.replace('firms = ["frm_lefevre"]', "firms = [1]", 1),
            "accounts.second_accountant.firms must be an array of strings, not an array",
        ),
        (lambda t: t.replace('login = "paul.leroy"', "login = 7"), "accounts.no_mobile.login must be a string"),
        (lambda t: 'parties = "x"\n' + without_table(t, "parties"), "parties must be a table, not a string"),
        (
            lambda t: t.replace(
                'client_id = "jesign-cli"', 'client_id = "jesign-cli"\nclient_secret = "s"\nclient_secret_env = "S"'
            ),
            "oidc.second_client.client_secret and oidc.second_client.client_secret_env are both given",
        ),
        (
            lambda t: t.replace(
                'client_id = "jesign-cli"', 'client_id = "jesign-cli"\nclient_secret_env = "NOT_SET_X"'
            ),
            "oidc.second_client.client_secret_env names NOT_SET_X, which is not set",
        ),
        (lambda t: t.replace("[rules]", "[rules"), "not a TOML file"),
    ],
)
def test_a_wrong_key_is_named_with_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str], str], said: str
) -> None:
    monkeypatch.delenv("NOT_SET_X", raising=False)
    path = _write(tmp_path, edit(BASE), "sandbox.toml")
    with pytest.raises(TargetError) as raised:
        load_target(path)
    assert str(raised.value).startswith(f"{path}: "), raised.value
    assert said in str(raised.value)


def test_every_problem_is_told_at_once(tmp_path: Path) -> None:
    text = BASE.replace('name = "jesign mock"', "name = 3").replace('login = "marie.dupont"', 'logn = "m"')
    with pytest.raises(TargetError) as raised:
        load_target(_write(tmp_path, text))
    told = str(raised.value)
    assert "3 problems:" in told
    for said in (
        "name must be a string",
        "unknown key accounts.accountant.logn",
        "missing key accounts.accountant.login",
    ):
        assert f"  - {said}" in told


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A server that answers 404 to everything and records each request it gets."""
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"nothing here"]

    with serve_wsgi(app) as url:
        yield url, seen


def test_a_bad_target_file_is_a_usage_error_before_any_request(tmp_path: Path, listener: tuple[str, list[str]]) -> None:
    url, seen = listener
    path = _write(tmp_path, guide_target_file(url).replace("[rules]", "[rules]\nreview_hour = 12"), "sandbox.toml")
    result = CliRunner().invoke(main, ["run", "--target", str(path)])
    assert result.exit_code == 2, result.output
    assert "Usage: main run [OPTIONS]" in result.output  # the program name is the CLI runner's
    assert (
        f"Invalid value for '--target': {path}: unknown key rules.review_hour (did you mean rules.review_hours?)"
        in (" ".join(result.output.split()))
    )
    assert seen == []


def test_the_mock_harness_without_a_control_party_is_a_usage_error_before_any_request(
    tmp_path: Path, listener: tuple[str, list[str]]
) -> None:
    url, seen = listener
    path = _write(tmp_path, re.sub(r"^control = .*\n", "", guide_target_file(url), flags=re.MULTILINE))
    result = CliRunner().invoke(main, ["run", "--target", str(path), "--plan", "pki"])
    assert result.exit_code == 2, result.output
    assert f"the mock harness needs the 'control' party, which [parties] in {path} does not name" in " ".join(
        result.output.split()
    )
    assert "--harness interactive" in result.output
    assert seen == []


# -- what a target leaves out --------------------------------------------------------------------------------------


@pytest.fixture
def absent_checks(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A throwaway plan whose checks need a role or a party the target leaves out, directly or through a fixture."""
    monkeypatch.setattr(registry, "CHECKS", dict(registry.discover()))
    calls: list[str] = []

    @fixture
    def collaborator_fixture(ctx: CheckContext) -> str:
        calls.append("fixture")
        return ctx.target.account("collaborator").login

    @check("selftest.absent.role", title="logs a role in", cites=("test",))
    def role(ctx: CheckContext) -> None:
        ctx.login("collaborator")
        raise AssertionError("never reached")

    @check("selftest.absent.fixture_first", title="through a fixture", cites=("test",))
    def first(ctx: CheckContext) -> None:
        ctx.use(collaborator_fixture)

    @check("selftest.absent.fixture_again", title="through the same fixture", cites=("test",))
    def again(ctx: CheckContext) -> None:
        ctx.use(collaborator_fixture)

    @check("selftest.absent.party", title="asks a party", cites=("test",))
    def party(ctx: CheckContext) -> None:
        ctx.http.get("pki", "/")

    return {"calls": calls, "checks": {c.id: c for c in registry.CHECKS.values() if c.plan == "selftest"}}


def test_a_check_needing_what_the_target_leaves_out_is_skipped_with_the_reason(absent_checks: dict[str, Any]) -> None:
    mock = Target.for_mock("http://127.0.0.1:9")
    target = replace(
        mock,
        accounts={k: v for k, v in mock.accounts.items() if k != "collaborator"},
        parties={k: v for k, v in mock.parties.items() if k != "pki"},
        source="sandbox.toml",
    )
    http = RecordingClient(target)
    harness = MockHarness()
    harness.bind(http)
    state: dict[str, Any] = {}
    ended = {cid: run_check(c, target, http, harness, state) for cid, c in absent_checks["checks"].items()}
    role = "the target names no 'collaborator' account (" + ROLES["collaborator"] + "): add [accounts.collaborator]"
    for cid in ("selftest.absent.role", "selftest.absent.fixture_first", "selftest.absent.fixture_again"):
        assert ended[cid].status is Status.SKIPPED, (cid, ended[cid].reason)
        assert ended[cid].reason == f"{role} to sandbox.toml"
    assert absent_checks["calls"] == ["fixture"], "the fixture is not tried again once the role is known absent"
    party = ended["selftest.absent.party"]
    assert (party.status, party.reason) == (
        Status.SKIPPED,
        "the target names no 'pki' party: add pki under [parties] in sandbox.toml",
    )
    assert not any(r.exchanges for r in ended.values())
    with pytest.raises(AbsentFromTarget):
        target.account("collaborator")


def test_a_role_left_out_of_the_guide_s_file_skips_its_checks_and_the_run_still_conforms(
    mock_url: str, tmp_path: Path
) -> None:
    """Every plan, with the guide's file less the collaborator and the accountant without a mobile."""
    text = without_table(without_table(guide_target_file(mock_url), "accounts.collaborator"), "accounts.no_mobile")
    path = _write(tmp_path, text, "sandbox.toml")
    result = CliRunner().invoke(main, ["run", "--target", str(path), "--report-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "CONFORMS" in result.output

    report = json.loads((tmp_path / "conformance-report.json").read_text())
    skipped = {r["id"]: r["reason"] for r in report["results"] if r["status"] == "SKIPPED"}
    others = {r["id"]: r["status"] for r in report["results"] if r["status"] not in ("SKIPPED", "PASSED")}
    assert not others
    assert {"registration.delegations.grant_and_revoke", "registration.profile.mobile_required"} <= set(skipped)
    reasons = {f"add [accounts.{role}] to {path}" for role in ("collaborator", "no_mobile")}
    assert all(any(reason.endswith(r) for r in reasons) for reason in skipped.values()), skipped
    assert report["counts"]["SKIPPED"] == len(skipped)

    text_lines = result.output.splitlines()
    html = (tmp_path / "conformance-report.html").read_text()
    junit = ET.fromstring((tmp_path / "conformance-junit.xml").read_text())  # noqa: S314 - our own report
    junit_skips = {case.get("name"): case.find("skipped") for case in junit.iter("testcase")}
    for check_id, reason in skipped.items():
        at = next(i for i, line in enumerate(text_lines) if re.search(rf"SKIPPED\S*\s+{re.escape(check_id)}\s", line))
        assert text_lines[at + 1].strip() == reason
        entry = html[html.index(f'id="{check_id}"') :]
        assert reason.replace("'", "&#x27;") in entry[: entry.index("</details>")]
        found = junit_skips[check_id]
        assert found is not None
        assert found.get("message") == reason
