"""The registration check-list (docs/conformance/registration-rules.md) keeps up with the code: every check of the
registration plan past the SSO login is on it, with every rule-breakage switch that it must catch."""

from __future__ import annotations

import re
from pathlib import Path

from conformance import registry
from mock_provider.app import breakage_catalogue

PAGE = Path(__file__).resolve().parents[2] / "docs" / "conformance" / "registration-rules.md"


def _rows() -> dict[str, str]:
    """The check-list's table rows, by the check id in their first cell."""
    rows = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        found = re.match(r"\| `(registration\.[a-z0-9_]+\.[a-z0-9_]+)` \|", line)
        if found:
            rows[found.group(1)] = line
    return rows


def test_every_registration_check_is_on_the_check_list() -> None:
    checks = [c.id for c in registry.discover().values() if c.plan == "registration" and c.module != "login"]
    missing = sorted(set(checks) - set(_rows()))
    assert not missing, f"registration checks missing from {PAGE.name}: {missing}"
    stale = sorted(set(_rows()) - set(registry.discover()))
    assert not stale, f"{PAGE.name} lists checks that do not exist: {stale}"


def test_each_row_names_the_switches_of_its_check() -> None:
    rows = _rows()
    unnamed = sorted(
        f"{b.check}: {b.id}"
        for b in breakage_catalogue().values()
        if b.check in rows and f"`{b.id}`" not in rows[b.check]
    )
    assert not unnamed, f"switches missing from their check's row in {PAGE.name}: {unnamed}"
