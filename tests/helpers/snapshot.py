"""Snapshots of an in-memory mock's storage, taken and restored with SQLite's own backup API.

Walking an accountant through the registration (login, profile, identity, documents, consent, OTP, terms) costs
seconds; copying the database back costs a millisecond. :func:`take` copies the live database into another
in-memory one, :func:`restore` copies it back. The snapshot belongs to the app it was taken from: the PKI
hierarchy, the sealed keys and their secret are that app's.

Call both only when no request is in flight (between tests). After a restore, every counter of the storage (they
are all revisions that in-process caches follow: PKI, breakages, faults, scenarios, SSO revocations) is moved past
the value it had before the restore, so that no cache takes the restored state for one it has already seen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from mock_provider.core.storage import Database

#: The counters of :class:`mock_provider.core.clock.StoredClock`: a state, not a revision. The apps of the tests run
#: on a :class:`~mock_provider.core.clock.ManualClock`, so that these never exist there.
_CLOCK_COUNTERS = frozenset({"clock_offset_us", "clock_frozen_us"})


@contextmanager
def _driver_connection(db: Database) -> Iterator[sqlite3.Connection]:
    if db.engine.dialect.name != "sqlite" or ":memory:" not in db.url:
        raise ValueError(f"snapshots are for in-memory SQLite databases, not {db.url}")
    pooled = db.engine.raw_connection()  # the one shared connection (StaticPool)
    try:
        connection = pooled.driver_connection
        assert isinstance(connection, sqlite3.Connection)
        yield connection
    finally:
        pooled.close()


def take(db: Database) -> sqlite3.Connection:
    """A copy of the whole database, as it is now."""
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    with _driver_connection(db) as live:
        live.backup(copy)
    return copy


def restore(db: Database, snapshot: sqlite3.Connection) -> None:
    """Put the database back as it was when ``snapshot`` was taken; move its revision counters forward."""
    with _driver_connection(db) as live:
        before = dict(live.execute("SELECT name, value FROM counters").fetchall())
        snapshot.backup(live)
        after = dict(live.execute("SELECT name, value FROM counters").fetchall())
    if clock := _CLOCK_COUNTERS & (before.keys() | after.keys()):
        raise ValueError(f"a stored clock's state cannot be restored as a revision: {sorted(clock)}")
    db.write_counters({name: max(before.get(name, 0), after.get(name, 0)) + 1 for name in before.keys() | after})
