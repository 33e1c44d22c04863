"""The reference of every check, as Markdown: what the documentation's "Check reference" page shows.

:func:`render_markdown` lists the plans, their modules and their checks, each with its id, title, severity, what
the harness must offer, its citations and its docstring. The documentation builds it at build time (an MkDocs
hook), so the page cannot fall behind the code.
"""

from __future__ import annotations

import importlib
from collections import Counter

from conformance import registry


def _intro(name: str) -> str:
    """The first paragraph of the module ``name``'s docstring ("" if there is no such module)."""
    try:
        doc = importlib.import_module(name).__doc__ or ""
    except ImportError:
        return ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def render_markdown() -> str:
    checks = registry.discover()
    per_plan = Counter(c.plan for c in checks.values())
    lines = [
        f"{len(checks)} checks in {len(per_plan)} plans: "
        + ", ".join(f"`{plan}` ({per_plan[plan]})" for plan in registry.plans())
        + ".",
        "",
    ]
    for plan in registry.plans():
        lines += [f"## Plan `{plan}`", ""]
        intro = _intro(f"conformance.plans.{plan}")
        if intro:
            lines += [intro, ""]
        module = None
        for found in registry.checks_of([plan]):
            if found.module != module:
                module = found.module
                lines += [f"### {plan}.{module}", ""]
                module_intro = _intro(f"conformance.plans.{plan}.{module}")
                if module_intro:
                    lines += [module_intro, ""]
            needs = f" · harness: {', '.join(found.needs)}" if found.needs else ""
            lines += [
                f"#### `{found.id}`",
                "",
                f"**{found.title}** · severity {found.severity.value}{needs}",
                "",
                *(f"- {cite}" for cite in found.cites),
                "",
            ]
            if found.doc:
                lines += [found.doc, ""]
    return "\n".join(lines)
