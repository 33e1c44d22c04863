"""MkDocs hook: fills the conformance pages from the code at build time.

``<!-- conformance:checks -->`` becomes the reference of every check (:func:`conformance.reference.render_markdown`),
``<!-- conformance:breakages -->`` the table of the mock's rule-breakage switches with the check that catches
each one, and ``<!-- conformance:target-keys -->`` the reference of every key of a target file
(:func:`conformance.target_file.render_markdown`). The documentation may import the mock; the conformance package
itself never does.
"""

from __future__ import annotations

from typing import Any


def _breakages() -> str:
    from mock_provider.app import breakage_catalogue

    catalogue = breakage_catalogue()
    rows = ["| switch | the rule it breaks | the check that must fail |", "|---|---|---|"]
    rows += [f"| `{b.id}` | {b.rule} | `{b.check}` |" for b in catalogue.values()]
    return f"{len(catalogue)} switches.\n\n" + "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if "<!-- conformance:checks -->" in markdown:
        from conformance.reference import render_markdown

        markdown = markdown.replace("<!-- conformance:checks -->", render_markdown())
    if "<!-- conformance:target-keys -->" in markdown:
        from conformance.target_file import render_markdown as render_keys

        markdown = markdown.replace("<!-- conformance:target-keys -->", render_keys())
    if "<!-- conformance:breakages -->" in markdown:
        markdown = markdown.replace("<!-- conformance:breakages -->", _breakages())
    return markdown
