"""The suite's own rules: test code is shared through ``tests/helpers`` only, and the snapshot helper restores."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Flask

from mock_provider.app import services_of
from mock_provider.core.storage import bump_counter
from tests.helpers import snapshot

TESTS = Path(__file__).resolve().parent


def _imported_test_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tests":
            found.add(node.module if node.module != "tests" else f"tests.{node.names[0].name}")
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "tests"}
    return found


def test_test_modules_and_conftests_import_test_code_from_the_helpers_only() -> None:
    offenders = {
        f"{path.relative_to(TESTS)}: {module}"
        for path in TESTS.rglob("*.py")
        for module in _imported_test_modules(path)
        if not module.startswith("tests.helpers")
    }
    assert not offenders, sorted(offenders)


def test_the_helpers_import_no_test_module() -> None:
    for path in (TESTS / "helpers").glob("*.py"):
        assert all(module.startswith("tests.helpers") for module in _imported_test_modules(path)), path


def test_a_restored_snapshot_is_the_storage_as_taken_with_its_revisions_moved_forward(app: Flask) -> None:
    db = services_of(app).db
    client = app.test_client()
    taken = snapshot.take(db)
    try:
        assert client.post("/_mock/scenarios", json={"kind": "sms_undelivered"}).status_code == 201
        assert client.get("/_mock/scenarios").json["data"] != []
        with db.transaction() as session:
            bump_counter(session, "pki_revision")
        moved = db.read_counters(("pki_revision", "scenarios_revision"))
        snapshot.restore(db, taken)
        assert client.get("/_mock/scenarios").json["data"] == []
        after = db.read_counters(("pki_revision", "scenarios_revision"))
        assert all(after[name] > moved[name] for name in moved)
    finally:
        taken.close()
