"""The proof that the suite catches breakage: every rule-breakage switch of the mock makes its check FAIL.

For each switch of :mod:`mock_provider.core.misbehaviour.catalogue`, the mock is reset with that switch on, the check
that must catch it is run alone (smoke first), and it must end FAILED: not ERROR (no verdict), not PASSED (missed).
Alone, as a QA engineer reruns one check: its fixtures are its own, so the failure is the switch's, not an earlier
check's. The control below runs the same checks on the healthy mock; the healthy mock passing every plan is proven by
``test_cli.py`` and ``test_pytest_plugin.py``.
"""

from __future__ import annotations

import pytest

from conformance import MockHarness, registry, run_conformance
from conformance.results import Status
from mock_provider.app import breakage_catalogue

CATALOGUE = breakage_catalogue()

SWITCHES = sorted(CATALOGUE)


def test_every_switch_names_a_registered_check() -> None:
    checks = registry.discover()
    orphans = {b.id: b.check for b in CATALOGUE.values() if b.check not in checks}
    assert not orphans, f"switches whose check does not exist: {orphans}"


@pytest.mark.parametrize("switch", SWITCHES)
def test_the_switch_is_caught(mock_url: str, switch: str) -> None:
    breakage = CATALOGUE[switch]
    check = registry.discover().get(breakage.check)
    if check is None:
        pytest.fail(f"{switch}: no check {breakage.check}")
    report = run_conformance(mock_url, plans=[check.plan], only=[check.id], harness=MockHarness(breakages=(switch,)))
    assert not report.smoke_failed, [(r.id, r.reason) for r in report.results if r.plan == "smoke"]
    result = report.result(breakage.check)
    assert result.status is Status.FAILED, f"{switch} ({breakage.rule}) → {result.status}: {result.reason}"


def test_the_same_modules_pass_with_no_switch_on(mock_url: str) -> None:
    """The control for the test above: the checks that catch the switches all pass on the healthy mock."""
    checks = registry.discover()
    caught_by = sorted({b.check for b in CATALOGUE.values()})
    plans = sorted({checks[c].plan for c in caught_by})
    report = run_conformance(mock_url, plans=plans, only=caught_by, harness=MockHarness())
    assert {r.id for r in report.results if r.plan != "smoke"} == set(caught_by)
    bad = [(r.id, r.status.value, r.reason) for r in report.results if r.status is not Status.PASSED]
    assert not bad
