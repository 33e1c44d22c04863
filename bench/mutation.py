"""Mutation score of the conformance suite: how many faults written into the mock's rules does it fail?

The suite proves that it catches every rule-breakage switch the mock declares; this measures it against faults
nobody planted. `Cosmic Ray <https://cosmic-ray.readthedocs.io>`_ writes one small fault at a time into the mock's
rule modules (a comparison turned around, a number moved by one, a condition negated, a ``break`` turned into
``continue``…); for each such *mutant* the whole conformance suite runs against the mutated mock, served in
process on an SQLite file (as ``jesign-mock serve`` runs by default). A mutant the suite fails is *killed*; one it
passes *survives*: a broken provider the suite would report as conforming.

What it does:

1. copies the repository's working tree (not ``.git`` nor ``.venv``) to a temporary folder, where Cosmic Ray
   mutates the files (your tree is never touched);
2. ``cosmic-ray init`` over :data:`RULE_MODULES` (or the ``--module`` ones), then leaves out two kinds of mutants
   that are equivalent by construction: those inside type annotations (never evaluated) and those in code that runs
   only while a breakage switch is on (the branch ``if X in breakages:`` takes, see :func:`planted_spans`; the
   switch tests themselves are mutated, and must be killed);
3. with ``--sample N`` (default 300) keeps a seeded random sample of N of the others (``--seed``), ``--all`` keeps
   every one;
4. runs the healthy suite once (it must conform, else the score means nothing), then ``cosmic-ray exec``: each
   mutant is one run of this script with ``--suite`` (exit 0: the suite passed, the mutant survived), with a
   timeout of ``--timeout`` seconds (a mutant that hangs the mock counts as killed);
5. prints the score and every surviving mutant (module, line, operator, the changed line), less those listed in
   ``bench/mutation_equivalents.toml``: mutants that change nothing a caller can observe, each with its reason.
   ``--report FOLDER`` prints it again for a folder kept with ``--keep`` (after adding equivalents, say);
   ``--rerun FOLDER`` runs only that run's survivors again on this tree (after adding checks), found by their line's
   text and column, and prints the earlier run's score with their new outcomes.

Score = killed / (killed + surviving), over non-equivalent mutants; timeouts count as killed, mutants that break
the import of the mock (incompetent) are left out. Target (issue 12): at least 90 %.

Run it from the repository's root: ``.venv/bin/python bench/mutation.py`` (``--help``; ``tox -e mutation``). It
takes a long time: about 10 s of one core per mutant; ``--jobs 2`` runs two at once, each in its own copy of the
tree. Not part of the test run.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: The mock's rule modules: where the rules the suite checks are written. Left out: the plumbing (storage, models,
#: clock, ids), the bounded image decoder (core/images.py: memory, not a rule a provider is judged on) and the
#: mock's own misbehaviour (core/misbehaviour/: scenarios, faults, switch declarations; no real provider has them).
RULE_MODULES = (
    "mock_provider/core/registration/states.py",
    "mock_provider/core/registration/texts.py",
    "mock_provider/core/registration/parsing.py",
    "mock_provider/core/registration/platform.py",
    "mock_provider/core/registration/delegations.py",
    "mock_provider/core/registration/operator_calls.py",
    "mock_provider/core/registration/applicant.py",
    "mock_provider/core/registration/identity_document.py",
    "mock_provider/core/registration/review.py",
    "mock_provider/core/registration/views.py",
    "mock_provider/core/otp.py",
    "mock_provider/core/signing.py",
    "mock_provider/core/documents/kinds.py",
    "mock_provider/core/documents/inspection.py",
    "mock_provider/core/documents/mrz.py",
    "mock_provider/core/accounts.py",
    "mock_provider/core/pki/authority.py",
    "mock_provider/core/pki/profiles.py",
    "mock_provider/core/pki/ocsp.py",
    "mock_provider/core/pki/crl.py",
    "mock_provider/core/pki/tsa.py",
    "mock_provider/core/pki/times.py",
    "mock_provider/sso/server.py",
    "mock_provider/http_common/oauth2_clients.py",
    "mock_provider/sso/grants.py",
    "mock_provider/sso/id_token.py",
    "mock_provider/sso/endpoints.py",
    "mock_provider/core/sso_tokens.py",
)
EQUIVALENTS = REPO / "bench" / "mutation_equivalents.toml"
TARGET_SCORE = 0.90
_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".tox", "build", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".jesign-mock"
)


def run_suite() -> int:
    """One run of the whole suite against the mock of the tree this file is in: 0 if it conforms, else 1."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conformance import MockHarness, run_conformance, serve_wsgi
    from conformance.results import Status
    from mock_provider import create_app

    with tempfile.TemporaryDirectory(prefix="jesign-mutant-") as folder:
        config = {
            "database_url": f"sqlite:///{folder}/mock.sqlite3",
            "secret_key": "mutation-testing-secret-key",
            "data_dir": folder,
        }
        with serve_wsgi(factory=lambda url: create_app({**config, "public_base_url": url})) as url:
            report = run_conformance(url, harness=MockHarness())
    bad = [r for r in report.results if r.status in (Status.FAILED, Status.ERROR)]
    for result in bad[:5]:
        print(f"{result.id}: {result.status.value} {result.reason}")
    return 1 if bad or report.smoke_failed else 0


@dataclass(frozen=True)
class Mutant:
    job_id: str
    module: str
    line: int
    operator: str
    source: str
    outcome: str
    test_outcome: str | None
    column: int = 0

    @property
    def place(self) -> tuple[str, str, str, int]:
        """Where the mutant is, in terms that survive edits elsewhere in the module: module, operator, the line's
        text and the column from the line's first non-blank character."""
        return (
            self.module,
            self.operator,
            self.source.strip(),
            self.column - (len(self.source) - len(self.source.lstrip())),
        )

    @property
    def key(self) -> tuple[str, str, str]:
        """What an equivalents entry names: the module, the operator and the mutated line's text."""
        return (self.module, self.operator, self.source.strip())


#: The two kinds of entries of bench/mutation_equivalents.toml. ``equivalent``: no client can see the difference.
#: ``conforming``: a client can see it, but the provider it makes still follows every rule (a CRL signed afresh on
#: each fetch, a 17-byte random TSA serial); the reason names the latitude the rule leaves. Both are left out of the
#: score; the report also gives the stricter score that counts the second kind as surviving.
KINDS = ("equivalent", "conforming")


def load_equivalents() -> dict[tuple[str, str, str], tuple[str, str]]:
    """(module, operator, line) → (kind, reason) for every entry of bench/mutation_equivalents.toml."""
    data = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")) if EQUIVALENTS.exists() else {}
    return {
        (e["module"], e["operator"], e["line"].strip()): (kind, e["reason"])
        for kind in KINDS
        for e in data.get(kind, [])
    }


def write_config(work: Path, timeout: float, mutated: tuple[str, ...]) -> Path:
    modules = ", ".join(json.dumps(m) for m in mutated)
    command = f"{sys.executable} {work / 'bench' / 'mutation.py'} --suite"
    config = work / "mutation.toml"
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = [{modules}]\n"
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        '[cosmic-ray.distributor]\nname = "local"\n',
        encoding="utf-8",
    )
    return config


def annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's type annotations are. With ``from __future__ import annotations`` they are never
    evaluated, so a mutant inside one (``str | None`` made ``str - None``) is equivalent by construction."""
    spans = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        found: list[ast.expr | None] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            found = [a.annotation for a in every if a is not None] + [node.returns]
        elif isinstance(node, ast.AnnAssign):
            found = [node.annotation]
        spans += [
            ((a.lineno, a.col_offset), (a.end_lineno or a.lineno, a.end_col_offset or 0))
            for a in found
            if a is not None
        ]
    return spans


ANNOTATION = "inside a type annotation, never evaluated"
PLANTED = "runs only while a breakage switch is on"

Span = tuple[tuple[int, int], tuple[int, int]]


def _is_switches(node: ast.expr) -> bool:
    """``breakages``, ``self.breakages``, ``broken``…: the set of breakage switches that are on."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name in ("breakages", "broken")


def _switch_test(node: ast.expr) -> bool | None:
    """True if ``node`` can be true only while a breakage switch is on (``X in breakages``), False if it can be
    false only then (``X not in breakages``), None if it does not depend on one that way."""
    match node:
        case ast.Compare(ops=[ast.In()], comparators=[switches]) if _is_switches(switches):
            return True
        case ast.Compare(ops=[ast.NotIn()], comparators=[switches]) if _is_switches(switches):
            return False
        # Earlier forms, kept for mutation runs over older code: ``breakages.any_of(X, Y)``, ``_broken(breakages, X)``.
        case ast.Call(func=ast.Attribute(attr="any_of", value=switches)) if _is_switches(switches):
            return True
        case ast.Call(func=ast.Name(id="_broken"), args=[switches, _]) if _is_switches(switches):
            return True
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            inner = _switch_test(operand)
            return None if inner is None else not inner
        case ast.BoolOp(op=ast.And(), values=values) if True in map(_switch_test, values):
            return True
        case ast.BoolOp(op=ast.Or(), values=values) if False in map(_switch_test, values):
            return False
        case ast.BoolOp(op=ast.Or(), values=values) if all(_switch_test(v) is True for v in values):
            return True  # ``X in breakages or Y in breakages``: true only while one of them is on
    return None


#: Builtins whose call has no effect: an operand calling only these (``len(mine) < 2``) may be left out.
_PURE_BUILTINS = frozenset({"len", "isinstance"})


def _pure_call(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id in _PURE_BUILTINS


def planted_spans(path: Path) -> list[Span]:
    """Where the code that runs only while a breakage switch is on is: the branch an ``if``/``… if … else …`` takes
    when a switch is on, and the operands of ``a and X in breakages`` whose value then decides nothing. With every
    switch off (as the suite runs) none of it is evaluated, or its value cannot change what the mock does: a mutant
    there is equivalent by construction; so is a mutant in an operand after the switch test (``X in breakages and
    f()``: ``f()`` never runs while the switch is off). The switch tests themselves (``X in breakages`` made
    ``not in``) are mutated and must be killed: the check that names the switch catches them."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()

    def position(line: int, byte_col: int) -> tuple[int, int]:  # ast counts UTF-8 bytes, Cosmic Ray characters
        return line, len(lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def previous(line: int, col: int) -> tuple[int, int] | None:  # the last non-blank character before
        while True:
            col -= 1
            while col < 0:
                line -= 1
                if line < 1:
                    return None
                col = len(lines[line - 1]) - 1
            if not lines[line - 1][col].isspace():
                return line, col

    def following(line: int, col: int) -> tuple[int, int] | None:  # the first non-blank character from there
        while line <= len(lines):
            while col < len(lines[line - 1]):
                if not lines[line - 1][col].isspace():
                    return line, col
                col += 1
            line, col = line + 1, 0
        return None

    def parenthesised(start: tuple[int, int], end: tuple[int, int]) -> Span:
        """The span with the parentheses that enclose exactly it: ast leaves them out of an expression's node, but
        they are its text, and Cosmic Ray's AddNot on ``if (a) and X in breakages:`` starts at that ``(``."""
        while (before := previous(*start)) and (after := following(*end)):
            if lines[before[0] - 1][before[1]] != "(" or lines[after[0] - 1][after[1]] != ")":
                break
            start, end = before, (after[0], after[1] + 1)
        return start, end

    def span_of(nodes: list[ast.stmt] | list[ast.expr]) -> list[Span]:
        spans = [
            (n, position(n.lineno, n.col_offset), position(n.end_lineno or n.lineno, n.end_col_offset or 0))
            for n in nodes
        ]
        return [parenthesised(start, end) if isinstance(n, ast.expr) else (start, end) for n, start, end in spans]

    spans: list[Span] = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.If | ast.IfExp | ast.While):
            test = _switch_test(node.test)
            body = node.body if isinstance(node.body, list) else [node.body]
            orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
            spans += span_of(body if test is True else orelse if test is False else [])
        elif isinstance(node, ast.BoolOp):
            wanted = isinstance(node.op, ast.And)
            tests = [_switch_test(v) for v in node.values]
            if wanted in tests:
                first = tests.index(wanted)
                # Before the switch test: evaluated, but its value decides nothing (kept if it calls anything, which
                # may have effects). After it: never evaluated while the switch is off (``and`` stops there).
                idle = [
                    v
                    for v in node.values[:first]
                    if not any(
                        (isinstance(n, ast.Call) and not _pure_call(n)) or (isinstance(n, ast.expr) and _is_switches(n))
                        for n in ast.walk(v)
                    )
                ] + node.values[first + 1 :]
                spans += span_of(idle)
    return spans


def left_out(work: Path, modules: tuple[str, ...]) -> dict[str, list[tuple[Span, str]]]:
    """Per module, the spans whose mutants are equivalent by construction, each with its reason."""
    return {
        module: [(span, ANNOTATION) for span in annotation_spans(work / module)]
        + [(span, PLANTED) for span in planted_spans(work / module)]
        for module in modules
    }


def why_left_out(mutation: object, spans: dict[str, list[tuple[Span, str]]]) -> str | None:
    start = tuple(mutation.start_pos)  # type: ignore[attr-defined]
    for (first, end), reason in spans.get(str(mutation.module_path), []):  # type: ignore[attr-defined]
        if first <= start < end:
            return reason
    return None


def skip_equivalent_by_construction(session: Path, work: Path, modules: tuple[str, ...]) -> Counter[str]:
    """Mark the mutants inside type annotations or inside code that runs only under a breakage switch as skipped
    (see :func:`annotation_spans`, :func:`planted_spans`); answer how many of each."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans = left_out(work, modules)
    counts: Counter[str] = Counter()
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            if reason := why_left_out(item.mutations[0], spans):
                counts[reason] += 1
                db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
    return counts


def sample(session: Path, size: int | None, seed: int) -> tuple[int, int]:
    """Keep ``size`` pending mutants chosen at random with ``seed`` (all if None); mark the others skipped."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session), WorkDB.Mode.open) as db:
        # Job ids are random: order the mutants by what they are, so that a seed always picks the same ones.
        items = sorted(
            db.pending_work_items,
            key=lambda i: (str(i.mutations[0].module_path), i.mutations[0].operator_name, i.mutations[0].occurrence),
        )
        jobs = [item.job_id for item in items]
        if size is None or size >= len(jobs):
            return len(jobs), len(jobs)
        kept = set(random.Random(seed).sample(jobs, size))  # noqa: S311 - a reproducible sample, not a secret
        skipped = [job for job in jobs if job not in kept]
        db.set_multiple_results(skipped, WorkResult(output="not in the sample", worker_outcome=WorkerOutcome.SKIPPED))
        return len(jobs), size


NOT_A_SURVIVOR = "not a survivor of the run tried again"


def keep_only(session: Path, work: Path, places: set[tuple[str, str, str, int]]) -> int:
    """Keep the pending mutants at one of ``places`` (see :attr:`Mutant.place`), mark the others skipped; answer how
    many are kept."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    texts = {module: (work / module).read_text(encoding="utf-8").splitlines() for module in RULE_MODULES}
    kept, others = 0, []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            line, column = mutation.start_pos
            source = texts[str(mutation.module_path)][line - 1]
            mutant = Mutant(
                item.job_id, str(mutation.module_path), line, mutation.operator_name, source, "", None, column
            )
            if mutant.place in places:
                kept += 1
            else:
                others.append(item.job_id)
        db.set_multiple_results(others, WorkResult(output=NOT_A_SURVIVOR, worker_outcome=WorkerOutcome.SKIPPED))
    return kept


ANOTHER_WORKER = "run by another worker"


def split(work: Path, jobs: int, timeout: float, modules: tuple[str, ...]) -> list[tuple[Path, Path]]:
    """Make ``jobs`` workers of the prepared session in ``work``: copies of the folder, each of which runs every
    ``jobs``-th pending mutant (the others marked as another worker's); answer each one's (config, session)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    folders = [work] + [work.with_name(f"{work.name}-worker{i}") for i in range(1, jobs)]
    for folder in folders[1:]:
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(work, folder)
    workers = []
    for index, folder in enumerate(folders):
        session = folder / "session.sqlite"
        with use_db(str(session), WorkDB.Mode.open) as db:
            pending = sorted(item.job_id for item in db.pending_work_items)
            others = [job for position, job in enumerate(pending) if position % jobs != index]
            db.set_multiple_results(others, WorkResult(output=ANOTHER_WORKER, worker_outcome=WorkerOutcome.SKIPPED))
        workers.append((write_config(folder, timeout, modules), session))
    return workers


def mutants(session: Path, work: Path, modules: tuple[str, ...]) -> tuple[list[Mutant], Counter[str]]:
    """The mutants run, and how many were left out as equivalent by construction, per reason (also those of a
    session sampled before a reason was known: they ran, but their outcome means nothing)."""
    from cosmic_ray.work_db import WorkDB, use_db

    spans = left_out(work, modules)
    found, equivalent = [], Counter[str]()
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            mutation = item.mutations[0]
            reason = result.output if result.output in (ANNOTATION, PLANTED) else why_left_out(mutation, spans)
            if reason:
                equivalent[reason] += 1
                continue
            if result.output in ("not in the sample", ANOTHER_WORKER, NOT_A_SURVIVOR):
                continue
            lines = (work / mutation.module_path).read_text(encoding="utf-8").splitlines()
            line = mutation.start_pos[0]
            found.append(
                Mutant(
                    item.job_id,
                    str(mutation.module_path),
                    line,
                    mutation.operator_name,
                    lines[line - 1] if line <= len(lines) else "",
                    str(result.worker_outcome.value),
                    str(result.test_outcome.value) if result.test_outcome else None,
                    mutation.start_pos[1],
                )
            )
    return found, equivalent


def report(
    found: list[Mutant],
    equivalents: dict[tuple[str, str, str], tuple[str, str]],
    left: Counter[str],
    seconds: float | None,
) -> bool:
    tested = [m for m in found if m.outcome == "normal"]
    pending = [m for m in found if m.outcome not in ("normal", "timeout", "exception")]
    outcomes = Counter(m.test_outcome for m in tested)
    abnormal = Counter(m.outcome for m in found if m.outcome != "normal")
    survivors = [m for m in tested if m.test_outcome == "survived"]
    listed = {kind: [m for m in survivors if equivalents.get(m.key, ("",))[0] == kind] for kind in KINDS}
    alive = [m for m in survivors if m.key not in equivalents]
    killed = outcomes["killed"] + abnormal["timeout"]
    score = killed / (killed + len(alive)) if killed + len(alive) else 0.0
    strict_alive = len(alive) + len(listed["conforming"])
    strict = killed / (killed + strict_alive) if killed + strict_alive else 0.0
    print("jesign conformance suite: mutation score over the mock's rule modules")
    run = len(tested) + abnormal["timeout"] + abnormal["exception"]
    print(f"  mutants run:  {run}{' (unfinished)' if pending else ''}")
    print(f"  left out:     {left[ANNOTATION]} inside type annotations (never evaluated)")
    print(f"                {left[PLANTED]} in code that runs only while a breakage switch is on")
    if seconds is not None:
        print(f"  time:         {seconds / 60:.1f} min")
    print(
        f"  killed:       {outcomes['killed']}, timeouts {abnormal['timeout']} (counted killed), "
        f"incompetent {outcomes['incompetent'] + abnormal['exception']} (left out)"
    )
    print(
        f"  survived:     {len(survivors)}, of which {len(listed['equivalent'])} equivalent and "
        f"{len(listed['conforming'])} conforming either way (bench/mutation_equivalents.toml)"
    )
    print(f"  score:        {score:.1%} of {killed + len(alive)} non-equivalent mutants (target {TARGET_SCORE:.0%})")
    print(f"  strict score: {strict:.1%}, counting the conforming-either-way survivors as surviving")
    print(f"  per module:   {dict(Counter(Path(m.module).name for m in alive))}")
    print()
    print("Surviving mutants (a broken provider the suite calls conforming):")
    for m in sorted(alive, key=lambda m: (m.module, m.line)):
        print(f"  {m.module}:{m.line}  {m.operator}\n      {m.source.strip()}")
    for kind, title in zip(KINDS, ("Equivalent survivors", "Survivors that still conform"), strict=True):
        print()
        print(f"{title}:")
        for m in sorted(listed[kind], key=lambda m: (m.module, m.line)):
            print(f"  {m.module}:{m.line}  {m.operator}: {equivalents[m.key][1]}\n      {m.source.strip()}")
    return score >= TARGET_SCORE


def previous_run(folder: Path) -> tuple[list[Mutant], Counter[str]]:
    """The mutants of a kept work folder and its workers', and how many were left out, per reason."""
    folders = [folder, *sorted(folder.parent.glob(f"{folder.name}-worker*"))]
    runs = [mutants(f / "session.sqlite", f, RULE_MODULES) for f in folders]
    return [m for run, _ in runs for m in run], runs[0][1]


def rerun_report(before: list[Mutant], again: list[Mutant], modules: tuple[str, ...]) -> list[Mutant]:
    """Print what became of the earlier run's survivors; answer the earlier run's mutants with the new outcomes of
    those run again (a survivor whose line is gone from the tree stays as it was: nothing says it is killed)."""
    outcome = {m.place: m for m in again}
    equivalents = load_equivalents()
    survivors = [m for m in before if m.test_outcome == "survived" and m.key not in equivalents and m.module in modules]
    now_killed = [m for m in survivors if m.place in outcome and outcome[m.place].test_outcome != "survived"]
    still = [m for m in survivors if m.place in outcome and outcome[m.place].test_outcome == "survived"]
    gone = [m for m in survivors if m.place not in outcome]
    print(f"The {len(survivors)} surviving mutants of the earlier run, run again on this tree:")
    print(f"  now killed: {len(now_killed)}; still surviving: {len(still)}; line changed, not run: {len(gone)}")
    for m in sorted(gone, key=lambda m: (m.module, m.line)):
        print(f"  not run (line changed): {m.module}:{m.line}  {m.operator}\n      {m.source.strip()}")
    print()
    return [outcome.get(m.place, m) if m in survivors else m for m in before]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mutation score of the conformance suite over the mock's rules.")
    parser.add_argument("--suite", action="store_true", help="run the suite once against this tree's mock (internal)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--sample", type=int, default=300, help="mutants in the seeded random sample (default 300)")
    group.add_argument("--all", action="store_true", help="every mutant, no sample")
    parser.add_argument("--seed", type=int, default=12, help="seed of the sample (default 12)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before a mutant's run is killed")
    parser.add_argument("--keep", type=Path, help="keep the work folder (session database, copy) here")
    parser.add_argument(
        "--module", action="append", choices=RULE_MODULES, help="mutate only this module (repeatable; default: all)"
    )
    parser.add_argument("--report", type=Path, metavar="FOLDER", help="only print the report of a kept work folder")
    parser.add_argument(
        "--rerun",
        type=Path,
        metavar="FOLDER",
        help="run again, on this tree, only the surviving mutants of a kept work folder (after new checks)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="mutants run at once, each in its own copy of the tree (default 1)"
    )
    args = parser.parse_args(argv)
    if args.suite:
        return run_suite()
    modules = tuple(args.module or RULE_MODULES)
    if args.report:
        found, left = previous_run(args.report)
        return 0 if report(found, load_equivalents(), left, None) else 1

    started = time.monotonic()
    work = args.keep or Path(tempfile.mkdtemp(prefix="jesign-mutation-"))
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(REPO, work, ignore=_IGNORED)
    print("Running the healthy suite once...", file=sys.stderr, flush=True)
    if subprocess.call([sys.executable, str(work / "bench" / "mutation.py"), "--suite"], cwd=work) != 0:
        print("mutation: the healthy mock does not conform; no score", file=sys.stderr)
        return 1
    config, session = write_config(work, args.timeout, modules), work / "session.sqlite"
    cosmic = [sys.executable, "-m", "cosmic_ray.cli"]
    subprocess.run([*cosmic, "init", str(config), str(session)], cwd=work, check=True)
    left = skip_equivalent_by_construction(session, work, modules)
    if args.rerun:
        before, _ = previous_run(args.rerun)
        before = [m for m in before if m.module in modules]
        survivors = [m for m in before if m.test_outcome == "survived" and m.key not in load_equivalents()]
        total, kept = len(survivors), keep_only(session, work, {m.place for m in survivors})
    else:
        total, kept = sample(session, None if args.all else args.sample, args.seed)
    print(f"{total} mutants to run, {sum(left.values())} left out; running {kept}...", file=sys.stderr, flush=True)
    workers = split(work, max(1, args.jobs), args.timeout, modules)
    running = [
        subprocess.Popen([*cosmic, "exec", str(c), str(s)], cwd=s.parent, env=os.environ | {"PYTHONPATH": ""})
        for c, s in workers
    ]
    if any([process.wait() != 0 for process in running]):  # a list: wait for every one
        print("mutation: cosmic-ray exec failed", file=sys.stderr)
        return 1
    found = [m for _, s in workers for m in mutants(s, s.parent, modules)[0]]
    if args.rerun:
        found = rerun_report(before, found, modules)
    met = report(found, load_equivalents(), left, time.monotonic() - started)
    if args.keep is None:
        for _, session in workers:
            shutil.rmtree(session.parent, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
