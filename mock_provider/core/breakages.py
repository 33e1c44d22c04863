"""Rule breakages: switches that make the mock break one of its own rules on purpose.

The conformance suite must catch a provider that breaks any rule. To prove that it does, every rule it checks has a
switch here that turns the mock into such a provider: accept an expired SMS code, skip the PKCE check, keep
answering "good" after a revocation, and so on. Each switch is declared once, next to the code that honours it::

    ACCEPT_EXPIRED_OTP = declare(
        "accept_expired_otp",
        rule="An SMS code is refused once its 30 minutes have passed.",
        check="registration.agreement.otp_expiry",
    )

    if ACCEPT_EXPIRED_OTP in self.breakages: ...

``check`` names the conformance check that must FAIL while the switch is on (the repository's tests run it so).

Switches come on from the ``breakages`` setting (kept for the process's life) or from the control plane
(``PUT /_mock/breakages``, kept in the database so that every worker process applies them, cleared by a reset).
Every switch is off by default; none is reachable when the control plane is off unless the setting names it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mock_provider.core.errors import InvalidInput
from mock_provider.core.models import BrokenRule
from mock_provider.core.storage import Database, bump_counter

#: The counter that moves on each change, so that each process rereads the switches only then.
REVISION_COUNTER = "breakages_revision"


@dataclass(frozen=True)
class Breakage:
    """One switch: its id, the rule that it breaks, and the conformance check that must catch it."""

    id: str
    rule: str
    check: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "rule": self.rule, "check": self.check}


#: Every switch, by id, in declaration order (filled as the modules that honour them are imported).
CATALOGUE: dict[str, Breakage] = {}


def declare(breakage_id: str, *, rule: str, check: str) -> Breakage:
    """Declare a switch (once, at import time of the module that honours it)."""
    if breakage_id in CATALOGUE:
        raise ValueError(f"breakage {breakage_id!r} is declared twice")
    breakage = Breakage(breakage_id, rule, check)
    CATALOGUE[breakage_id] = breakage
    return breakage


def unknown(ids: Iterable[str]) -> list[str]:
    """The ids among ``ids`` that name no declared switch."""
    return sorted(set(ids) - CATALOGUE.keys())


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
        db.hot_counters.add(REVISION_COUNTER)

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
