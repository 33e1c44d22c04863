"""What bench/mutation.py leaves out as equivalent by construction: only code no healthy run can observe."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("mutation_bench", Path(__file__).parents[2] / "bench" / "mutation.py")
assert _SPEC is not None
assert _SPEC.loader is not None
mutation = importlib.util.module_from_spec(_SPEC)
sys.modules["mutation_bench"] = mutation
_SPEC.loader.exec_module(mutation)


def _left_out(tmp_path: Path, source: str) -> list[str]:
    """The source text of every planted span."""
    path = tmp_path / "module.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    texts = []
    for (line, col), (end_line, end_col) in mutation.planted_spans(path):
        assert line == end_line, "the samples below keep each span on one line"
        texts.append(lines[line - 1][col:end_col])
    return sorted(texts)


def test_the_branch_a_switch_takes_is_left_out_and_the_switch_test_is_not(tmp_path: Path) -> None:
    source = """
        def f(self, broken, when):
            if X in self.breakages:
                return 1
            gen = when + 1 if Y.id in broken else when
            if Z not in self.breakages:
                healthy = 2
            else:
                planted = 3
            return gen
    """
    assert _left_out(tmp_path, source) == ["planted = 3", "return 1", "when + 1"]


def test_operands_whose_value_decides_nothing_while_switches_are_off(tmp_path: Path) -> None:
    source = """
        def f(status, broken, breakages, reg):
            if status.state == "unknown" and GOOD.id in broken:
                return 1
            if VISIBLE not in breakages or reg is None:
                return 2
            if X in breakages and check(reg):
                return 3
            return 4
    """
    # ``check(reg)`` comes after the switch test: ``and`` stops before it while the switch is off.
    assert _left_out(tmp_path, source) == [
        "check(reg)",
        "reg is None",
        "return 1",
        "return 3",
        'status.state == "unknown"',
    ]


def test_a_call_before_the_switch_test_runs_and_is_kept(tmp_path: Path) -> None:
    source = """
        def f(breakages, reg):
            if check(reg) and X in breakages:
                return 1
            if len(reg.items(1)) < 2 and Y in breakages:
                return 2
    """
    assert _left_out(tmp_path, source) == ["return 1", "return 2"]


def test_a_pure_builtin_before_the_switch_test_is_left_out(tmp_path: Path) -> None:
    source = """
        def f(breakages, mine):
            if len(mine) < 2 and isinstance(mine, list) and X in breakages:
                return 1
    """
    assert _left_out(tmp_path, source) == ["isinstance(mine, list)", "len(mine) < 2", "return 1"]


@pytest.mark.parametrize(
    "test",
    [
        "X in breakages and Y in breakages",
        "X in breakages or Y in breakages",
        "not X not in breakages",
        "breakages.any_of(X, Y)",
        "_broken(breakages, X)",
    ],
)
def test_every_form_of_switch_test(tmp_path: Path, test: str) -> None:
    # (In the first form, "Y in breakages" is left out too: it is evaluated only once X is on.)
    assert "planted = 1" in _left_out(tmp_path, f"if {test}:\n    planted = 1\n")


def test_code_that_does_not_depend_on_a_switch_is_kept(tmp_path: Path) -> None:
    source = """
        def f(breakages, a, b):
            if a in b:
                return 1
            if a or X in breakages:
                return 2
            return 3 if len(breakages) else 4
    """
    assert _left_out(tmp_path, source) == []


def test_columns_count_characters_not_bytes(tmp_path: Path) -> None:
    assert _left_out(tmp_path, 'é = "déjà" if X in breakages else "à"\n') == ['"déjà"']


def test_a_parenthesised_operand_is_left_out_with_its_parentheses(tmp_path: Path) -> None:
    # ast leaves the parentheses out of the operand's node; Cosmic Ray's AddNot on the whole test starts at the
    # "(" (``if not (…) and X in breakages``: false while X is off, as before), so the span must start there.
    source = """
        def f(breakages, personal, wanted):
            if (personal is None or personal.id != wanted) and X in breakages:
                return 1
            if (personal and Y in breakages):
                return 2
            return f((wanted)) if Z in breakages else ((wanted))
    """
    assert _left_out(tmp_path, source) == [
        "(personal is None or personal.id != wanted)",
        "f((wanted))",
        "personal",
        "return 1",
        "return 2",
    ]


def test_parentheses_over_several_lines_are_found(tmp_path: Path) -> None:
    path = tmp_path / "module.py"
    path.write_text("if (\n    a or b\n) and X in breakages:\n    c = 1\n", encoding="utf-8")
    assert sorted(mutation.planted_spans(path)) == [((1, 3), (3, 1)), ((4, 4), (4, 9))]


def test_every_listed_equivalent_names_a_line_that_is_still_there() -> None:
    """An entry whose line moved or changed would silently stop matching (its mutant would count as a survivor)."""
    stale = []
    for module, _operator, line in mutation.load_equivalents():
        assert module in mutation.RULE_MODULES, f"{module} is not among the mutated modules"
        source = (mutation.REPO / module).read_text(encoding="utf-8")
        if line.strip() not in {text.strip() for text in source.splitlines()}:
            stale.append(f"{module}: {line}")
    assert stale == []


def test_either_of_two_switches_is_one_switch_test(tmp_path: Path) -> None:
    source = """
        def f(breakages, reg):
            if X in breakages or Y in breakages:
                return 1
            if X in breakages or check(reg):
                return 2
    """
    # The second test can be true with every switch off (``check(reg)``): its branch runs, and is kept.
    assert _left_out(tmp_path, source) == ["return 1"]
