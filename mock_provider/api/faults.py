"""Chaos faults: a standing policy of the control plane that delays calls and makes some of them fail.

``PUT /_mock/faults`` keeps one policy in the database, so that every worker process applies it, until
``DELETE /_mock/faults`` (or a reset) clears it. On each call whose path matches one of its ``routes`` (glob
patterns; never ``/_mock``, never OCSP, which is served in front of Flask):

1. the call waits a random delay between 0 and ``delay_ms_max`` milliseconds;
2. with probability ``error_rate`` it fails with ``status`` (503 by default) as a problem ``fault_injected``, with
   ``Retry-After`` 0 or 1. Among failures, a share ``after_processing_rate`` fails *after* processing: the real
   handler ran and committed, and the caller sees the failure instead of its answer (what a lost connection does).
   The others fail *before* processing and change nothing. The problem's ``phase`` says which.

With a ``seed``, each process draws from its own ``random.Random(seed)``, reseeded whenever the policy changes: a
single-process mock replays the same sequence of delays and failures. These hooks are part of the control plane.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import delete
from sqlalchemy.orm import Session

from mock_provider.api.common import CONTROL_PREFIXES
from mock_provider.core.errors import InvalidInput, MockError
from mock_provider.core.ids import new_id
from mock_provider.core.models import FaultPolicy
from mock_provider.core.storage import AbsenceLatch, bump_counter
from mock_provider.http_common.problems import problem
from mock_provider.http_common.services import services

ROW_ID = "current"
DEFAULT_ROUTES = ("/platform/api/v1/*", "/trust/v1/*", "/sso/*")
DEFAULT_STATUS = 503
MAX_DELAY_MS = 10_000
MAX_ROUTES = 50
EXEMPT_PREFIXES = (*CONTROL_PREFIXES, "/pki/ocsp")  # OCSP is served in front of Flask
FIELDS = ("error_rate", "status", "delay_ms_max", "after_processing_rate", "routes", "seed")
SEED_LIMIT = 2**63
#: Moves whenever the policy is set or cleared, so that each call can skip reading it while none is set.
REVISION_COUNTER = "faults_revision"


class FaultInjected(MockError):
    code = "fault_injected"
    status = DEFAULT_STATUS
    title = "Injected fault"


@dataclass(frozen=True)
class Policy:
    revision: str
    error_rate: float
    status: int
    delay_ms_max: int
    after_processing_rate: float
    routes: tuple[str, ...]
    seed: int | None
    updated_at: datetime | None

    def matches(self, path: str) -> bool:
        if path.startswith(EXEMPT_PREFIXES):
            return False
        return any(fnmatchcase(path, pattern) for pattern in self.routes)

    def as_json(self) -> dict[str, Any]:
        return {
            "active": self.updated_at is not None,
            "error_rate": self.error_rate,
            "status": self.status,
            "delay_ms_max": self.delay_ms_max,
            "after_processing_rate": self.after_processing_rate,
            "routes": list(self.routes),
            "seed": self.seed,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


#: What ``GET /_mock/faults`` answers when no policy is set.
NO_POLICY = Policy("", 0.0, DEFAULT_STATUS, 0, 0.0, DEFAULT_ROUTES, None, None)


def parse(body: dict[str, Any]) -> dict[str, Any]:
    """The policy's fields from a ``PUT`` body (absent ones take their default); ``400 invalid_fault_policy``."""
    errors: list[dict[str, str]] = []

    def refuse(field: str, detail: str, code: str = "invalid") -> None:
        errors.append({"field": field, "code": code, "detail": detail})

    errors.extend(
        {"field": name, "code": "unknown_field", "detail": f"not one of {', '.join(FIELDS)}"}
        for name in body
        if name not in FIELDS
    )
    fields: dict[str, Any] = {}
    for name in ("error_rate", "after_processing_rate"):
        value = body.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            refuse(name, "a number from 0 to 1")
        else:
            fields[name] = float(value)
    status = body.get("status", DEFAULT_STATUS)
    if isinstance(status, bool) or not isinstance(status, int) or not (500 <= status <= 599 or status in (408, 429)):
        refuse("status", "500 to 599, 408 or 429")
    else:
        fields["status"] = status
    delay = body.get("delay_ms_max", 0)
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY_MS:
        refuse("delay_ms_max", f"an integer from 0 to {MAX_DELAY_MS} (milliseconds)")
    else:
        fields["delay_ms_max"] = delay
    routes = body.get("routes", list(DEFAULT_ROUTES))
    if (
        not isinstance(routes, list)
        or not 1 <= len(routes) <= MAX_ROUTES
        or not all(isinstance(r, str) and r.startswith("/") and len(r) <= 300 for r in routes)
    ):
        refuse("routes", f"1 to {MAX_ROUTES} path patterns starting with '/' (glob: *, ?, [..])")
    else:
        fields["routes"] = tuple(routes)
    seed = body.get("seed")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not -SEED_LIMIT < seed < SEED_LIMIT
    ):
        refuse("seed", "an integer, or null")
    else:
        fields["seed"] = seed
    if errors:
        raise InvalidInput("invalid fault policy", code="invalid_fault_policy", errors=errors)
    return fields


def current(session: Session) -> Policy | None:
    row = session.get(FaultPolicy, ROW_ID)
    if row is None:
        return None
    return Policy(
        revision=row.revision,
        error_rate=row.error_rate,
        status=row.status,
        delay_ms_max=row.delay_ms_max,
        after_processing_rate=row.after_processing_rate,
        routes=tuple(json.loads(row.routes)),
        seed=row.seed,
        updated_at=row.updated_at,
    )


def put(session: Session, fields: dict[str, Any], now: datetime) -> Policy:
    """Set the standing policy (replacing any other)."""
    row = session.get(FaultPolicy, ROW_ID, with_for_update=True)
    if row is None:
        row = FaultPolicy(id=ROW_ID)
        session.add(row)
    row.revision = new_id("flt")
    row.error_rate = fields["error_rate"]
    row.status = fields["status"]
    row.delay_ms_max = fields["delay_ms_max"]
    row.after_processing_rate = fields["after_processing_rate"]
    row.routes = json.dumps(list(fields["routes"]))
    row.seed = fields["seed"]
    row.updated_at = now
    bump_counter(session, REVISION_COUNTER)
    session.flush()
    policy = current(session)
    assert policy is not None
    return policy


def clear(session: Session) -> None:
    session.execute(delete(FaultPolicy))
    bump_counter(session, REVISION_COUNTER)


@dataclass(frozen=True)
class _Draw:
    delay_ms: float
    fail: bool
    after_processing: bool
    retry_after: int


class _Dice:
    """This process's random sequence, reseeded when the policy changes (by its revision)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._random = random.Random()  # noqa: S311  (chaos testing, not cryptography)

    def draw(self, policy: Policy) -> _Draw:
        with self._lock:
            if policy.revision != self._revision:
                self._revision = policy.revision
                self._random = random.Random(policy.seed)  # noqa: S311
            rnd = self._random
            # Always four draws per call, so that a seeded sequence does not depend on the outcomes.
            delay = rnd.uniform(0, policy.delay_ms_max)
            fail = rnd.random() < policy.error_rate
            after = rnd.random() < policy.after_processing_rate
            retry_after = rnd.randint(0, 1)
        return _Draw(delay, fail, fail and after, retry_after)


def install(app: Flask) -> None:
    """Register the fault hooks. Call it after the request-history hook, so that history sees the final status."""
    dice = _Dice()
    standing = AbsenceLatch(app.extensions["jesign_mock"].db, REVISION_COUNTER)

    @app.before_request
    def _faults_before() -> None:
        path = request.path
        if path.startswith(EXEMPT_PREFIXES):
            return
        revision = standing.revision()
        if standing.known_absent(revision):
            return
        with services().db.transaction() as session:
            policy = current(session)
        if policy is None:
            standing.mark_absent(revision)
            return
        if not policy.matches(path):
            return
        draw = dice.draw(policy)
        if draw.delay_ms > 0:
            time.sleep(draw.delay_ms / 1000)
        if not draw.fail:
            return
        if draw.after_processing:
            g.fault_after = (policy.status, draw.retry_after)
            return
        failure = FaultInjected(
            f"a fault policy of the control plane made {request.method} {path} fail before processing",
            extra={"phase": "before_processing"},
            headers={"Retry-After": str(draw.retry_after)},
        )
        failure.status = policy.status
        raise failure

    @app.after_request
    def _faults_after(response: Response) -> Response:
        fault: tuple[int, int] | None = g.pop("fault_after", None)
        if fault is None:
            return response
        status, retry_after = fault
        return problem(
            status,
            FaultInjected.code,
            FaultInjected.title,
            f"a fault policy of the control plane made {request.method} {request.path} fail after processing"
            " (the call took effect)",
            headers={"Retry-After": str(retry_after)},
            extra={"phase": "after_processing"},
        )
