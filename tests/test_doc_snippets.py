"""Every Python snippet of the README and of the docs runs, in order, against a live mock: a doc can no longer drift
from the code.

One test per Markdown file, parsed by Sybil: its ```` ```python ```` blocks run one after the other in one
namespace, as a reader would paste them, in a fresh folder holding the sample material (``jesign-mock samples``:
``recto.jpg``, ``verso.jpg``, ``mrz.txt``, ``lettre.pdf``, ``facture.pdf``, ``contrat.pdf``) against a fresh mock
served over HTTP. The docs' URL of the mock, ``http://127.0.0.1:8400``, is replaced by the live mock's own before
each block runs (the only change made to what the reader sees).

What a reader would have done before a block, the doc says in an invisible block of its own (an HTML comment
``<!-- invisible-code-block: python ... -->``: Sybil's syntax), with these helpers in its namespace:

- ``docs_register(login="marie.dupont")``: that seeded accountant registered to ``active`` (as ``make demo``
  leaves Marie Dupont);
- ``docs_mock``: the live mock (``.url``, ``.services``);
- ``docs_pytest(count=1)``: the last ``count`` blocks run (test functions, as a reader's test file) run by pytest
  in a process of its own, with the plugins jesign installs; each of their tests must pass.

A block that cannot run here says why in a ``<!-- skip: next because ... -->`` comment above it (Sybil's syntax),
and is counted below: that list is kept short on purpose.
"""

from __future__ import annotations

import subprocess
import sys
import unittest
from pathlib import Path
from typing import Any

import pytest
from sybil import Example, Sybil
from sybil.evaluators.python import pad
from sybil.parsers.markdown import CodeBlockParser, SkipParser

from mock_provider.samples import write_samples
from tests.helpers.mock import LiveMock
from tests.helpers.registration import register_to_active

ROOT = Path(__file__).resolve().parents[1]
DOCS_URL = "http://127.0.0.1:8400"
#: Where the docs' Python lives.
DOCUMENTS = sorted(
    p.relative_to(ROOT)
    for p in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    if "```python" in p.read_text(encoding="utf-8")
)

pytestmark = pytest.mark.live


def _evaluate(example: Example) -> None:
    """Sybil's Python evaluator, with the docs' URL of the mock replaced by the live one's."""
    __tracebackhide__ = True
    source = str(example.parsed).replace(DOCS_URL, example.namespace["docs_mock"].url)
    code = compile(pad(source, example.line + example.parsed.line_offset), example.path, "exec", dont_inherit=True)
    exec(code, example.namespace)  # noqa: S102 (the project's own docs, run as the reader would)
    example.namespace.pop("__builtins__", None)
    example.namespace.setdefault("docs_blocks", []).append(source)


def _run_as_pytest(source: str, folder: Path) -> None:
    """``source`` (a block of test functions) as a test file of the reader's, run by pytest in a process of its own
    with the plugins installed with jesign: every test in it passes."""
    folder.mkdir()
    (folder / "test_from_docs.py").write_text(source, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_from_docs.py"]
    run = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout, run.stdout


SYBIL = Sybil(parsers=[CodeBlockParser("python", _evaluate), SkipParser()])


@pytest.mark.parametrize("document", DOCUMENTS, ids=str)
def test_the_snippets_of_a_doc_run(
    document: Path, live_mock: LiveMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(document)])  # a script of the docs run with no arguments, not pytest's
    write_samples(tmp_path)
    parsed = SYBIL.parse(ROOT / document)
    namespace: dict[str, Any] = parsed.namespace
    namespace["docs_mock"] = live_mock
    namespace["docs_register"] = lambda login="marie.dupont": register_to_active(live_mock.app.test_client(), login)
    namespace["docs_pytest"] = lambda count=1: _run_as_pytest(
        "\n\n".join(namespace["docs_blocks"][-count:]), tmp_path / f"pytest-{len(ran_at)}"
    )
    ran_at: list[int] = []
    ran, skipped = 0, list[tuple[int, str]]()
    for example in parsed.examples():
        try:
            example.evaluate()
        except unittest.SkipTest as skip:  # a block the doc says cannot run here: the reason is required
            skipped.append((example.line, str(skip)))
        else:
            ran += 1
            ran_at.append(example.line)
    assert ran, f"{document} has Python blocks, and none ran (skipped: {skipped})"
    assert all(reason not in ("", "skip") for _, reason in skipped), f"{document}: a skip without a reason: {skipped}"
