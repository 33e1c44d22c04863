"""The rule switches that are on: those the ``breakages`` setting names (kept for the process's life) and those the
control plane stored (``PUT /_mock/breakages``, kept in the database so that every worker process applies them,
cleared by a reset). Every switch is off by default; none is reachable when the control plane is off unless the
setting names it. What a switch is: :mod:`mock_provider.core.misbehaviour.switch`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Union

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mock_provider.core.errors import InvalidInput
from mock_provider.core.misbehaviour.catalogue import CATALOGUE, unknown
from mock_provider.core.misbehaviour.switch import Breakage
from mock_provider.core.models import BrokenRule
from mock_provider.core.storage import Database, bump_counter

#: The counter that moves on each change, so that each process rereads the switches only then.
REVISION_COUNTER = "breakages_revision"


#: The switches that are on, to give where a function asks several times in one operation.
SwitchesOn = Union["Breakages", frozenset[Breakage]]
#: None on: the default of a function whose caller may not care for switches.
NONE_ON: frozenset[Breakage] = frozenset()


class Breakages:
    """The switches that are on: the configured ones plus those the control plane stored.

    Asked in one guard style everywhere, ``if SWITCH in breakages:``, of this object or of its :meth:`snapshot`
    (one read for an operation that asks several times). Either costs one counter read on a kept connection (a
    few microseconds) while nothing changes, so that it can sit on hot paths such as OCSP.
    """

    def __init__(self, db: Database, configured: Iterable[str] = ()) -> None:
        self.db = db
        self.configured = frozenset(configured)
        self._lock = threading.Lock()
        self._stored: frozenset[str] = frozenset()
        self._on: frozenset[Breakage] = self._switches(self.configured)
        self._revision = -1
        #: Other counters that move with the switches: those of caches whose answers a switch changes (the PKI's
        #: OCSP answers and CRLs), so that no cached answer outlives a switch, at no cost on their hot paths.
        self.dependent_counters: set[str] = set()
        db.hot_counters.add(REVISION_COUNTER)

    def __contains__(self, breakage: Breakage) -> bool:
        return breakage in self.snapshot()

    @staticmethod
    def _switches(ids: Iterable[str]) -> frozenset[Breakage]:
        return frozenset(CATALOGUE[i] for i in ids if i in CATALOGUE)  # a stored id no longer declared: off

    def _refresh(self) -> None:
        revision = self.db.read_counter(REVISION_COUNTER)
        with self._lock:
            if revision == self._revision:
                return
        with self.db.read() as session:
            stored = frozenset(session.scalars(select(BrokenRule.id)))
        on = self._switches(self.configured | stored)
        with self._lock:
            self._stored, self._on, self._revision = stored, on, revision

    def snapshot(self) -> frozenset[Breakage]:
        """The switches on now."""
        self._refresh()
        return self._on

    def active(self) -> frozenset[str]:
        """The ids of the switches on now (the configured ones, and those stored)."""
        self._refresh()
        return self.configured | self._stored

    def replace(self, session: Session, ids: Iterable[str]) -> frozenset[str]:
        """Turn on exactly ``ids`` (besides the configured ones), in the caller's transaction."""
        wanted = frozenset(ids)
        if missing := unknown(wanted):
            raise InvalidInput(f"unknown breakage: {', '.join(missing)}", code="unknown_breakage")
        session.execute(delete(BrokenRule))
        session.add_all(BrokenRule(id=breakage_id) for breakage_id in sorted(wanted))
        for name in (REVISION_COUNTER, *sorted(self.dependent_counters)):
            bump_counter(session, name)
        return self.configured | wanted
