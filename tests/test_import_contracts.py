"""The dependency rules of DESIGN.md section 6, under a plain ``pytest``: the import contracts of ``pyproject.toml``
(import-linter) hold, each one breaks when the code breaks its rule, and importing the core or the SDK in a fresh
interpreter loads no web framework (which also catches an import made by name, which import-linter cannot see).
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("jesign_sdk", "mock_provider", "conformance")


def test_the_import_contracts_hold(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert exit_code == 0, report
    assert "0 broken" in report


#: One way to break each contract: (module file to append to, the import appended, the contract's id).
VIOLATIONS = [
    ("mock_provider/core/clock.py", "import flask", "core-knows-no-http"),
    ("mock_provider/core/otp.py", "import mock_provider.web.console", "core-knows-no-http"),
    ("mock_provider/core/models.py", "from mock_provider.sso import blueprint", "core-knows-no-http"),
    ("jesign_sdk/errors.py", "import mock_provider.core.clock", "sdk-knows-only-http"),
    ("mock_provider/api/platform.py", "from mock_provider.sso import server", "adapters-are-siblings"),
    ("mock_provider/web/console.py", "from mock_provider.api import control", "adapters-are-siblings"),
    ("mock_provider/http_common/pages.py", "import mock_provider.web", "http-common-is-neutral"),
    ("conformance/registry.py", "import mock_provider.core.services", "conformance-judges-over-http"),
]


CONTRACT_NAMES = {
    contract["id"]: contract["name"]
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}


@pytest.fixture(scope="module")
def broken_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``lint-imports``'s report on a copy of the three packages with every import of :data:`VIOLATIONS` added.

    It runs in an interpreter that cannot see the installed packages: the editable install maps their names to
    this checkout through a finder that ``site`` sets up, and ``-S`` skips it, so the copy is what is judged.
    """
    tree = tmp_path_factory.mktemp("broken")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path, statement, _ in VIOLATIONS:
        with (tree / path).open("a", encoding="utf-8") as module:
            module.write(f"\n{statement}  # noqa\n")
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{str(tree)!r}, *{site.getsitepackages()!r}]
        from importlinter.cli import lint_imports
        sys.exit(lint_imports(config_filename="pyproject.toml", no_cache=True))
        """
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", script],
        cwd=tree,
        env={**os.environ, "COLUMNS": "1000"},  # one contract a line, not wrapped
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("contract", sorted({contract for _, _, contract in VIOLATIONS}))
def test_each_contract_breaks_when_its_rule_is_broken(broken_report: str, contract: str) -> None:
    name = CONTRACT_NAMES[contract]
    assert f"{name} BROKEN" in broken_report
    section = broken_report.split("Broken contracts", 1)[1].split(f"{name}\n", 1)[1]
    following = [n for n in CONTRACT_NAMES.values() if f"\n{n}\n" in section]
    for other in following:
        section = section.split(f"\n{other}\n", 1)[0]
    for path, statement, violated in VIOLATIONS:
        if violated == contract:
            importer = path.removesuffix(".py").replace("/", ".")
            assert importer in section, f"{statement!r} in {path} went unseen:\n{section}"


#: Importing these must not load any of those (nor any of their submodules).
UNLOADED = {
    "mock_provider.core.registration": ("flask", "werkzeug", "waitress", "authlib", "mock_provider.api",
                                        "mock_provider.sso", "mock_provider.web", "mock_provider.http_common"),
    "mock_provider.core.services": ("flask", "werkzeug", "waitress", "authlib", "mock_provider.api",
                                    "mock_provider.sso", "mock_provider.web", "mock_provider.http_common"),
    # create_app and the rest are imported on first use: the plugin and jesign-mock load with the SDK alone.
    "mock_provider": ("flask", "werkzeug", "waitress", "sqlalchemy", "authlib"),
    "mock_provider.pytest_plugin": ("flask", "werkzeug", "waitress", "sqlalchemy", "authlib"),
    "jesign_sdk": ("mock_provider", "conformance", "flask", "sqlalchemy", "waitress"),
    "conformance": ("mock_provider", "flask", "sqlalchemy"),
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(UNLOADED))
def test_importing_loads_no_framework(module: str) -> None:
    script = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert module in loaded
    unwanted = [name for name in loaded if any(name == x or name.startswith(x + ".") for x in UNLOADED[module])]
    assert not unwanted, f"import {module} loads {unwanted}"
