"""MkDocs hook: the code map of ``architecture.md``, made from the modules' docstrings at build time.

``<!-- code-map -->`` becomes one table per package (``jesign_sdk``, ``mock_provider``, ``conformance``): each
package and module with the first sentence of its docstring, so the map lists every module and never goes stale.
A module without a docstring stops the build. Docstrings are read with :mod:`ast`, without importing anything.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("jesign_sdk", "mock_provider", "conformance")
MARKER = "<!-- code-map -->"

#: A Sphinx cross-reference (``:mod:`~a.b``` or ``:func:`a.b```): the name as code, shortened after ``~``.
_ROLE = re.compile(r":(?:mod|class|func|meth|data|attr|exc|obj):`(~?)([^`]+)`")
#: Where a sentence ends: a full stop, then a capital (so that "e.g. the" and "section 4.1" do not end one).
_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z`*(])")


def summary(path: Path) -> str:
    """The first sentence of a module's docstring, in Markdown."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    if not docstring:
        raise RuntimeError(f"{path} has no module docstring: the code map needs one")
    paragraph = " ".join(docstring.split("\n\n", 1)[0].split())
    sentence = _SENTENCE_END.split(paragraph, 1)[0]
    sentence = _ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`", sentence)
    sentence = sentence.removesuffix(":") + ("." if sentence.endswith(":") else "")  # one that introduces a list
    return sentence.replace("``", "`").replace("|", "\\|")


def entries(package: str) -> list[tuple[str, str]]:
    """(path, summary) of a package and everything below it, a package before its modules, in name order."""
    rows: list[tuple[str, str]] = []

    def walk(folder: Path) -> None:
        rows.append((f"{folder.relative_to(ROOT).as_posix()}/", summary(folder / "__init__.py")))
        for module in sorted(folder.glob("*.py")):
            if module.name != "__init__.py":
                rows.append((module.relative_to(ROOT).as_posix(), summary(module)))
        for sub in sorted(p for p in folder.iterdir() if (p / "__init__.py").is_file()):
            walk(sub)

    walk(ROOT / package)
    return rows


def render_markdown() -> str:
    parts = []
    for package in PACKAGES:
        rows = entries(package)
        table = ["| module | what it is for |", "|---|---|"] + [f"| `{path}` | {text} |" for path, text in rows]
        parts.append(f"#### `{package}`\n\n{len(rows)} packages and modules.\n\n" + "\n".join(table) + "\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, render_markdown())
    return markdown
