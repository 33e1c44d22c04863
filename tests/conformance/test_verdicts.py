"""The run's verdict tells "cannot reach or log in" (unreachable, exit 3) from "logs in, but answers what a relying
party must refuse" (does not conform, exit 1), and names the claim at fault.

Each defect is switched on through the control plane before the run, as a QA engineer would: the smoke plan runs
before any reset, so it meets the defect (the harness keeps switches it found on)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests

from conformance import run_conformance
from conformance.results import Severity, Status
from conformance.target import Target

#: Each switch that spoils what a working login answers, and the member that the verdict must name.
#: (``id_token_sub_per_login`` is left out: one login cannot show that ``sub`` changes between logins; its check,
#: ``sso.id_token.subject``, logs in three times.)
DEFECTS = {
    "id_token_alg_none": "alg",
    "id_token_foreign_key": "signature",
    "id_token_issuer_trailing_slash": "iss",
    "id_token_wrong_audience": "aud",
    "id_token_nonce_dropped": "nonce",
    "id_token_nonce_truncated": "nonce",
    "id_token_expired": "exp",
    "id_token_local_time": "iat",
    "id_token_wrong_at_hash": "at_hash",
    "state_dropped": "state",
    "state_double_decoded": "state",
}
#: A check of another plan, to see that the run went on past the smoke plan.
LATER = "registration.login.identity_claims"


@pytest.fixture
def control(mock_url: str) -> Iterator[Any]:
    """PUT to the mock's control plane; whatever was put is taken back afterwards."""

    def put(path: str, body: dict[str, Any]) -> None:
        requests.put(f"{mock_url}/_mock{path}", json=body, timeout=10).raise_for_status()

    yield put
    requests.delete(f"{mock_url}/_mock/breakages", timeout=10).raise_for_status()
    requests.delete(f"{mock_url}/_mock/faults", timeout=10).raise_for_status()


@pytest.mark.parametrize(("switch", "claim"), sorted(DEFECTS.items()))
def test_a_login_that_works_with_a_defective_answer_does_not_conform(
    mock_url: str, control: Any, switch: str, claim: str
) -> None:
    control("/breakages", {"active": [switch]})
    report = run_conformance(mock_url, plans=["registration"], only=[LATER])
    smoke = {r.id: r for r in report.results if r.plan == "smoke"}
    assert smoke["smoke.reach.parties"].status is Status.PASSED
    assert smoke["smoke.login.accountant"].status is Status.PASSED, smoke["smoke.login.accountant"].reason
    verified = smoke["smoke.login.answer_verifies"]
    assert (verified.status, verified.severity) == (Status.FAILED, Severity.CRITICAL)
    assert f"{claim}: " in verified.reason, verified.reason
    assert (report.exit_code, report.verdict) == (1, "does not conform")
    assert not report.smoke_failed
    assert report.result(LATER).status is not Status.SKIPPED


def test_the_same_run_conforms_on_the_healthy_mock(mock_url: str) -> None:
    report = run_conformance(mock_url, plans=["registration"], only=[LATER])
    assert [(r.id, r.status) for r in report.results if r.status is not Status.PASSED] == []
    assert report.exit_code == 0


@pytest.mark.parametrize(
    ("route", "said"),
    [("/sso/token", "token endpoint answered 503"), ("/sso/authorize", "did not log marie.dupont in (answer 503)")],
)
def test_an_sso_failing_with_5xx_is_unreachable(mock_url: str, control: Any, route: str, said: str) -> None:
    control("/faults", {"error_rate": 1, "status": 503, "routes": [route]})
    report = run_conformance(mock_url, plans=["registration"], only=[LATER])
    gate = report.result("smoke.login.accountant")
    assert gate.status is Status.FAILED
    assert said in gate.reason
    assert report.result("smoke.login.answer_verifies").status is Status.SKIPPED
    assert report.result(LATER).status is Status.SKIPPED
    assert (report.exit_code, report.verdict) == (3, "unreachable")


def test_an_account_the_sso_does_not_redirect_is_unreachable(mock_url: str) -> None:
    """The SSO answers its login page and never redirects back: nobody is logged in, nothing can be judged."""
    target = Target.for_mock(mock_url)
    stranger = replace(target.account("accountant"), login="nobody.known")
    report = run_conformance(replace(target, accounts={**target.accounts, "accountant": stranger}), plans=["pki"])
    assert report.result("smoke.login.accountant").status is Status.FAILED
    assert "did not log nobody.known in" in report.result("smoke.login.accountant").reason
    assert (report.exit_code, report.verdict) == (3, "unreachable")
