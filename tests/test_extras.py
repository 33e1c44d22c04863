"""jesign's ``mock`` extra: the SDK installed alone works, and what needs the mock says how to install it.

In this environment: the pytest plugins (every ``pytest11`` entry point of ``pyproject.toml``), the SDK and the
conformance suite import nothing of the mock extra's packages (nor of theirs), each in a fresh interpreter;
:func:`mock_provider.extra.unmet` reads requirements as pip does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mock_provider.extra import missing_message, unmet

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


# -- which packages belong to the mock extra alone -----------------------------------------------------------------


def closure(requirements: Iterable[Requirement]) -> set[str]:
    """The installed distributions that ``requirements`` bring, with theirs (and their extras'), by canonical name."""
    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        requirement = todo.pop()
        extras = sorted(requirement.extras)
        key = f"{canonicalize_name(requirement.name)}[{','.join(extras)}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            lines = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue  # not for this platform or Python
        for line in lines:
            needed = Requirement(line)
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in ["", *extras]):
                todo.append(needed)
    return {key.partition("[")[0] for key in seen}


def mock_only_distributions() -> set[str]:
    """What ``jesign[mock]`` installs that ``jesign`` alone does not: the SDK must never import any of it."""
    core = closure(Requirement(line) for line in PROJECT["dependencies"])
    mock = closure(Requirement(line) for line in PROJECT["optional-dependencies"]["mock"])
    return mock - core


def loaded_after(code: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    modules: list[str] = json.loads(done.stdout.splitlines()[-1])
    return modules


def from_mock_only(modules: Iterable[str]) -> list[str]:
    """Those of ``modules`` that come from a mock-only distribution."""
    forbidden = mock_only_distributions()
    homes = metadata.packages_distributions()
    tops = {name.partition(".")[0] for name in modules}
    return sorted(top for top in tops if any(canonicalize_name(d) in forbidden for d in homes.get(top, [])))


def test_the_mock_only_distributions_are_the_mock_s_stack() -> None:
    """The reference the next tests judge by: Flask and what it brings, but not what the SDK needs too."""
    forbidden = mock_only_distributions()
    assert {"flask", "werkzeug", "jinja2", "sqlalchemy", "waitress", "authlib", "pillow", "pyyaml"} <= forbidden
    assert not {"click", "cryptography", "requests", "joserfc", "packaging"} & forbidden


def test_the_pytest_plugins_load_nothing_of_the_mock() -> None:
    plugins = PYPROJECT["project"]["entry-points"]["pytest11"]
    assert set(plugins) == {"jesign", "jesign_conformance"}
    modules = loaded_after(
        "import importlib\n" + "\n".join(f"importlib.import_module({m!r})" for m in plugins.values())
    )
    assert from_mock_only(modules) == []
    ours = {m for m in modules if m.partition(".")[0] in {"mock_provider", "conformance", "jesign_sdk"}}
    assert ours == {"mock_provider", "mock_provider.pytest_plugin", "conformance", "conformance.pytest_plugin"}


def test_the_sdk_and_the_conformance_suite_import_nothing_of_the_mock() -> None:
    """Every module of jesign_sdk and conformance (CLIs, plans, reports), imported in a fresh interpreter."""
    modules = loaded_after(
        textwrap.dedent(
            """
            import importlib, pkgutil
            for top in ("jesign_sdk", "conformance"):
                package = importlib.import_module(top)
                for info in pkgutil.walk_packages(package.__path__, top + "."):
                    importlib.import_module(info.name)
            """
        )
    )
    assert "conformance.plans.registration" in modules  # the walk went deep
    assert from_mock_only(modules) == []
    assert not [m for m in modules if m.partition(".")[0] == "mock_provider"]


# -- what unmet() reads ----------------------------------------------------------------------------------------


def test_unmet_reads_the_mock_extra_as_pip_does() -> None:
    requires = [
        "requests>=2.31",  # core: installed by pip with jesign, not this module's business
        'flask>=3.0; extra == "mock"',
        "waitress<4,>=3.0.1; extra == 'mock'",
        'sqlalchemy>=2.0; extra == "mock" and python_version >= "3"',
        'pillow>=10; extra == "mock" and python_version < "3"',  # not for this Python
        'psycopg[binary]>=3.1; extra == "postgres"',
        'jesign[cjk,mock,postgres]; extra == "test"',
    ]
    installed = {"flask": "3.1.0", "waitress": "2.1.2"}

    def version(name: str) -> str:
        if name not in installed:
            raise metadata.PackageNotFoundError(name)
        return installed[name]

    assert unmet(requires, version) == ["waitress 2.1.2 not <4,>=3.0.1", "sqlalchemy not installed"]
    installed |= {"waitress": "3.0.2", "sqlalchemy": "2.1.0b1"}  # a pre-release is accepted, as pip installs it
    assert unmet(requires, version) == []


def test_here_the_mock_extra_is_installed_and_the_message_is_one_line() -> None:
    assert unmet() == []
    assert missing_message("jesign-mock") is None
    message = missing_message("jesign-mock", ["flask not installed", "waitress 2.1.2 not <4,>=3.0.1"])
    assert message == (
        "jesign-mock: jesign's mock extra is missing (flask not installed, waitress 2.1.2 not <4,>=3.0.1);"
        " install it with: pip install 'jesign[mock]'"
    )
