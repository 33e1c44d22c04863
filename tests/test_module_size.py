"""No module of the mock over 600 lines (issue 16): one concept a module, so that a newcomer reads one at a time."""

from __future__ import annotations

from pathlib import Path

import mock_provider

LIMIT = 600


def test_no_module_of_the_mock_is_over_600_lines() -> None:
    root = Path(mock_provider.__file__).parent
    sizes = {
        str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines()) for path in root.rglob("*.py")
    }
    assert sizes, "no module found"
    assert {name: size for name, size in sizes.items() if size > LIMIT} == {}
