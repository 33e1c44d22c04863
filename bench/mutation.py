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
2. ``cosmic-ray init`` over :data:`RULE_MODULES`; with ``--sample N`` (default 300) it keeps a seeded random sample
   of N mutants (``--seed``) and marks the others skipped, ``--all`` keeps every one;
3. runs the healthy suite once (it must conform, else the score means nothing), then ``cosmic-ray exec``: each
   mutant is one run of this script with ``--suite`` (exit 0: the suite passed, the mutant survived), with a
   timeout of ``--timeout`` seconds (a mutant that hangs the mock counts as killed);
4. skips the mutants inside type annotations (never evaluated: equivalent by construction), then prints the
   score and every surviving mutant (module, line, operator, the changed line), less those listed in
   ``bench/mutation_equivalents.toml``: mutants that change nothing a caller can observe, each with its reason.

Score = killed / (killed + surviving), over non-equivalent mutants; timeouts count as killed, mutants that break
the import of the mock (incompetent) are left out. Target (issue 12): at least 90 %.

Run it from the repository's root: ``.venv/bin/python bench/mutation.py`` (``--help``; ``tox -e mutation``). It
takes a long time: about 10 s of one core per mutant. Not part of the test run.
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
#: mock's own scenarios (core/scenarios.py: magic values no real provider has).
RULE_MODULES = (
    "mock_provider/core/registration.py",
    "mock_provider/core/otp.py",
    "mock_provider/core/signing.py",
    "mock_provider/core/documents.py",
    "mock_provider/core/accounts.py",
    "mock_provider/core/pki/authority.py",
    "mock_provider/core/pki/profiles.py",
    "mock_provider/core/pki/ocsp.py",
    "mock_provider/core/pki/crl.py",
    "mock_provider/core/pki/tsa.py",
    "mock_provider/core/pki/times.py",
    "mock_provider/sso/server.py",
    "mock_provider/sso/clients.py",
    "mock_provider/sso/grants.py",
    "mock_provider/sso/id_token.py",
    "mock_provider/sso/endpoints.py",
    "mock_provider/sso/tokens.py",
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

    @property
    def key(self) -> tuple[str, str, str]:
        """What an equivalents entry names: the module, the operator and the mutated line's text."""
        return (self.module, self.operator, self.source.strip())


def load_equivalents() -> dict[tuple[str, str, str], str]:
    data = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")) if EQUIVALENTS.exists() else {}
    return {(e["module"], e["operator"], e["line"].strip()): e["reason"] for e in data.get("equivalent", [])}


def write_config(work: Path, timeout: float) -> Path:
    modules = ", ".join(json.dumps(m) for m in RULE_MODULES)
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


def skip_annotations(session: Path, work: Path) -> int:
    """Mark the mutants inside type annotations as skipped (see :func:`annotation_spans`); answer how many."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans = {module: annotation_spans(work / module) for module in RULE_MODULES}
    with use_db(str(session), WorkDB.Mode.open) as db:
        inside = [
            item.job_id
            for item in db.pending_work_items
            if any(
                start <= tuple(item.mutations[0].start_pos) < end
                for start, end in spans[str(item.mutations[0].module_path)]
            )
        ]
        db.set_multiple_results(inside, WorkResult(output=ANNOTATION, worker_outcome=WorkerOutcome.SKIPPED))
    return len(inside)


ANNOTATION = "inside a type annotation, never evaluated"


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


def mutants(session: Path, work: Path) -> list[Mutant]:
    from cosmic_ray.work_db import WorkDB, use_db

    found = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.output in ("not in the sample", ANNOTATION):
                continue
            mutation = item.mutations[0]
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
                )
            )
    return found


def report(
    found: list[Mutant], equivalents: dict[tuple[str, str, str], str], total: int, annotations: int, seconds: float
) -> bool:
    tested = [m for m in found if m.outcome == "normal"]
    outcomes = Counter(m.test_outcome for m in tested)
    abnormal = Counter(m.outcome for m in found if m.outcome != "normal")
    survivors = [m for m in tested if m.test_outcome == "survived"]
    equivalent = [m for m in survivors if m.key in equivalents]
    alive = [m for m in survivors if m.key not in equivalents]
    killed = outcomes["killed"] + abnormal["timeout"]
    score = killed / (killed + len(alive)) if killed + len(alive) else 0.0
    print("jesign conformance suite: mutation score over the mock's rule modules")
    print(f"  mutants:      {total} in all, {len(found)} run ({'all' if len(found) == total else 'seeded sample'})")
    print(f"                and {annotations} inside type annotations, never evaluated: equivalent, not run")
    print(f"  time:         {seconds / 60:.1f} min")
    print(
        f"  killed:       {outcomes['killed']}, timeouts {abnormal['timeout']} (counted killed), "
        f"incompetent {outcomes['incompetent'] + abnormal['exception']} (left out)"
    )
    print(f"  survived:     {len(survivors)}, of which {len(equivalent)} equivalent (bench/mutation_equivalents.toml)")
    print(f"  score:        {score:.1%} of {killed + len(alive)} non-equivalent mutants (target {TARGET_SCORE:.0%})")
    print(f"  per module:   {dict(Counter(Path(m.module).name for m in alive))}")
    print()
    print("Surviving mutants (a broken provider the suite calls conforming):")
    for m in sorted(alive, key=lambda m: (m.module, m.line)):
        print(f"  {m.module}:{m.line}  {m.operator}\n      {m.source.strip()}")
    print()
    print("Equivalent survivors:")
    for m in sorted(equivalent, key=lambda m: (m.module, m.line)):
        print(f"  {m.module}:{m.line}  {m.operator}: {equivalents[m.key]}\n      {m.source.strip()}")
    return score >= TARGET_SCORE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mutation score of the conformance suite over the mock's rules.")
    parser.add_argument("--suite", action="store_true", help="run the suite once against this tree's mock (internal)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--sample", type=int, default=300, help="mutants in the seeded random sample (default 300)")
    group.add_argument("--all", action="store_true", help="every mutant, no sample")
    parser.add_argument("--seed", type=int, default=12, help="seed of the sample (default 12)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before a mutant's run is killed")
    parser.add_argument("--keep", type=Path, help="keep the work folder (session database, copy) here")
    args = parser.parse_args(argv)
    if args.suite:
        return run_suite()

    started = time.monotonic()
    work = args.keep or Path(tempfile.mkdtemp(prefix="jesign-mutation-"))
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(REPO, work, ignore=_IGNORED)
    print("Running the healthy suite once...", file=sys.stderr, flush=True)
    if subprocess.call([sys.executable, str(work / "bench" / "mutation.py"), "--suite"], cwd=work) != 0:
        print("mutation: the healthy mock does not conform; no score", file=sys.stderr)
        return 1
    config, session = write_config(work, args.timeout), work / "session.sqlite"
    cosmic = [sys.executable, "-m", "cosmic_ray.cli"]
    subprocess.run([*cosmic, "init", str(config), str(session)], cwd=work, check=True)
    annotations = skip_annotations(session, work)
    total, kept = sample(session, None if args.all else args.sample, args.seed)
    print(f"{total} mutants besides {annotations} in annotations; running {kept}...", file=sys.stderr, flush=True)
    subprocess.run(
        [*cosmic, "exec", str(config), str(session)], cwd=work, check=True, env=os.environ | {"PYTHONPATH": ""}
    )
    met = report(mutants(session, work), load_equivalents(), total, annotations, time.monotonic() - started)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
