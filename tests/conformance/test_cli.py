"""``jesign-conformance run`` against the healthy mock, described by the QA guide's target file: every plan passes,
the reports are written and nothing secret is in them. The run's time is printed, not asserted:
``bench/conformance_bench.py`` measures it."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from conformance.cli import main
from tests.conformance.guide_targets import guide_target_file


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
