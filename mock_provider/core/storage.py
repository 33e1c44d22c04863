"""Storage through SQLAlchemy: one :class:`Database` per app, every state change in one transaction.

The schema is plain SQLAlchemy Core/ORM with portable types only, so that the same code runs on the default
SQLite file, on ``sqlite:///:memory:`` in tests and on a PostgreSQL URL. The caller's job is to do each state
change inside one ``with db.transaction() as session:`` block, and each read that changes nothing inside
``with db.read() as session:``; nothing commits half-way.

**Once means once.** A rule that allows something once or N times (a code, a SAD, a transition, an issuance) reads
the state it depends on *with a lock*, in the transaction that changes it:

- on PostgreSQL, ``SELECT ... FOR UPDATE`` (``session.get(Model, id, with_for_update=locking(session))``, or
  ``stmt.with_for_update()`` when :func:`locking` says so) blocks a second transaction on the same rows until the
  first has committed, and then lets it read the new state;
- on SQLite, which has no row locks, every :meth:`Database.transaction` starts with ``BEGIN IMMEDIATE`` and so
  holds the database's one write lock from its first read: write transactions take turns, and each reads what the
  previous one committed. :meth:`Database.read` starts a plain ``BEGIN`` (a snapshot that never blocks a writer).

A first insert has no row to lock: lock a parent row first (see ``signing._seal``). docs/architecture.md says the
same for whoever writes the next rule.

**The hot path** (docs/performance.md): what every request does goes around the ORM. Counters (the clock, revision
counters) are read on one kept driver connection, once per request for :attr:`Database.hot_counters`
(:meth:`Database.counters_read_once`); a per-request write that needs no session is a :class:`Prepared` statement
run by :meth:`Database.run_prepared`; an :class:`AbsenceLatch` skips looking for what is rarely there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    DateTime,
    Engine,
    Select,
    Update,
    UpdateBase,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "numeric": ":1", "named": ":name", "pyformat": "%(name)s"}
_POSITIONAL = ("qmark", "format", "numeric")
#: The counters this thread read once for its request (see :meth:`Database.counters_read_once`).
_pinned = threading.local()


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


#: How a transaction on SQLite starts (an execution option read by :func:`_sqlite_begin`): ``IMMEDIATE`` takes the
#: write lock at once, ``DEFERRED`` is a read snapshot, ``LAZY`` sends ``BEGIN`` only before the first write.
_SQLITE_BEGIN = "jesign_sqlite_begin"
#: ``session.info`` keys: whether the transaction takes row locks (:func:`locking`); whether it only reads.
_LOCKING = "jesign_locking"
_READ_ONLY = "jesign_read_only"


def locking(session: Session) -> bool:
    """Whether reads in this transaction lock what they read (``FOR UPDATE``): always, except in a transaction
    opened with ``lock=False`` (a rule-breakage switch playing a careless provider)."""
    return bool(session.info.get(_LOCKING, True))


_Statement = TypeVar("_Statement", bound=Select[Any])


def for_update(session: Session, statement: _Statement) -> _Statement:
    """``statement ... FOR UPDATE`` in a transaction that locks (see :func:`locking`), else as it is."""
    return statement.with_for_update() if locking(session) else statement


class Database:
    """An engine and its session factories: :meth:`transaction` is the only way state changes, :meth:`read` the
    way to read without taking the write lock."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        self._writers = sessionmaker(self.engine, expire_on_commit=False)
        self._unlocked = sessionmaker(
            self.engine.execution_options(**{_SQLITE_BEGIN: "LAZY"}), expire_on_commit=False, info={_LOCKING: False}
        )
        self._readers = sessionmaker(
            self.engine.execution_options(**{_SQLITE_BEGIN: "DEFERRED"}),
            expire_on_commit=False,
            info={_READ_ONLY: True},
        )
        event.listen(self._readers, "before_flush", _refuse_writes)
        #: The transaction or read this thread has open on this database: a nested one joins it.
        self._open = threading.local()
        self._counter_lock = threading.Lock()
        self._counter_connection: Any = None
        self._writer_lock = threading.Lock()
        self._writer_connection: Any = None
        #: The counters read on every request (the clock's, the absence latches', the switches'): see
        #: :meth:`counters_read_once`. Whoever reads one on each request adds its name here.
        self.hot_counters: set[str] = set()
        # An in-memory SQLite database is one connection that every thread shares (see _make_engine): its
        # transactions must take turns, or one thread's commit ends another's transaction. Reentrant, so that a
        # thread may read a counter while it holds a transaction.
        self._one_at_a_time = threading.RLock() if self.engine.pool.__class__ is StaticPool else None
        placeholder = _PLACEHOLDERS[self.engine.dialect.paramstyle]
        # The placeholder comes from the fixed table above; the value itself is always bound.
        self._counter_sql = f"SELECT value FROM counters WHERE name = {placeholder}"  # noqa: S608

    def create_schema(self) -> None:
        # Importing the models registers their tables on Base.metadata.
        from mock_provider.core import models  # noqa: F401

        Base.metadata.create_all(self.engine)

    @contextmanager
    def transaction(self, *, lock: bool = True) -> Iterator[Session]:
        """A session in one write transaction: committed when the block ends, rolled back if it raises.

        It holds what it reads with :func:`locking` until it ends (on SQLite, the database's write lock from its
        start), so that a rule checked in it still holds when its change commits. Opened while this thread
        already has a transaction open on this database, it is that transaction (the outer block commits).

        ``lock=False`` is for the rule-breakage switches only: a careless provider's check-then-act, which reads
        without locks (SQLite: outside any transaction until the first write) and so lets a race through. Its
        first write also waits :data:`CARELESS_GAP` seconds, as a provider doing slow work between its check and
        its write would (an HSM call), so that parallel requests meet in the gap every time, not by chance.
        """
        outer: Session | None = getattr(self._open, "session", None)
        if outer is not None:
            if outer.info.get(_READ_ONLY):
                raise RuntimeError("a write transaction cannot be opened inside a read: open the transaction first")
            yield outer
            return
        with self._turn(), (self._writers if lock else self._unlocked).begin() as session:
            if not lock:
                event.listen(session, "before_flush", _careless_gap, once=True)
            self._open.session = session
            try:
                yield session
            finally:
                self._open.session = None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session that only reads, in one snapshot; it never waits for writers nor makes them wait (a flush in
        it is an error). Opened inside this thread's open transaction, it reads in that transaction."""
        outer: Session | None = getattr(self._open, "session", None)
        if outer is not None:
            yield outer
            return
        with self._turn(), self._readers.begin() as session:
            self._open.session = session
            try:
                yield session
            finally:
                self._open.session = None

    def _turn(self) -> Any:
        return self._one_at_a_time or nullcontext()

    @contextmanager
    def counters_read_once(self) -> Iterator[None]:
        """For the block (one request), read :attr:`hot_counters` once, in one query, at its start: this thread's
        counter reads in the block answer from that, so that a request reads each counter once, not once per
        reader. A counter this thread writes meanwhile (:meth:`write_counters`, :func:`bump_counter`) ends it: the
        reads that follow read the database again. Another process's change is seen by the next request."""
        names = tuple(sorted(self.hot_counters))
        _pinned.counters = (self, frozenset(names), self.read_counters(names))
        try:
            yield
        finally:
            _pinned.counters = None

    def _pinned(self, names: tuple[str, ...]) -> dict[str, int] | None:
        pinned: tuple[Database, frozenset[str], dict[str, int]] | None = getattr(_pinned, "counters", None)
        if pinned is None or pinned[0] is not self or not pinned[1].issuperset(names):
            return None
        return {name: pinned[2][name] for name in names if name in pinned[2]}

    def read_counters(self, names: tuple[str, ...]) -> dict[str, int]:
        """Several counters at once, in one query (absent ones are left out)."""
        if not names:
            return {}
        if (pinned := self._pinned(names)) is not None:
            return pinned
        if len(names) == 1:
            value = self._read(names[0])
            return {} if value is None else {names[0]: value}
        style = self.engine.dialect.paramstyle
        marks = [_PLACEHOLDERS[style].replace("name", f"n{i}").replace(":1", f":{i + 1}") for i in range(len(names))]
        # The placeholders come from the fixed table above; the values themselves are always bound.
        sql = f"SELECT name, value FROM counters WHERE name IN ({', '.join(marks)})"  # noqa: S608
        params: Any = names if style in _POSITIONAL else {f"n{i}": name for i, name in enumerate(names)}
        return {str(name): int(value) for name, value in self._query_kept(sql, params)}

    def write_counters(self, values: dict[str, int]) -> None:
        """Set counters, creating them if needed, in one transaction."""
        from mock_provider.core.models import Counter

        _pinned.counters = None  # this request's reads must see what it writes
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
        if (pinned := self._pinned((name,))) is not None:
            return pinned.get(name)
        params: Any = (name,) if self.engine.dialect.paramstyle in _POSITIONAL else {"name": name}
        rows = self._query_kept(self._counter_sql, params)
        return int(rows[0][0]) if rows else None

    def _query_kept(self, sql: str, params: Any) -> list[Any]:
        """The rows of a query run on the kept driver connection, outside any transaction left open."""
        with self._turn(), self._counter_lock:
            connection = self._kept_connection()
            cursor = connection.cursor()
            try:
                cursor.execute(sql, params)
                rows: list[Any] = cursor.fetchall()
            finally:
                cursor.close()
            if self.engine.dialect.name != "sqlite":
                connection.rollback()  # end the read transaction, so that the next read sees new commits
        return rows

    def run_prepared(self, prepared: Prepared, params: dict[str, Any]) -> None:
        """Run one prepared write statement in a transaction of its own, on a kept driver connection.

        For a lone write that needs no session, on the path of every request (the request history): the
        statement's SQL was compiled once by SQLAlchemy for this dialect (see :class:`Prepared`), so this costs
        what the driver costs, a few tens of microseconds, where an ORM session and its flush cost several
        hundred. It waits for the write lock as any writer does. Run while this thread has a transaction open on
        this database, it is part of that transaction, as a nested :meth:`transaction` would be.
        """
        outer: Session | None = getattr(self._open, "session", None)
        if outer is not None:
            if outer.info.get(_READ_ONLY):
                raise RuntimeError("a write cannot run inside a read: open a transaction first")
            outer.execute(prepared.statement, params)
            return
        sql, values = prepared.bind(self.engine.dialect, params)
        # Its own connection and lock, not the counters': this write may wait for the database's write lock, and
        # the transaction holding it may read a counter meanwhile.
        with self._turn(), self._writer_lock:
            if self._writer_connection is None:
                self._writer_connection = self.engine.raw_connection()
            connection = self._writer_connection
            cursor = connection.cursor()
            dbapi = self.engine.dialect.loaded_dbapi
            try:
                cursor.execute(sql, values)
            except BaseException as exc:
                if self.engine.dialect.name != "sqlite":
                    connection.rollback()
                if isinstance(exc, dbapi.Error):
                    # As SQLAlchemy would raise it (an IntegrityError for a duplicate key, say).
                    raise DBAPIError.instance(sql, values, exc, dbapi.Error) from exc
                raise
            finally:
                cursor.close()
            # SQLite's driver runs in autocommit mode here (see _sqlite_pragmas): the statement was its own
            # transaction. Other drivers opened one: commit it.
            if self.engine.dialect.name != "sqlite":
                connection.commit()

    def _kept_connection(self) -> Any:
        """The driver connection kept for counter reads (the caller holds ``_counter_lock``)."""
        if self._counter_connection is None:
            self._counter_connection = self.engine.raw_connection()
        return self._counter_connection

    def dispose(self) -> None:
        with self._counter_lock:
            if self._counter_connection is not None:
                self._counter_connection.close()
                self._counter_connection = None
        with self._writer_lock:
            if self._writer_connection is not None:
                self._writer_connection.close()
                self._writer_connection = None
        self.engine.dispose()


class Prepared:
    """A Core statement compiled once per dialect by SQLAlchemy, to run on a driver connection
    (:meth:`Database.run_prepared`): its SQL, the order of its parameters and the columns' bind processors (a
    :class:`UtcDateTime` stored naive on SQLite, say) are kept, so that each run only binds values."""

    def __init__(self, statement: UpdateBase) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def bind(self, dialect: Dialect, params: dict[str, Any]) -> tuple[str, Any]:
        """The SQL for ``dialect`` and ``params`` as its driver takes them (a tuple, or a mapping). The statement's
        own values (literals in it) are bound too; ``params`` gives every other parameter."""
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            sql = self.statement.compile(dialect=dialect)
            compiled = self._compiled[dialect.name] = _Compiled(
                text=str(sql),
                order=tuple(sql.positiontup) if sql.positiontup is not None else None,
                processors={
                    name: processor
                    for name, bind in sql.binds.items()
                    if (processor := bind.type.bind_processor(dialect)) is not None
                },
                literals={name: bind.value for name, bind in sql.binds.items() if not bind.required},
            )
        processors = compiled.processors
        values = {
            name: processors[name](value) if name in processors else value
            for name, value in {**compiled.literals, **params}.items()
        }
        if compiled.order is None:
            return compiled.text, values
        return compiled.text, tuple(values[name] for name in compiled.order)


@dataclass(frozen=True)
class _Compiled:
    """A :class:`Prepared` statement for one dialect."""

    text: str
    order: tuple[str, ...] | None
    processors: dict[str, Any]
    literals: dict[str, Any]


def bump_counter(session: Session, name: str) -> int:
    """Add one to a named counter in the caller's transaction (creating it at 1); answer the new value."""
    from mock_provider.core.models import Counter

    _pinned.counters = None  # this request's reads must see what it writes (see Database.counters_read_once)
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
        db.hot_counters.add(counter)

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


#: How long a ``lock=False`` transaction waits before its first write (see :meth:`Database.transaction`).
CARELESS_GAP = 0.05


def _careless_gap(_session: Session, _context: Any, _instances: Any) -> None:
    time.sleep(CARELESS_GAP)


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read session cannot write: use Database.transaction()")


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
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_lazy_begin)
    return engine


def _sqlite_begin(connection: Connection) -> None:
    """Start the transaction ourselves (the driver's own BEGIN is off, see :func:`_sqlite_pragmas`)."""
    mode = connection.get_execution_options().get(_SQLITE_BEGIN, "IMMEDIATE")
    if mode != "LAZY":
        connection.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_lazy_begin(
    connection: Connection, cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    """A ``LAZY`` transaction (``lock=False``) reads outside any transaction and begins before its first write."""
    if connection.get_execution_options().get(_SQLITE_BEGIN) != "LAZY":
        return
    if not cursor.connection.in_transaction and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
        cursor.connection.execute("BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The transactions are begun by _sqlite_begin, not by the driver (which would begin only before a write).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL with synchronous=NORMAL: a commit no longer waits for fsync (the WAL is synced at checkpoints). The
    # database stays consistent after a crash; a power cut may lose the last commits, which a mock can afford.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def rows_changed(session: Session, statement: Update) -> int:
    """Run a conditional UPDATE and answer how many rows it changed. Such an UPDATE decides races in the database
    itself: of two concurrent requests that change a row only if it is still as it was, one changes it."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


def redeem_once(session: Session, model: Any, row_id: str, now: datetime) -> bool:
    """Mark a single-use row (an authorization code: ``id``, ``used_at``, ``expires_at``) used; False if it already
    was (another request won the race) or has expired."""
    statement = (
        update(model).where(model.id == row_id, model.used_at.is_(None), model.expires_at > now).values(used_at=now)
    )
    return rows_changed(session, statement) == 1
