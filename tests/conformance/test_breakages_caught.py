"""The proof that the suite catches breakage: every rule-breakage switch of the mock makes its check FAIL.

For each switch of :mod:`mock_provider.core.misbehaviour.catalogue`, the mock is reset with that switch on, the module
of the check that must catch it is run (smoke first), and that check must end FAILED: not ERROR (no verdict),
not PASSED (missed). The healthy mock passing every plan is proven by ``test_cli.py`` and ``test_pytest_plugin.py``.
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
    module = f"{check.plan}.{check.module}"
    report = run_conformance(mock_url, plans=[check.plan], only=[module], harness=MockHarness(breakages=(switch,)))
    assert not report.smoke_failed, [(r.id, r.reason) for r in report.results if r.plan == "smoke"]
    result = report.result(breakage.check)
    assert result.status is Status.FAILED, f"{switch} ({breakage.rule}) → {result.status}: {result.reason}"


def test_the_same_modules_pass_with_no_switch_on(mock_url: str) -> None:
    """The control for the test above: the modules that catch the switches all pass on the healthy mock."""
    checks = registry.discover()
    modules = sorted({f"{checks[b.check].plan}.{checks[b.check].module}" for b in CATALOGUE.values()})
    plans = sorted({m.split(".")[0] for m in modules})
    report = run_conformance(mock_url, plans=plans, only=modules, harness=MockHarness())
    bad = [(r.id, r.status.value, r.reason) for r in report.results if r.status is not Status.PASSED]
    assert not bad
