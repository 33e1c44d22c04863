"""The one clock that everything time-dependent in the mock reads.

OCSP, CRLs, the TSA, certificate validity and (in later steps) OTP expiry and review deadlines all take the
current instant from a :class:`Clock`, never from :func:`datetime.now` directly, so that tests and the control
plane can move time for every party at once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current instant, always timezone-aware and in UTC."""

    def now(self) -> datetime: ...


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

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward (or back, with a negative delta) and return the new instant."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
                return self._frozen
            self._offset += delta
            return datetime.now(UTC) + self._offset


def ensure_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; a naive datetime is refused rather than guessed."""
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous: give a timezone")
    return instant.astimezone(UTC)
