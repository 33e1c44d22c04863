"""The reports on their own, without a mock: the ``curl`` command of a failed check (run against a server that
records what it gets), expected failures counted apart in every format, the HTML report's filters (in Chromium),
and ``jesign-conformance compare``."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance import CheckContext, MockHarness, Target, check, registry
from conformance.cli import main
from conformance.http import MASK, RecordingClient
from conformance.inprocess import serve_wsgi
from conformance.reports import render_html, render_json, render_junit
from conformance.results import CheckResult, Exchange, Report, Severity, Status
from conformance.runner import run_check

# -- reproducing a failure -----------------------------------------------------------------------------------------


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A server that records each request (method, path, query, headers, body) and answers 418 with JSON."""
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        seen.append(
            {
                "method": environ["REQUEST_METHOD"],
                "path": environ["PATH_INFO"],
                "query": environ.get("QUERY_STRING", ""),
                "headers": {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")},
                "content_type": environ.get("CONTENT_TYPE", ""),
                "body": environ["wsgi.input"].read(length) if length else b"",
            }
        )
        start_response("418 I'm a teapot", [("Content-Type", "application/problem+json")])
        return [b'{"code": "teapot"}']

    with serve_wsgi(app) as url:
        yield url, seen


@pytest.fixture
def failing_checks(monkeypatch: pytest.MonkeyPatch) -> dict[str, registry.Check]:
    monkeypatch.setattr(registry, "CHECKS", dict(registry.discover()))

    @check("selftest.reproduce.json", title="sends JSON, then asks the harness", cites=("test",))
    def sends_json(ctx: CheckContext) -> None:
        ctx.http.add_secret("s3cr3t-learnt-code")
        body = {"name": "l'été", "otp": "123456", "access_token": "tok-abc", "note": "s3cr3t-learnt-code"}
        answer = ctx.http.post(
            "platform", "/things?x=1", json=body, headers={"Authorization": "Bearer s3cr3t-bearer", "X-Trace": "7"}
        )
        ctx.http.get("control", "/clock")  # the harness's own call: not the one to reproduce
        ctx.expect_refusal(answer, 200, None, "a teapot")

    @check("selftest.reproduce.upload", title="sends a file", cites=("test",))
    def sends_file(ctx: CheckContext) -> None:
        ctx.http.post("trust", "/documents", files={"front": ("recto.png", b"\x89PNG\r\n", "image/png")})
        ctx.fail("the upload was not refused")

    @check("selftest.reproduce.passes", title="passes", cites=("test",))
    def passes(ctx: CheckContext) -> None:
        ctx.http.get("platform", "/me")

    return {c.id: c for c in registry.CHECKS.values() if c.id.startswith("selftest.reproduce.")}


def _run(url: str, found: registry.Check) -> CheckResult:
    target = Target.for_mock(url)
    http = RecordingClient(target, timeout=5)
    harness = MockHarness()
    harness.bind(http)
    return run_check(found, target, http, harness, {})


def test_a_failed_check_carries_a_curl_command_that_sends_its_request_again_secrets_masked(
    recorder: tuple[str, list[dict[str, Any]]], failing_checks: dict[str, registry.Check]
) -> None:
    url, seen = recorder
    result = _run(url, failing_checks["selftest.reproduce.json"])
    assert result.status is Status.FAILED
    command = result.reproduce
    for secret in ("s3cr3t-bearer", "123456", "tok-abc", "s3cr3t-learnt-code"):
        assert secret not in command
    words = shlex.split(command)
    assert words[:4] == ["curl", "-i", "-X", "POST"]
    assert words[-1] == f"{url}/platform/api/v1/things?x=1"
    assert "Authorization: ***" in words
    assert "X-Trace: 7" in words
    assert not any(w.startswith(("User-Agent", "Content-Length", "Connection")) for w in words)

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: the command was checked, not sent")
    sent_by_suite = seen[0]
    del seen[:]
    done = subprocess.run(["sh", "-c", command], capture_output=True, timeout=20, check=False)
    assert done.returncode == 0, done.stderr
    assert b"418" in done.stdout.splitlines()[0]
    assert len(seen) == 1
    again = seen[0]
    assert (again["method"], again["path"], again["query"]) == ("POST", "/platform/api/v1/things", "x=1")
    assert again["content_type"] == "application/json"
    assert again["headers"]["Authorization"] == MASK
    assert again["headers"]["X-Trace"] == "7"
    assert json.loads(again["body"]) == {"name": "l'été", "otp": MASK, "access_token": MASK, "note": MASK}
    assert json.loads(sent_by_suite["body"])["name"] == "l'été"


def test_a_body_the_report_does_not_hold_is_read_from_a_file(
    recorder: tuple[str, list[dict[str, Any]]], failing_checks: dict[str, registry.Check]
) -> None:
    url, _ = recorder
    result = _run(url, failing_checks["selftest.reproduce.upload"])
    assert result.status is Status.FAILED
    comment, command = result.reproduce.split("\n")
    assert comment.startswith("# the request body (<multipart form of ")
    assert comment.endswith("is not in the report: save it as request-body first")
    assert shlex.split(command)[-3:] == ["--data-binary", "@request-body", f"{url}/trust/v1/documents"]


def test_a_passed_check_carries_no_command(
    recorder: tuple[str, list[dict[str, Any]]], failing_checks: dict[str, registry.Check]
) -> None:
    url, _ = recorder
    result = _run(url, failing_checks["selftest.reproduce.passes"])
    assert (result.status, result.reproduce) == (Status.PASSED, "")
    assert result.as_json()["reproduce"] == ""


# -- expected failures apart, and the HTML filters -----------------------------------------------------------------


def _result(check_id: str, status: Status, *, expected: bool = False, reproduce: str = "") -> CheckResult:
    plan, module, _ = check_id.split(".")
    found = CheckResult(
        check_id, plan, module, f"title of {check_id}", ("cite",), Severity.MAJOR, status, reason=f"why {check_id}"
    )
    found.expected_failure = expected
    found.expectation_note = "expected failure: T-1" if expected and status is Status.FAILED else ""
    found.reproduce = reproduce
    found.exchanges = [
        Exchange(plan, "GET", f"http://x/{check_id}", {}, None, 200, {}, None, 1.0),
    ]
    return found


def _report() -> Report:
    report = Report(target={"name": "t", "parties": {}}, harness="mock", plans=["smoke", "sso", "pki"], started_at="")
    report.results = [
        _result("smoke.reach.parties", Status.PASSED),
        _result("sso.token.one", Status.PASSED),
        _result("sso.token.two", Status.FAILED, reproduce="curl -i -X GET http://x/two"),
        _result("sso.pkce.one", Status.PASSED),
        _result("pki.ocsp.one", Status.FAILED, expected=True),
        _result("pki.ocsp.two", Status.SKIPPED),
        _result("pki.crl.one", Status.PASSED, expected=True),
    ]
    return report


def test_expected_failures_are_counted_apart_in_every_format() -> None:
    report = _report()
    counts = report.counts()
    assert counts == {
        "PASSED": 3,
        "FAILED": 1,
        "WARNING": 0,
        "SKIPPED": 1,
        "ERROR": 0,
        "expected_failures": 1,
        "stale_expectations": 1,
    }
    assert sum(counts.values()) == len(report.results)
    assert json.loads(render_json(report))["counts"] == counts
    assert [r["outcome"] for r in json.loads(render_json(report))["results"]][4:] == ["XFAIL", "SKIPPED", "STALE"]
    html = render_html(report)
    assert '<span class="FAILED">FAILED: 1</span>' in html
    assert '<span class="expected_failures">expected failures: 1</span>' in html
    cases = {c.get("name"): c for c in ET.fromstring(render_junit(report)).iter("testcase")}  # noqa: S314
    assert cases["pki.ocsp.one"].find("failure") is None
    assert cases["pki.ocsp.one"].find("skipped") is not None
    assert cases["pki.crl.one"].find("failure") is not None
    report.results = [r for r in report.results if r.id != "sso.token.two" and r.id != "pki.crl.one"]
    assert (report.exit_code, report.verdict) == (0, "conforms"), "an expected failure does not fail the run"


def test_the_html_report_has_a_toggle_per_outcome_and_plan_and_no_script() -> None:
    html = render_html(_report())
    assert "<script" not in html.lower()
    assert "http-equiv" not in html
    for outcome, count in (("PASSED", 3), ("FAILED", 1), ("SKIPPED", 1), ("XFAIL", 1), ("STALE", 1)):
        assert f'<input type="checkbox" class="toggle" id="show-{outcome}" checked>' in html
        assert f'<label for="show-{outcome}" class="{outcome}">{outcome} {count}</label>' in html
        assert f"#show-{outcome}:not(:checked)~.filtered .o-{outcome}{{display:none}}" in html
    assert 'id="show-WARNING"' not in html, "only the outcomes the report holds"
    for plan, count in (("smoke", 1), ("sso", 3), ("pki", 3)):
        assert f'<label for="show-plan-{plan}" class="plan">{plan} {count}</label>' in html
    assert '<details class="check o-XFAIL p-pki" id="pki.ocsp.one">' in html
    assert '<pre class="curl">curl -i -X GET http://x/two</pre>' in html


def test_the_html_filters_hide_and_show_checks_in_a_browser(chromium: Any, tmp_path: Path) -> None:
    """Unticking an outcome hides its checks, and the module and plan headings left empty; a plan's toggle hides it;
    nothing is fetched."""
    page_file = tmp_path / "conformance-report.html"
    page_file.write_text(render_html(_report()), encoding="utf-8")
    page = chromium.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(page_file.as_uri())

    def shown(selector: str) -> bool:
        return bool(page.locator(selector).first.is_visible())

    checks = {"sso.token.one", "sso.token.two", "sso.pkce.one", "pki.ocsp.one", "pki.ocsp.two", "smoke.reach.parties"}
    assert all(shown(f"[id='{c}']") for c in checks)
    page.click("label[for=show-PASSED]")
    assert not shown("[id='sso.token.one']")
    assert shown("[id='sso.token.two']")
    assert not shown("h3:text-is('pkce')"), "a module whose every check is hidden loses its heading"
    assert not shown("h2:text-is('Plan smoke')"), "so does a plan"
    assert shown("h3:text-is('token')")
    page.click("label[for=show-plan-sso]")
    assert not shown("[id='sso.token.two']")
    assert not shown("h2:text-is('Plan sso')")
    assert shown("[id='pki.ocsp.one']")
    page.click("label[for=show-PASSED]")
    page.click("label[for=show-plan-sso]")
    assert all(shown(f"[id='{c}']") for c in checks)
    assert fetched == [page_file.as_uri()]
    page.close()


# -- compare -------------------------------------------------------------------------------------------------------


def _write_report(folder: Path, name: str, outcomes: dict[str, str]) -> Path:
    report = Report(target={"name": name, "parties": {}}, harness="mock", plans=["sso"], started_at="2026-11-04")
    for check_id, outcome in outcomes.items():
        status = {"XFAIL": Status.FAILED, "STALE": Status.PASSED}.get(outcome) or Status(outcome)
        report.results.append(_result(check_id, status, expected=outcome in ("XFAIL", "STALE")))
    path = folder / name / "conformance-report.json"
    path.parent.mkdir()
    path.write_text(render_json(report), encoding="utf-8")
    return path


def test_compare_puts_the_differences_first(tmp_path: Path) -> None:
    mock = _write_report(tmp_path, "mock", {"sso.a.one": "PASSED", "sso.a.two": "PASSED", "sso.a.three": "PASSED"})
    sandbox = _write_report(tmp_path, "sandbox", {"sso.a.one": "PASSED", "sso.a.two": "FAILED", "sso.a.four": "XFAIL"})
    result = CliRunner().invoke(main, ["compare", str(mock), str(sandbox)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"[1] {mock}: mock, 2026-11-04, conforms"
    assert lines[1].startswith(f"[2] {sandbox}: sandbox")
    assert lines[3] == "3 of 4 checks differ:"
    assert lines[4].split() == ["check", "[1]", "[2]"]
    assert [line.split() for line in lines[5:8]] == [
        ["sso.a.two", "PASSED", "FAILED"],
        ["sso.a.three", "PASSED", "-"],
        ["sso.a.four", "-", "XFAIL"],
    ]
    assert lines[9] == "1 checks have the same outcome in every report:"
    assert lines[11].split() == ["sso.a.one", "PASSED", "PASSED"]

    as_json = CliRunner().invoke(main, ["compare", "--json", str(mock), str(sandbox)])
    assert as_json.exit_code == 1
    found = json.loads(as_json.output)
    assert found["differ"] is True
    assert found["differences"] == 3
    assert found["checks"][0] == {"id": "sso.a.two", "outcomes": ["PASSED", "FAILED"], "differs": True}
    assert [r["target"] for r in found["reports"]] == ["mock", "sandbox"]


def test_compare_of_identical_outcomes_exits_0_and_takes_three_reports(tmp_path: Path) -> None:
    outcomes = {"sso.a.one": "PASSED", "sso.a.two": "SKIPPED", "sso.a.three": "STALE"}
    paths = [str(_write_report(tmp_path, name, outcomes)) for name in ("a", "b", "c")]
    result = CliRunner().invoke(main, ["compare", *paths])
    assert result.exit_code == 0, result.output
    assert "3 checks have the same outcome in every report:" in result.output
    assert "differ:" not in result.output
    assert result.output.splitlines()[6].split() == ["sso.a.one", "PASSED", "PASSED", "PASSED"]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "cannot be read"),
        ("{not json", "not JSON"),
        ('{"tool": "schemathesis", "results": []}', "not a jesign-conformance JSON report"),
        ('[{"id": "x"}]', "not a jesign-conformance JSON report"),
        ('{"tool": "jesign-conformance", "results": [{"id": "sso.a.one"}]}', "results[0] is not a check's result"),
        ('{"tool": "jesign-conformance", "results": [{"id": "sso.a.one", "status": "MAYBE"}]}', "results[0]"),
    ],
)
def test_compare_of_a_file_that_is_not_a_report_is_a_usage_error(
    tmp_path: Path, content: str | None, said: str
) -> None:
    good = _write_report(tmp_path, "good", {"sso.a.one": "PASSED"})
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["compare", str(good), str(bad)])
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.output
    assert said in result.output
    if content is not None:
        assert str(bad) in " ".join(result.output.split())


def test_compare_needs_two_reports(tmp_path: Path) -> None:
    good = _write_report(tmp_path, "good", {"sso.a.one": "PASSED"})
    result = CliRunner().invoke(main, ["compare", str(good)])
    assert result.exit_code == 2
    assert "give two reports or more" in result.output
    assert CliRunner().invoke(main, ["compare"]).exit_code == 2
