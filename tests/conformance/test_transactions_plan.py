"""The transactions plan against the healthy mock: every check PASSED (its switches failing them is proven by
test_breakages_caught.py)."""

from __future__ import annotations

from conformance import MockHarness, run_conformance
from conformance.results import Status


def test_the_transactions_plan_passes_on_the_mock(mock_url: str) -> None:
    report = run_conformance(mock_url, plans=["transactions"], harness=MockHarness())
    assert not report.smoke_failed
    checks = [r for r in report.results if r.plan == "transactions"]
    assert {r.id for r in checks} == {
        "transactions.lifecycle.start_once",
        "transactions.documents.limit",
        "transactions.access.owner_only",
    }
    assert [(r.id, r.status.value, r.reason) for r in checks if r.status is not Status.PASSED] == []
