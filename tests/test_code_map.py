"""The code map of docs/architecture.md (docs/hooks/code_map.py): every module listed with its docstring's first
sentence, and a module without a docstring refused."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("code_map", ROOT / "docs" / "hooks" / "code_map.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_module_is_on_the_map() -> None:
    code_map = _hook()
    rendered = code_map.render_markdown()
    for package in code_map.PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            shown = path.parent if path.name == "__init__.py" else path
            suffix = "/" if path.name == "__init__.py" else ""
            assert f"| `{shown.relative_to(ROOT).as_posix()}{suffix}` |" in rendered
    control = "| `mock_provider/core/control.py` | The control plane's operations: what `/_mock` (`mock_provider.api."
    assert control in rendered


def test_a_summary_is_the_first_sentence_in_markdown(tmp_path: Path) -> None:
    code_map = _hook()
    module = tmp_path / "m.py"
    module.write_text('"""Signs with :class:`~a.b.Signer` (``sign``, e.g. here), per RFC 5.1 | 2.\n\nMore. Again."""\n')
    assert code_map.summary(module) == "Signs with `Signer` (`sign`, e.g. here), per RFC 5.1 \\| 2."
    module.write_text("x = 1\n")
    with pytest.raises(RuntimeError, match="no module docstring"):
        code_map.summary(module)
