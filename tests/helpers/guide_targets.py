"""The QA guide's target file of the mock, as the tests run it (the guide cannot drift from what conforms)."""

from __future__ import annotations

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "conformance" / "guide.md"
#: The mock's address in the guide's target file, replaced by the test mock's.
GUIDE_URL = "http://127.0.0.1:8400"
MARKER = "<!-- the mock as a target file"


def guide_target_file(url: str = GUIDE_URL) -> str:
    """The guide's target file of the mock (the first TOML block after its marker), at ``url``."""
    text = GUIDE.read_text(encoding="utf-8")
    found = re.search(r"```toml\n(.*?)```", text[text.index(MARKER) :], re.DOTALL)
    assert found, "the guide's target file of the mock is gone"
    return found.group(1).replace(GUIDE_URL, url)


def without_table(toml: str, header: str) -> str:
    """``toml`` without the table ``[header]`` (up to the next blank line)."""
    cut, count = re.subn(rf"^\[{re.escape(header)}\][^\n]*\n(?:[^\n]+\n)*\n?", "", toml, flags=re.MULTILINE)
    assert count == 1, header
    return cut
