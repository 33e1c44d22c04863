"""jesign's ``mock`` extra: the SDK installed alone works, and what needs the mock says how to install it.

- In this environment: the pytest plugins (every ``pytest11`` entry point of ``pyproject.toml``), the SDK and the
  conformance suite import nothing of the mock extra's packages (nor of theirs), each in a fresh interpreter;
  :func:`mock_provider.extra.unmet` reads requirements as pip does.
- In a fresh virtual environment (marked ``install``): ``pip install`` of this source tree without extras, then an
  unrelated pytest test passes, a test using the plugin's fixtures ends in error with the one-line install hint,
  and ``jesign-mock`` prints that line and exits with status 1; ``jesign`` and ``jesign-conformance`` work.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mock_provider.extra import INSTALL, missing_message, unmet

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


@pytest.mark.slow
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


# -- the SDK alone, in a fresh virtual environment -------------------------------------------------------------


def clean_environment() -> dict[str, str]:
    """This process's environment without what would make the fresh one see this one (its paths, pytest's)."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_XDIST")
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)}


def copy_sources(target: Path) -> Path:
    """What an sdist holds: the project file, the readme and licence, the packages (no caches, no build output)."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.removesuffix("*")
        shutil.copytree(ROOT / package, target / package, ignore=ignore)
    return target


def run(command: list[str | Path], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_environment(),
        timeout=timeout,
        check=False,
    )


@pytest.mark.install
def test_the_sdk_alone_leaves_pytest_working_and_says_how_to_install_the_mock(tmp_path: Path) -> None:
    source = copy_sources(tmp_path / "jesign")
    venv = tmp_path / "venv"
    # No pip in the new environment (ensurepip takes seconds): this one's pip installs into it, from the index and
    # the cache this machine's pip is configured with, as `pip install jesign pytest` would.
    created = run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    python, scripts = venv / "bin" / "python", venv / "bin"
    install = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-compile", source, "pytest"]
    installed = run(install, cwd=tmp_path, timeout=180)
    assert installed.returncode == 0, installed.stderr
    mock_modules = ("flask", "werkzeug", "waitress", "sqlalchemy", "authlib", "yaml", "PIL")
    alone = run(
        [python, "-c", f"import importlib.util as u; print([m for m in {mock_modules} if u.find_spec(m)])"], tmp_path
    )
    assert alone.stdout.strip() == "[]", "the mock extra's packages came with the SDK alone"

    project = tmp_path / "project"
    project.mkdir()
    (project / "test_unrelated.py").write_text("def test_arithmetic():\n    assert 6 * 7 == 42\n")
    unrelated = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_unrelated.py"], cwd=project)
    assert unrelated.returncode == 0, unrelated.stdout + unrelated.stderr
    assert "1 passed" in unrelated.stdout

    # What is missing: the extra's packages that the SDK does not need too, in pyproject.toml's order.
    core = {canonicalize_name(Requirement(line).name) for line in PROJECT["dependencies"]}
    extra = [Requirement(line).name for line in PROJECT["optional-dependencies"]["mock"]]
    missing = ", ".join(f"{name} not installed" for name in extra if canonicalize_name(name) not in core)
    hint = f"jesign's mock extra is missing ({missing}); install it with: {INSTALL}"

    (project / "test_fixture.py").write_text("def test_with_the_mock(jesign_client):\n    jesign_client()\n")
    fixture = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_fixture.py"], cwd=project)
    assert fixture.returncode == 1, fixture.stdout + fixture.stderr
    assert "1 error" in fixture.stdout
    assert f"jesign's pytest fixtures (jesign_mock, jesign_client): {hint}" in fixture.stdout.splitlines()
    assert "ModuleNotFoundError" not in fixture.stdout
    assert "Traceback" not in fixture.stdout

    for arguments in (["--help"], ["serve"], ["pki", "show"]):
        mock = run([scripts / "jesign-mock", *arguments], cwd=project)
        assert mock.returncode == 1, mock.stderr
        assert mock.stdout == ""
        assert mock.stderr.splitlines() == [f"jesign-mock: {hint}"]

    for command in (["jesign", "--help"], ["jesign-conformance", "list", "--plan", "smoke"]):
        works = run([scripts / command[0], *command[1:]], cwd=project)
        assert works.returncode == 0, works.stderr
