"""Whether jesign's ``mock`` extra is installed, and the one line that says how to install it when it is not.

``pip install jesign`` brings the SDK alone; the mock needs the packages of the ``mock`` extra (Flask, SQLAlchemy,
waitress...). What they are is read from jesign's own installed metadata (its ``Requires-Dist`` lines for
``extra == "mock"``, written from ``pyproject.toml``), so there is no second list to keep in step; a package
installed at a version the extra does not accept counts as missing.

The callers (``jesign-mock``, the pytest plugin's fixtures) ask :func:`missing_message` before they import any of
the mock, and print its line instead of a ``ModuleNotFoundError``. This module needs only the standard library and
``packaging`` (a core dependency).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import metadata

from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

EXTRA = "mock"
#: What to run to install it.
INSTALL = "pip install 'jesign[mock]'"


def unmet(
    requires: Iterable[str] | None = None,
    installed_version: Callable[[str], str] = metadata.version,
    extra: str = EXTRA,
) -> list[str]:
    """The requirements of ``extra`` that are not met, each as ``"flask not installed"`` or
    ``"waitress 2.1.2 not <4,>=3.0.1"``; empty when all are.

    ``requires`` defaults to jesign's own ``Requires-Dist`` lines; when jesign itself is not installed (its sources
    on ``sys.path``), nothing can be told and nothing is reported.
    """
    if requires is None:
        try:
            requires = metadata.requires("jesign") or []
        except metadata.PackageNotFoundError:
            return []
    problems = []
    for line in requires:
        requirement = Requirement(line)
        if requirement.marker is None or not requirement.marker.evaluate({"extra": extra}):
            continue  # a core dependency, or another extra's
        try:
            found = installed_version(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{requirement.name} not installed")
            continue
        try:
            accepted = requirement.specifier.contains(Version(found), prereleases=True)
        except InvalidVersion:
            accepted = True  # a version packaging cannot read: let the import decide
        if not accepted:
            problems.append(f"{requirement.name} {found} not {requirement.specifier}")
    return problems


def missing_message(who: str, problems: list[str] | None = None) -> str | None:
    """The one line telling ``who`` (a command, the fixtures) that the ``mock`` extra is missing, or None when it is
    installed."""
    problems = unmet() if problems is None else problems
    if not problems:
        return None
    return f"{who}: jesign's mock extra is missing ({', '.join(problems)}); install it with: {INSTALL}"
