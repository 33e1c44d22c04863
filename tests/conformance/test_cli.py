"""``jesign-conformance run`` against the healthy mock, described by the QA guide's target file: every plan passes,
the reports are written and nothing secret is in them. The run's time is printed, not asserted:
``bench/conformance_bench.py`` measures it. Then what the command prints and writes when checks fail: ``-q`` lists
each failure on one line, a failure carries a ``curl`` command, expected failures are counted apart."""

from __future__ import annotations

import json
import re
import shlex
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result

from conformance.cli import main
from tests.helpers.guide_targets import guide_target_file


def test_every_plan_passes_against_the_healthy_mock_and_the_reports_are_written(
    mock_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "mock.toml"
    target.write_text(guide_target_file(mock_url), encoding="utf-8")
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["run", "--target", str(target), "--report-dir", str(tmp_path), "--quiet"])
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[conformance] full run of every plan against the local mock: {elapsed:.1f} s", end=" ")
    assert result.exit_code == 0, result.output
    assert "CONFORMS" in result.output
    assert result.output.startswith("CONFORMS: "), "with -q and nothing failed, only the summary"

    report = json.loads((tmp_path / "conformance-report.json").read_text())
    assert report["verdict"] == "conforms"
    statuses = {r["id"]: r["status"] for r in report["results"]}
    assert set(statuses.values()) == {"PASSED"}, {k: v for k, v in statuses.items() if v != "PASSED"}
    assert {"smoke", "registration"} <= {r["plan"] for r in report["results"]}
    assert all(r["cites"] for r in report["results"])

    suites = ET.fromstring(  # noqa: S314 - our own report
        (tmp_path / "conformance-junit.xml").read_text()
    )
    cases = suites.findall(".//testcase")
    assert len(cases) == len(statuses)
    assert not suites.findall(".//failure")
    assert not suites.findall(".//error")

    html = (tmp_path / "conformance-report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "registration.otp.expiry" in html
    assert "Guide" in html
    assert "<script" not in html
    assert "http-equiv" not in html

    _assert_nothing_secret(mock_url, tmp_path)


def _assert_nothing_secret(mock_url: str, folder: Path) -> None:
    texts = "\n".join(p.read_text() for p in folder.iterdir() if p.name.startswith("conformance"))
    assert "jesign-platform-secret" not in texts
    sms = requests.get(f"{mock_url}/_mock/outbox", params={"channel": "sms", "limit": 1000}, timeout=10).json()
    codes = {m["otp_code"] for m in sms["data"] if m.get("otp_code")}
    assert codes
    for code in codes:
        assert f'"{code}"' not in texts, f"the SMS code {code} is in a report"
        assert f": {code}." not in texts, f"the SMS code {code} is in a report"
    report = json.loads((folder / "conformance-report.json").read_text())
    for result in report["results"]:
        for exchange in result["exchanges"]:
            if "Authorization" in exchange["request_headers"]:
                assert exchange["request_headers"]["Authorization"] == "***"
            assert "session=" not in exchange["url"] or "session=***" in exchange["url"]
            body = exchange["response_body"] or ""
            if body.startswith("{") and "session_token" in body:
                assert '"session_token": "***"' in body


def test_list_shows_every_check_with_its_severity() -> None:
    result = CliRunner().invoke(main, ["list", "--plan", "registration"])
    assert result.exit_code == 0
    assert "registration.otp.expiry" in result.output
    assert "CRITICAL" in result.output


def test_an_unknown_plan_is_a_usage_error(mock_url: str) -> None:
    result = CliRunner().invoke(main, ["run", "--target", mock_url, "--plan", "nope"])
    assert result.exit_code == 2
    assert "unknown plan" in result.output


def test_an_unreachable_target_exits_3() -> None:
    result = CliRunner().invoke(main, ["run", "--target", "http://127.0.0.1:9", "--timeout", "2", "--quiet"])
    assert result.exit_code == 3
    assert "UNREACHABLE" in result.output


#: Switched on together: the first check FAILS, the second fails as the expected-failures file says it will, the
#: third passes though the file lists it (stale).
FAILING, EXPECTED, STALE_ENTRY = (
    "registration.identity.consents_required",
    "registration.identity.birth_date_required",
    "registration.identity.future_birth_date",
)


@pytest.fixture
def failing_run(mock_url: str, tmp_path: Path) -> Iterator[Callable[..., Result]]:
    """``jesign-conformance run`` of three identity checks with two rules broken (put back afterwards)."""
    switches = {"active": ["consents_optional", "birth_date_optional"]}
    requests.put(f"{mock_url}/_mock/breakages", json=switches, timeout=10).raise_for_status()
    gaps = tmp_path / "gaps.txt"
    gaps.write_text(f"{EXPECTED}  # SANDBOX-1\n{STALE_ENTRY}  # SANDBOX-2\n", encoding="utf-8")

    def run(*extra: str) -> Result:
        chosen = [arg for check_id in (FAILING, EXPECTED, STALE_ENTRY) for arg in ("--only", check_id)]
        return CliRunner().invoke(
            main,
            ["run", "--target", mock_url, "--plan", "registration", *chosen, "--expected-failures", str(gaps), *extra],
        )

    yield run
    requests.delete(f"{mock_url}/_mock/breakages", timeout=10).raise_for_status()


def test_quiet_lists_each_check_that_failed_the_run_on_one_line(failing_run: Callable[..., Result]) -> None:
    result = failing_run("-q")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 checks made the run fail:"
    assert re.fullmatch(
        rf"FAILED +{FAILING} \[MAJOR\]: an identity with accept_terms not ticked: the provider accepted it \(20\d\)",
        lines[1],
    ), lines[1]
    assert re.fullmatch(
        rf"STALE +{STALE_ENTRY}: stale expected failure: listed \(SANDBOX-2\) but ended PASSED; remove it from the "
        "expected-failures file",
        lines[2],
    ), lines[2]
    assert lines[3] == ""
    assert re.fullmatch(
        r"DOES NOT CONFORM: 6 checks in [\d.]+ s \(3 passed, 1 failed, 1 expected failures, 1 stale expectations\)",
        lines[4],
    ), lines[4]
    assert len(lines) == 5
    assert EXPECTED not in result.output, "an expected failure does not fail the run"


def test_a_failure_says_why_and_how_to_send_its_request_again(
    failing_run: Callable[..., Result], tmp_path: Path
) -> None:
    result = failing_run("--report-dir", str(tmp_path / "reports"))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if re.match(rf"FAILED +{FAILING} ", line))
    assert lines[at + 1].strip().startswith("an identity with accept_terms not ticked: the provider accepted it")
    assert lines[at + 2].strip().startswith("reproduce: curl -i -X POST ")
    expected = next(i for i, line in enumerate(lines) if re.match(rf"XFAIL +{EXPECTED} ", line))
    assert lines[expected + 2].strip() == "expected failure: SANDBOX-1"

    report = json.loads((tmp_path / "reports" / "conformance-report.json").read_text())
    by_id = {r["id"]: r for r in report["results"]}
    assert report["counts"] == {
        "PASSED": 3,
        "FAILED": 1,
        "WARNING": 0,
        "SKIPPED": 0,
        "ERROR": 0,
        "expected_failures": 1,
        "stale_expectations": 1,
    }
    assert [by_id[i]["outcome"] for i in (FAILING, EXPECTED, STALE_ENTRY)] == ["FAILED", "XFAIL", "STALE"]
    command = by_id[FAILING]["reproduce"]
    assert lines[at + 2].strip() == f"reproduce: {command}"
    words = shlex.split(command)
    assert words[:4] == ["curl", "-i", "-X", "POST"]
    assert words[-1].endswith("/identity")
    assert words[-1] == by_id[FAILING]["exchanges"][-1]["url"]
    assert "Authorization: ***" in words
    sent = json.loads(words[words.index("--data-raw") + 1])
    assert "accept_terms" not in sent
    assert sent["accept_privacy_policy"] is True
    assert by_id[STALE_ENTRY]["reproduce"] == ""

    html = (tmp_path / "reports" / "conformance-report.html").read_text()
    assert '<span class="FAILED">FAILED: 1</span>' in html
    assert '<span class="expected_failures">expected failures: 1</span>' in html
    assert '<label for="show-XFAIL" class="XFAIL">XFAIL 1</label>' in html
    entry = html[html.index(f'id="{FAILING}"') :]
    assert f'<pre class="curl">{escape(command)}</pre>' in entry[: entry.index("</details>")]

    junit = ET.fromstring(  # noqa: S314 - our own report
        (tmp_path / "reports" / "conformance-junit.xml").read_text()
    )
    cases = {case.get("name"): case for case in junit.iter("testcase")}
    failure = cases[FAILING].find("failure")
    assert failure is not None
    assert f"reproduce: {command}" in (failure.text or "")
    skipped = cases[EXPECTED].find("skipped")
    assert skipped is not None
    assert (skipped.get("message") or "").startswith("expected failure: SANDBOX-1")
