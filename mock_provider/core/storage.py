"""Storage through SQLAlchemy: one :class:`Database` per app, every state change in one transaction.

The schema is plain SQLAlchemy Core/ORM with portable types only, so that the same code runs on the default
SQLite file, on ``sqlite:///:memory:`` in tests and on a PostgreSQL URL. The caller's job is to do each state
change inside one ``with db.transaction() as session:`` block; nothing commits half-way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "numeric": ":1", "named": ":name", "pyformat": "%(name)s"}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone, so UTC is stored naive)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table of the mock."""


class Database:
    """An engine and a session factory; :meth:`transaction` is the only way state changes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._counter_lock = threading.Lock()
        self._counter_connection: Any = None
        # An in-memory SQLite database is one connection that every thread shares (see _make_engine): its
        # transactions must take turns, or one thread's commit ends another's transaction. Reentrant, so that a
        # thread may read a counter or open a nested transaction while it holds one.
        self._one_at_a_time = threading.RLock() if self.engine.pool.__class__ is StaticPool else None
        placeholder = _PLACEHOLDERS[self.engine.dialect.paramstyle]
        # The placeholder comes from the fixed table above; the value itself is always bound.
        self._counter_sql = f"SELECT value FROM counters WHERE name = {placeholder}"  # noqa: S608

    def create_schema(self) -> None:
        # Importing the models registers their tables on Base.metadata.
        from mock_provider.core import models  # noqa: F401

        Base.metadata.create_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with self._one_at_a_time or nullcontext(), self._sessions.begin() as session:
            yield session

    def read_counters(self, names: tuple[str, ...]) -> dict[str, int]:
        """Several counters at once (absent ones are left out)."""
        return {name: value for name in names if (value := self._read(name)) is not None}

    def write_counters(self, values: dict[str, int]) -> None:
        """Set counters, creating them if needed, in one transaction."""
        from mock_provider.core.models import Counter

        with self.transaction() as session:
            for name, value in values.items():
                row = session.get(Counter, name, with_for_update=True)
                if row is None:
                    session.add(Counter(name=name, value=value))
                else:
                    row.value = value

    def read_counter(self, name: str) -> int:
        return self._read(name) or 0

    def _read(self, name: str) -> int | None:
        """The value of a named counter (None if absent), read on one kept DBAPI connection.

        This is the hot path of every OCSP answer: a plain driver query costs a few microseconds where an ORM
        session costs a few hundred. It reads committed data only, so it sees other processes' changes at once.
        """
        params: Any = (name,) if self.engine.dialect.paramstyle in ("qmark", "format", "numeric") else {"name": name}
        with self._one_at_a_time or nullcontext(), self._counter_lock:
            if self._counter_connection is None:
                self._counter_connection = self.engine.raw_connection()
            connection = self._counter_connection
            cursor = connection.cursor()
            try:
                cursor.execute(self._counter_sql, params)
                row = cursor.fetchone()
            finally:
                cursor.close()
            if self.engine.dialect.name != "sqlite":
                connection.rollback()  # end the read transaction, so that the next read sees new commits
        return int(row[0]) if row else None

    def dispose(self) -> None:
        with self._counter_lock:
            if self._counter_connection is not None:
                self._counter_connection.close()
                self._counter_connection = None
        self.engine.dispose()


def bump_counter(session: Session, name: str) -> int:
    """Add one to a named counter in the caller's transaction (creating it at 1); answer the new value."""
    from mock_provider.core.models import Counter

    row = session.get(Counter, name, with_for_update=True)
    if row is None:
        session.add(Counter(name=name, value=1))
        return 1
    row.value += 1
    return row.value


class AbsenceLatch:
    """Remembers that something was absent as of a revision of a shared counter, to skip looking until it moves.

    For per-request lookups of things that are rarely there (a queued scenario, a fault policy): every writer
    that may make the thing present bumps the counter in its transaction; a reader calls :meth:`revision`
    *before* it looks, and :meth:`mark_absent` with that revision when it found nothing. A counter read costs a
    few microseconds where a transaction costs a few hundred.
    """

    def __init__(self, db: Database, counter: str) -> None:
        self.db = db
        self.counter = counter
        self._absent_at: int | None = None

    def revision(self) -> int:
        return self.db.read_counter(self.counter)

    def known_absent(self, revision: int) -> bool:
        return self._absent_at == revision

    def mark_absent(self, revision: int) -> None:
        self._absent_at = revision


def next_in_sequence(session: Session, column: Any) -> int:
    """One more than the column's largest value: an insertion order that survives equal timestamps (the mock's
    clock can stand still). Rows are inserted in write transactions, which the database serialises."""
    return int(session.scalar(select(func.max(column))) or 0) + 1


def _make_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {}
    is_sqlite = url.startswith("sqlite")
    if is_sqlite and (url in ("sqlite://", "sqlite:///:memory:") or ":memory:" in url):
        # One shared connection, so that every thread sees the same in-memory database.
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif is_sqlite:
        kwargs.update(connect_args={"check_same_thread": False, "timeout": 30})
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL with synchronous=NORMAL: a commit no longer waits for fsync (the WAL is synced at checkpoints). The
    # database stays consistent after a crash; a power cut may lose the last commits, which a mock can afford.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
