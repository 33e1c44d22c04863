"""Where the fault policy's rules are kept: in the database, so that every worker process applies them.

The caller opens the transaction (the control plane and the console to change the rules, the request hook to take
one use of a counted rule). Every change bumps :data:`REVISION_COUNTER` (a reset too, through :func:`clear`), so
that each process rereads the rules only when it moves (:class:`RulesByRevision`): while none is set, a call costs
one counter read and no database read.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.faults import FaultRule, FaultSpec
from mock_provider.core.models import FaultRule as FaultRuleRow
from mock_provider.core.storage import Database, bump_counter, next_in_sequence

#: The id of the standing rule (``PUT /_mock/faults``); the others are ``flt_…``.
STANDING_ID = "current"
#: Moves whenever a rule is set, added, used up or cleared.
REVISION_COUNTER = "faults_revision"


def _rule(row: FaultRuleRow) -> FaultRule:
    spec = FaultSpec(
        error_rate=row.error_rate,
        status=row.status,
        delay_ms_min=row.delay_ms_min,
        delay_ms_max=row.delay_ms_max,
        after_processing_rate=row.after_processing_rate,
        retry_after=row.retry_after,
        routes=tuple(json.loads(row.routes)),
        seed=row.seed,
        count=row.remaining,
        alias=row.alias,
    )
    return FaultRule(row.id, row.revision, spec, row.remaining, row.updated_at)


def rules(session: Session) -> list[FaultRule]:
    """Every rule with uses left, in the order they were added."""
    rows = session.scalars(select(FaultRuleRow).order_by(FaultRuleRow.sequence)).all()
    return [_rule(row) for row in rows if row.remaining is None or row.remaining > 0]


def standing(session: Session) -> FaultRule | None:
    row = session.get(FaultRuleRow, STANDING_ID)
    return None if row is None or row.remaining == 0 else _rule(row)


def _write(session: Session, row: FaultRuleRow, spec: FaultSpec, now: datetime) -> FaultRule:
    row.revision = new_id("flt")
    row.error_rate = spec.error_rate
    row.status = spec.status
    row.delay_ms_min = spec.delay_ms_min
    row.delay_ms_max = spec.delay_ms_max
    row.after_processing_rate = spec.after_processing_rate
    row.retry_after = spec.retry_after
    row.routes = json.dumps(list(spec.routes))
    row.seed = spec.seed
    row.remaining = spec.count
    row.alias = spec.alias
    row.updated_at = now
    bump_counter(session, REVISION_COUNTER)
    session.flush()
    return _rule(row)


def set_standing(session: Session, spec: FaultSpec, now: datetime) -> FaultRule:
    """Set the standing rule (replacing the previous standing rule; the added ones stay)."""
    row = session.get(FaultRuleRow, STANDING_ID, with_for_update=True)
    if row is None:
        row = FaultRuleRow(id=STANDING_ID, sequence=next_in_sequence(session, FaultRuleRow.sequence))
        session.add(row)
    return _write(session, row, spec, now)


def add(session: Session, spec: FaultSpec, now: datetime) -> FaultRule:
    """Add a rule beside the others."""
    row = FaultRuleRow(id=new_id("flt"), sequence=next_in_sequence(session, FaultRuleRow.sequence))
    session.add(row)
    return _write(session, row, spec, now)


def clear(session: Session, *, aliases_only: bool = False) -> None:
    """Clear every rule (or only those the deprecated route scenarios queued)."""
    statement = delete(FaultRuleRow)
    if aliases_only:
        statement = statement.where(FaultRuleRow.alias.is_not(None))
    session.execute(statement)
    bump_counter(session, REVISION_COUNTER)


def take_use(session: Session, rule_id: str) -> bool:
    """Take one use of a counted rule; False when none is left (another call took the last one).

    A conditional update on the count, row count checked, in the caller's write transaction: on SQLite and
    PostgreSQL alike, parallel calls cannot both take the last use. A rule used up is deleted.
    """
    taken = cast(
        "CursorResult[object]",
        session.execute(
            update(FaultRuleRow)
            .where(FaultRuleRow.id == rule_id, FaultRuleRow.remaining > 0)
            .values(remaining=FaultRuleRow.remaining - 1)
            .execution_options(synchronize_session=False)
        ),
    )
    if taken.rowcount != 1:
        return False
    used_up = cast(
        "CursorResult[object]",
        session.execute(
            delete(FaultRuleRow)
            .where(FaultRuleRow.id == rule_id, FaultRuleRow.remaining == 0)
            .execution_options(synchronize_session=False)
        ),
    )
    if used_up.rowcount:
        bump_counter(session, REVISION_COUNTER)
    return True


class RulesByRevision:
    """This process's copy of the rules, reread only when :data:`REVISION_COUNTER` has moved.

    A counted rule's remaining uses are not part of the copy's validity: they are taken in the database
    (:func:`take_use`), and a rule used up is deleted with a bump.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._revision = -1
        self._rules: list[FaultRule] = []

    def current(self) -> list[FaultRule]:
        revision = self.db.read_counter(REVISION_COUNTER)  # before reading, so that a change after it is seen next
        with self._lock:
            if revision == self._revision:
                return self._rules
        with self.db.read() as session:
            found = rules(session)
        with self._lock:
            self._revision, self._rules = revision, found
        return found
