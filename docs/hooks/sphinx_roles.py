"""A griffe extension for the API reference: the docstrings' Sphinx roles become links mkdocstrings renders.

The code's docstrings cross-reference in Sphinx's syntax (``:class:`~jesign_sdk.Client```, ``:meth:`enroll```),
which mkdocstrings would show as it is. Each role becomes an optional autoref (mkdocs-autorefs): a link to the
object when the reference documents it, else its name in code, never a broken link. ``~`` shows the last
component, as in Sphinx; a method or function gets ``()``. A relative name (``:meth:`enroll```) is taken in the
class or module the docstring belongs to.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(class|meth|func|data|mod|attr|exc|obj|const):`(~?)([^`<]+?)`")


class SphinxRoles(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(lambda match: _autoref(match, obj), obj.docstring.value)


def _autoref(match: re.Match[str], obj: griffe.Object) -> str:
    role, short, target = match.group(1), match.group(2) == "~", match.group(3).strip().lstrip(".")
    shown = target.rsplit(".", 1)[-1] if short else target
    if role in ("meth", "func"):
        shown += "()"
    if "." not in target:  # relative: in the class or module of the docstring
        scope = obj if obj.is_class or obj.is_module else obj.parent
        target = f"{scope.path}.{target}" if scope is not None else target
    return f'<autoref identifier="{html.escape(target)}" optional><code>{html.escape(shown)}</code></autoref>'
