"""The rule switches that are on: those the ``breakages`` setting names (kept for the process's life) and those the
control plane stored (``PUT /_mock/breakages``, kept in the database so that every worker process applies them,
cleared by a reset). Every switch is off by default; none is reachable when the control plane is off unless the
setting names it. What a switch is: :mod:`mock_provider.core.misbehaviour.switch`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mock_provider.core.errors import InvalidInput
from mock_provider.core.misbehaviour.catalogue import unknown
from mock_provider.core.misbehaviour.switch import Breakage
from mock_provider.core.models import BrokenRule
from mock_provider.core.storage import Database, bump_counter

#: The counter that moves on each change, so that each process rereads the switches only then.
REVISION_COUNTER = "breakages_revision"


class Breakages:
    """The switches that are on: the configured ones plus those the control plane stored.

    ``breakage in breakages`` costs one counter read on a kept connection (a few microseconds) while nothing
    changes, so that it can sit on hot paths such as OCSP.
    """

    def __init__(self, db: Database, configured: Iterable[str] = ()) -> None:
        self.db = db
        self.configured = frozenset(configured)
        self._lock = threading.Lock()
        self._stored: frozenset[str] = frozenset()
        self._revision = -1
        #: Other counters that move with the switches: those of caches whose answers a switch changes (the PKI's
        #: OCSP answers and CRLs), so that no cached answer outlives a switch, at no cost on their hot paths.
        self.dependent_counters: set[str] = set()

    def __contains__(self, breakage: Breakage) -> bool:
        return breakage.id in self.active()

    def any_of(self, *breakages: Breakage) -> bool:
        active = self.active()
        return any(b.id in active for b in breakages)

    def active(self) -> frozenset[str]:
        revision = self.db.read_counter(REVISION_COUNTER)
        with self._lock:
            if revision == self._revision:
                return self.configured | self._stored
        with self.db.read() as session:
            stored = frozenset(session.scalars(select(BrokenRule.id)))
        with self._lock:
            self._stored, self._revision = stored, revision
        return self.configured | stored

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
