"""The storage's hot-path helpers: prepared statements on the kept driver connection, and counters read at once.

Each runs on an SQLite file, on in-memory SQLite and on PostgreSQL (when ``JESIGN_TEST_POSTGRES_URL`` is set), since
the SQL is the dialect's and the parameters are bound the driver's way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from mock_provider.core.models import IdempotencyRecord, RequestRecord
from mock_provider.core.storage import Database, Prepared, bump_counter

HISTORY = Prepared(
    insert(RequestRecord).values(
        {name: bindparam(name) for name in ("request_id", "method", "path", "status", "duration_ms", "at")}
    )
)
#: With a literal among the parameters (``in_progress``), bound from the statement itself.
CLAIM = Prepared(
    insert(IdempotencyRecord).values(
        {
            **{
                name: bindparam(name)
                for name in ("scope", "key", "method", "path", "fingerprint", "created_at", "owner", "lease_expires_at")
            },
            "in_progress": True,
        }
    )
)


@pytest.fixture(params=["file", "memory", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    elif request.param == "memory":
        url = "sqlite:///:memory:"
    else:
        url = f"sqlite:///{tmp_path / 'mock.sqlite3'}"
    database = Database(url)
    database.create_schema()
    try:
        yield database
    finally:
        database.dispose()


def claim(key: str, at: datetime) -> dict[str, object]:
    return {
        "scope": "s" * 64,
        "key": key,
        "method": "POST",
        "path": "/trust/v1/registrations",
        "fingerprint": "f" * 64,
        "created_at": at,
        "owner": "o" * 32,
        "lease_expires_at": at + timedelta(seconds=30),
    }


def test_a_prepared_insert_is_committed_with_its_values_as_the_orm_reads_them(db: Database) -> None:
    at = datetime(2026, 3, 1, 12, 30, 15, 250_000, tzinfo=UTC)
    record = {"request_id": "req_1", "method": "GET", "path": "/?a=1", "status": 200, "duration_ms": 3, "at": at}
    db.run_prepared(HISTORY, record)
    db.run_prepared(CLAIM, claim("k1", at))
    with db.read() as session:
        row = session.scalars(select(RequestRecord)).one()
        kept = session.scalars(select(IdempotencyRecord)).one()
    assert (row.request_id, row.method, row.path, row.status, row.duration_ms, row.at) == tuple(record.values())
    assert row.at.tzinfo is not None  # stored as UTC, read back aware
    assert (kept.in_progress, kept.key, kept.created_at) == (True, "k1", at)


def test_a_prepared_insert_refused_by_the_database_raises_as_sqlalchemy_would_and_keeps_nothing(
    db: Database,
) -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    db.run_prepared(CLAIM, claim("k1", at))
    with pytest.raises(IntegrityError):
        db.run_prepared(CLAIM, claim("k1", at))  # (scope, key) is unique
    db.run_prepared(CLAIM, claim("k2", at))  # the connection is usable afterwards
    with db.read() as session:
        assert sorted(session.scalars(select(IdempotencyRecord.key))) == ["k1", "k2"]


def test_a_prepared_write_inside_an_open_transaction_is_part_of_it(db: Database) -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)

    def fail_after_the_insert() -> None:
        with db.transaction():
            db.run_prepared(CLAIM, claim("k1", at))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        fail_after_the_insert()
    with db.read() as session:
        assert session.scalars(select(IdempotencyRecord)).all() == []
    with db.read(), pytest.raises(RuntimeError, match="inside a read"):
        db.run_prepared(CLAIM, claim("k1", at))


def test_counters_are_read_together_and_each_sees_the_last_commit(db: Database) -> None:
    assert db.read_counters(("a", "b", "c")) == {}
    assert db.read_counters(()) == {}
    db.write_counters({"a": 5, "c": -2})
    assert db.read_counters(("a", "b", "c")) == {"a": 5, "c": -2}
    with db.transaction() as session:
        bump_counter(session, "b")
    assert db.read_counters(("a", "b", "c")) == {"a": 5, "b": 1, "c": -2}
    assert db.read_counters(("b",)) == {"b": 1}
    assert db.read_counter("missing") == 0


def test_a_request_reads_its_hot_counters_once_and_sees_its_own_writes(db: Database) -> None:
    db.hot_counters.update({"a", "b"})
    db.write_counters({"a": 1, "b": 1})

    def elsewhere(values: dict[str, int]) -> None:  # another thread, as another process would
        worker = threading.Thread(target=db.write_counters, args=(values,))
        worker.start()
        worker.join()

    with db.counters_read_once():
        elsewhere({"a": 2})
        assert db.read_counter("a") == 1  # as of the request's start
        assert db.read_counters(("a", "b")) == {"a": 1, "b": 1}
        assert db.read_counter("c") == 0  # not a hot counter: read at once
        db.write_counters({"b": 5})  # this request's own write: read again from now on
        assert db.read_counters(("a", "b")) == {"a": 2, "b": 5}
    with db.counters_read_once():
        with db.transaction() as session:
            bump_counter(session, "b")
        assert db.read_counter("b") == 6
    elsewhere({"a": 3})
    assert db.read_counter("a") == 3  # outside a request, every read reads


def test_a_prepared_write_waiting_for_a_transaction_leaves_its_counter_reads_alone(db: Database) -> None:
    """The transaction holding the write lock may read a counter while a prepared write waits for that lock."""
    at = datetime(2026, 3, 1, tzinfo=UTC)
    db.write_counters({"a": 1})
    started = threading.Event()

    def waiting_write() -> None:
        started.set()
        db.run_prepared(CLAIM, claim("k2", at))

    writer = threading.Thread(target=waiting_write)
    with db.transaction() as session:
        bump_counter(session, "b")  # this transaction holds the write lock (SQLite) from here
        writer.start()
        started.wait(5)
        time.sleep(0.2)  # the prepared write is waiting for the lock now
        assert db.read_counter("a") == 1  # not stuck behind the waiting write
    writer.join(10)
    assert not writer.is_alive()
    with db.read() as session:
        assert session.scalars(select(IdempotencyRecord.key)).all() == ["k2"]
