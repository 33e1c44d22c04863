"""The framework's parts on their own: registry, runner outcomes, masking, target files, the plugin's imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance import CheckContext, MockHarness, Severity, Target, TargetError, check, load_target, registry
from conformance.http import MASK, RecordingClient
from conformance.results import CheckResult, Report, Status
from conformance.runner import run_check


def test_a_check_id_must_be_plan_module_name_and_cite_something() -> None:
    with pytest.raises(ValueError, match="plan"):
        check("nodots", title="t", cites=("c",))
    with pytest.raises(ValueError, match="cites nothing"):
        check("selftest.unit.x", title="t", cites=())


def test_only_a_smoke_check_may_be_a_gate() -> None:
    with pytest.raises(ValueError, match="only the smoke plan"):
        check("selftest.unit.gate", title="t", cites=("c",), gate=True)


def _result(check_id: str, status: Status, *, gate: bool) -> CheckResult:
    plan, module, _ = check_id.split(".")
    return CheckResult(check_id, plan, module, "t", ("c",), Severity.CRITICAL, status, gate=gate)


def test_a_failed_gate_is_unreachable_a_failed_smoke_check_does_not_conform() -> None:
    report = Report(target={}, harness="mock", plans=["smoke"], started_at="")
    report.results = [
        _result("smoke.login.accountant", Status.PASSED, gate=True),
        _result("smoke.login.answer_verifies", Status.FAILED, gate=False),
    ]
    assert (report.smoke_failed, report.exit_code, report.verdict) == (False, 1, "does not conform")
    report.results[0] = _result("smoke.login.accountant", Status.ERROR, gate=True)
    assert (report.smoke_failed, report.exit_code, report.verdict) == (True, 3, "unreachable")
    assert report.as_json()["results"][0]["gate"] is True


def test_select_takes_ids_and_prefixes() -> None:
    checks = registry.checks_of(["registration"])
    only = registry.select(checks, only=["registration.otp"], skip=["registration.otp.expiry"])
    ids = {c.id for c in only}
    assert "registration.otp.lockout" in ids
    assert "registration.otp.expiry" not in ids
    assert all(i.startswith("registration.otp.") for i in ids)


@pytest.fixture
def selftest_checks(monkeypatch: pytest.MonkeyPatch) -> dict[str, registry.Check]:
    """A throwaway plan whose checks end each way."""
    monkeypatch.setattr(registry, "CHECKS", dict(registry.discover()))

    @check("selftest.outcome.passes", title="passes", cites=("test",))
    def passes(ctx: CheckContext) -> None:
        ctx.expect(True, "never")

    @check("selftest.outcome.fails", title="fails", cites=("test",), severity=Severity.MINOR)
    def fails(ctx: CheckContext) -> None:
        ctx.expect(False, "the rule is broken")

    @check("selftest.outcome.warns", title="warns", cites=("test",))
    def warns(ctx: CheckContext) -> None:
        ctx.warn("look at this")

    @check("selftest.outcome.crashes", title="crashes", cites=("test",))
    def crashes(ctx: CheckContext) -> None:
        raise KeyError("state")

    @check("selftest.outcome.needs_a_phone", title="needs", cites=("test",), needs=("telepathy",))
    def needs(ctx: CheckContext) -> None:
        raise AssertionError("never run")

    return {c.id: c for c in registry.CHECKS.values() if c.plan == "selftest"}


def test_each_way_a_check_ends(selftest_checks: dict[str, registry.Check]) -> None:
    target = Target.for_mock("http://127.0.0.1:9")
    http = RecordingClient(target)
    harness = MockHarness()
    harness.bind(http)
    ended = {cid: run_check(c, target, http, harness, {}) for cid, c in selftest_checks.items()}
    assert ended["selftest.outcome.passes"].status is Status.PASSED
    failed = ended["selftest.outcome.fails"]
    assert (failed.status, failed.severity, failed.reason) == (Status.FAILED, Severity.MINOR, "the rule is broken")
    assert ended["selftest.outcome.warns"].status is Status.WARNING
    crashed = ended["selftest.outcome.crashes"]
    assert crashed.status is Status.ERROR
    assert "KeyError" in crashed.reason
    skipped = ended["selftest.outcome.needs_a_phone"]
    assert skipped.status is Status.SKIPPED
    assert "telepathy" in skipped.reason


def test_masking_headers_fields_and_learnt_secrets() -> None:
    http = RecordingClient(Target.for_mock("http://127.0.0.1:9"))
    http.add_secret("s3cr3t-session-token")
    assert http.mask_text("GET /enroll?session=s3cr3t-session-token") == f"GET /enroll?session={MASK}"
    body = http._body_text(
        b'{"session_token": "abc", "otp": "123456", "nested": [{"access_token": "x"}], "code": "otp_expired"}',
        "application/json",
    )
    assert body is not None
    assert '"abc"' not in body
    assert '"123456"' not in body
    assert '"x"' not in body
    assert '"otp_expired"' in body  # a problem's error code stays readable
    form = http._body_text(b"grant_type=authorization_code&code=abc&code_verifier=def", "x-www-form-urlencoded")
    assert form == f"grant_type=authorization_code&code={MASK}&code_verifier={MASK}"
    assert http._headers([("Authorization", "Bearer abc"), ("Accept", "*/*")]) == {
        "Authorization": MASK,
        "Accept": "*/*",
    }
    assert http._body_text(b"\x89PNG...", "image/png") == "<7 bytes of image/png>"


def test_a_target_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_SECRET", "from-the-environment")
    path = tmp_path / "sandbox.toml"
    path.write_text(
        """
name = "sandbox"
[parties]
sso = "https://sso.example/sso/"
platform = "https://example/platform/api/v1"
trust = "https://trust.example/trust/v1"
[oidc]
client_id = "qa"
client_secret_env = "QA_SECRET"
redirect_uri = "http://127.0.0.1:8765/callback"
[oidc.second_client]
client_id = "qa-other"
[accounts.accountant]
login = "qa.one"
firms = ["frm_a", "frm_b"]
[rules]
otp_validity_seconds = 600
code_lifetime_seconds = 60
""",
        encoding="utf-8",
    )
    target = load_target(path)
    assert target.base_url("sso") == "https://sso.example/sso"
    assert target.oidc.client_secret == "from-the-environment"
    assert target.operator.client_id == "qa"
    assert target.account("accountant").firms == ("frm_a", "frm_b")
    assert target.rules.otp_validity_seconds == 600
    assert target.rules.otp_max_attempts == 5
    assert target.rules.code_lifetime_seconds == 60
    assert target.second_client is not None
    assert (target.second_client.client_id, target.second_client.client_secret) == ("qa-other", None)
    assert "from-the-environment" not in str(target.describe())
    with pytest.raises(TargetError, match="no 'outsider' account"):
        target.account("outsider")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[parties]\nsso='x'", "missing key parties.platform\n  - missing key parties.trust"),
        ("[parties]\nsso='x'\nplatform='y'\ntrust='z'", r"missing table \[oidc\]"),
        (
            "[parties]\nsso='x'\nplatform='y'\ntrust='z'\n[oidc]\nclient_id='a'\nredirect_uri='b'\n[rules]\nnope=1",
            "unknown key rules.nope",
        ),
        ("not toml [", "sandbox.toml: not a TOML file"),
        (
            "[parties]\nsso='x'\nplatform='y'\ntrust='z'\n[oidc]\nclient_id='a'\nredirect_uri='b'\n"
            "[oidc.second_client]\nclient_secret='s'",
            "missing key oidc.second_client.client_id",
        ),
    ],
)
def test_a_bad_target_file_says_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "sandbox.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TargetError, match=message):
        load_target(path)


def test_the_mock_layout_from_a_base_url() -> None:
    target = load_target("http://127.0.0.1:8400/")
    assert target.base_url("trust") == "http://127.0.0.1:8400/trust/v1"
    assert target.base_url("control") == "http://127.0.0.1:8400/_mock"
    assert target.account("no_mobile").mobile == ""


def test_the_pytest_plugin_imports_only_pytest() -> None:
    code = (
        "import sys, conformance.pytest_plugin; "
        "heavy = [m for m in ('conformance.runner', 'requests', 'mock_provider', 'flask') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
