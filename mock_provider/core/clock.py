"""The one clock that everything time-dependent in the mock reads.

OCSP, CRLs, the TSA, certificate validity, SMS code expiry, review delays and the 48-hour window all take the
current instant from a :class:`Clock`, never from :func:`datetime.now` directly, so that tests and the control
plane can move time for every party at once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current instant, always timezone-aware and in UTC, and that the control plane
    can set or advance."""

    def now(self) -> datetime: ...

    def set(self, instant: datetime, *, frozen: bool = False) -> None: ...

    def advance(self, delta: timedelta) -> datetime: ...

    def reset(self) -> None:
        """Back to real time: the wall clock, running, with no offset."""

    @property
    def frozen(self) -> bool: ...


class SystemClock:
    """The machine's wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that runs with the wall clock, shifted by an offset, or stands still at a frozen instant.

    Thread-safe: the control plane may move it while requests read it.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        if start is not None:
            self.set(start, frozen=frozen)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def set(self, instant: datetime, *, frozen: bool = False) -> None:
        """Make ``instant`` the current time; if ``frozen`` the clock then stands still there."""
        instant = ensure_utc(instant)
        with self._lock:
            if frozen:
                self._frozen = instant
            else:
                self._frozen = None
                self._offset = instant - datetime.now(UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward (or back, with a negative delta) and return the new instant."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
                return self._frozen
            self._offset += delta
            return datetime.now(UTC) + self._offset

    def reset(self) -> None:
        """Back to real time: the wall clock, running, with no offset."""
        with self._lock:
            self._frozen = None
            self._offset = timedelta(0)


class CounterStore(Protocol):
    """Where :class:`StoredClock` keeps its state (the mock's storage)."""

    def read_counters(self, names: tuple[str, ...]) -> dict[str, int]: ...

    def write_counters(self, values: dict[str, int]) -> None: ...


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET, _FROZEN = "clock_offset_us", "clock_frozen_us"


class StoredClock:
    """The wall clock shifted by an offset, or frozen, with that state kept in storage.

    The server's default: every worker process reads the same state, so that moving the clock through the
    control plane moves it for all of them. Same interface as :class:`ManualClock`.
    """

    #: The counters it keeps its state in.
    COUNTERS = (_OFFSET, _FROZEN)

    def __init__(self, store: CounterStore) -> None:
        self._store = store

    def now(self) -> datetime:
        state = self._store.read_counters((_OFFSET, _FROZEN))
        frozen = state.get(_FROZEN, 0)
        if frozen:
            return _EPOCH + timedelta(microseconds=frozen)
        return datetime.now(UTC) + timedelta(microseconds=state.get(_OFFSET, 0))

    def set(self, instant: datetime, *, frozen: bool = False) -> None:
        instant = ensure_utc(instant)
        if frozen:
            self._store.write_counters({_FROZEN: _micros(instant - _EPOCH)})
        else:
            self._store.write_counters({_FROZEN: 0, _OFFSET: _micros(instant - datetime.now(UTC))})

    def advance(self, delta: timedelta) -> datetime:
        current = self.now()
        frozen = bool(self._store.read_counters((_FROZEN,)).get(_FROZEN, 0))
        self.set(current + delta, frozen=frozen)
        return self.now()

    def reset(self) -> None:
        self._store.write_counters({_FROZEN: 0, _OFFSET: 0})

    @property
    def frozen(self) -> bool:
        return bool(self._store.read_counters((_FROZEN,)).get(_FROZEN, 0))


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def ensure_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; a naive datetime is refused rather than guessed."""
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous: give a timezone")
    return instant.astimezone(UTC)
