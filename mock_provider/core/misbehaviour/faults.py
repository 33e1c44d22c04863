"""The fault policy: rules that delay matching calls and make some of them fail (pure: no storage, no Flask).

The policy is a list of rules, kept by :mod:`mock_provider.core.misbehaviour.fault_store` and applied to each call
by a thin hook of the control plane (:mod:`mock_provider.api.faults`). A rule names the ``routes`` it matches
(glob patterns on the path, ``/trust/v1/*``, optionally after a method, ``POST /trust/v1/registrations``; never
``/_mock``, the console or OCSP, which is served in front of Flask), and on each matching call:

1. the call waits a random delay between ``delay_ms_min`` and ``delay_ms_max`` milliseconds;
2. with probability ``error_rate`` it fails with ``status``. Among failures, a share ``after_processing_rate`` fails
   *after* processing: the real handler ran and committed, and the caller sees the failure instead of its answer
   (what a lost connection does). The others fail *before* processing and change nothing. A failure carries
   ``Retry-After: retry_after`` seconds, or 0 or 1 at random when the rule gives none.

A rule with a ``count`` applies to that many matching calls, then is gone: a one-shot fault is a rule with count 1,
taken by a conditional update so that it fires exactly once under parallel calls. Every matching rule applies to a
call (their delays add up; the first failing one, in the order they were added, answers). The deprecated route
scenarios (``route_error``, ``route_delay``, :func:`route_scenario`) are such rules with count 1.

With a ``seed``, each process draws from its own ``random.Random(seed)`` per rule, reseeded whenever the rule
changes: a single-process mock replays the same sequence of delays and failures.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from mock_provider.core.errors import InvalidInput

DEFAULT_ROUTES = ("/platform/api/v1/*", "/trust/v1/*", "/sso/*")
DEFAULT_STATUS = 503
MAX_DELAY_MS = 10_000
MAX_ROUTES = 50
MAX_COUNT = 1_000_000
#: Never faulted: the control plane and its console, and OCSP (served in front of Flask, it never reaches the hook).
EXEMPT_PREFIXES = ("/_mock", "/console", "/pki/ocsp")
FIELDS = (
    "error_rate",
    "status",
    "delay_ms_min",
    "delay_ms_max",
    "after_processing_rate",
    "retry_after",
    "routes",
    "seed",
    "count",
)
MAX_RETRY_AFTER = 3600
SEED_LIMIT = 2**63
#: The deprecated scenario kinds that queue a one-shot rule, and their limits.
ROUTE_SCENARIOS = ("route_error", "route_delay")
MAX_SCENARIO_DELAY_MS = 30_000


@dataclass(frozen=True)
class FaultSpec:
    """What a caller asks for: a rule's settings (see the module's docstring)."""

    error_rate: float = 0.0
    status: int = DEFAULT_STATUS
    delay_ms_min: int = 0
    delay_ms_max: int = 0
    after_processing_rate: float = 0.0
    #: The ``Retry-After`` (seconds) of the failures; None: 0 or 1 at random.
    retry_after: int | None = None
    routes: tuple[str, ...] = DEFAULT_ROUTES
    seed: int | None = None
    #: How many matching calls the rule applies to; None: until it is cleared.
    count: int | None = None
    #: The deprecated scenario kind that asked for it, if any (its failures keep that scenario's problem).
    alias: str | None = None


@dataclass(frozen=True)
class FaultRule:
    """A stored rule: its settings, and ``remaining`` uses when it has a count."""

    id: str
    revision: str
    spec: FaultSpec
    remaining: int | None
    updated_at: datetime

    def matches(self, method: str, path: str) -> bool:
        return matches(self.spec.routes, method, path)

    def as_json(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "id": self.id,
            "active": True,
            "error_rate": spec.error_rate,
            "status": spec.status,
            "delay_ms_min": spec.delay_ms_min,
            "delay_ms_max": spec.delay_ms_max,
            "after_processing_rate": spec.after_processing_rate,
            "retry_after": spec.retry_after,
            "routes": list(spec.routes),
            "seed": spec.seed,
            "count": self.remaining,
            "updated_at": self.updated_at.isoformat(),
        }


def inactive_json() -> dict[str, Any]:
    """What ``GET /_mock/faults`` says of the standing rule when none is set."""
    spec = FaultSpec()
    return {
        "id": None,
        "active": False,
        "error_rate": spec.error_rate,
        "status": spec.status,
        "delay_ms_min": spec.delay_ms_min,
        "delay_ms_max": spec.delay_ms_max,
        "after_processing_rate": spec.after_processing_rate,
        "retry_after": spec.retry_after,
        "routes": list(spec.routes),
        "seed": spec.seed,
        "count": None,
        "updated_at": None,
    }


def matches(routes: Iterable[str], method: str, path: str) -> bool:
    """Whether a call matches one of ``routes`` (``/glob`` or ``METHOD /glob``); exempt paths never do."""
    if path.startswith(EXEMPT_PREFIXES):
        return False
    for pattern in routes:
        wanted, _, glob = pattern.rpartition(" ")
        if (not wanted or wanted.strip().upper() == method.upper()) and fnmatchcase(path, glob):
            return True
    return False


def parse(body: Mapping[str, Any]) -> FaultSpec:
    """A rule from a ``PUT``/``POST /_mock/faults`` body (absent fields take their default);
    ``400 invalid_fault_policy`` with every wrong field."""
    errors: list[dict[str, str]] = []

    def refuse(field: str, detail: str) -> None:
        errors.append({"field": field, "code": "invalid", "detail": detail})

    errors.extend(
        {"field": name, "code": "unknown_field", "detail": f"not one of {', '.join(FIELDS)}"}
        for name in body
        if name not in FIELDS
    )
    rates: dict[str, float] = {}
    for name in ("error_rate", "after_processing_rate"):
        value = body.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            refuse(name, "a number from 0 to 1")
        else:
            rates[name] = float(value)
    status = body.get("status", DEFAULT_STATUS)
    if not _integer(status) or not (500 <= status <= 599 or status in (408, 429)):
        refuse("status", "500 to 599, 408 or 429")
    delays: dict[str, int] = {}
    for name in ("delay_ms_min", "delay_ms_max"):
        delay = body.get(name, 0)
        if not _integer(delay) or not 0 <= delay <= MAX_DELAY_MS:
            refuse(name, f"an integer from 0 to {MAX_DELAY_MS} (milliseconds)")
        else:
            delays[name] = delay
    if len(delays) == 2 and delays["delay_ms_min"] > delays["delay_ms_max"]:
        refuse("delay_ms_min", "at most delay_ms_max")
    routes = body.get("routes", list(DEFAULT_ROUTES))
    if (
        not isinstance(routes, list)
        or not 1 <= len(routes) <= MAX_ROUTES
        or not all(isinstance(r, str) and r.rpartition(" ")[2].startswith("/") and len(r) <= 300 for r in routes)
    ):
        refuse(
            "routes", f"1 to {MAX_ROUTES} path patterns starting with '/' (glob: *, ?, [..]), each maybe after a method"
        )
    retry_after = body.get("retry_after")
    if retry_after is not None and (not _integer(retry_after) or not 0 <= retry_after <= MAX_RETRY_AFTER):
        refuse("retry_after", f"an integer from 0 to {MAX_RETRY_AFTER} (seconds), or null (0 or 1 at random)")
    seed = body.get("seed")
    if seed is not None and (not _integer(seed) or not -SEED_LIMIT < seed < SEED_LIMIT):
        refuse("seed", "an integer, or null")
    count = body.get("count")
    if count is not None and (not _integer(count) or not 1 <= count <= MAX_COUNT):
        refuse("count", f"an integer from 1 to {MAX_COUNT} (matching calls), or null (until cleared)")
    if errors:
        raise InvalidInput("invalid fault policy", code="invalid_fault_policy", errors=errors)
    return FaultSpec(
        error_rate=rates["error_rate"],
        status=status,
        delay_ms_min=delays["delay_ms_min"],
        delay_ms_max=delays["delay_ms_max"],
        after_processing_rate=rates["after_processing_rate"],
        retry_after=retry_after,
        routes=tuple(routes),
        seed=seed,
        count=count,
    )


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def route_scenario(kind: str, target: str | None, value: int | None) -> FaultSpec:
    """The one-shot rule a deprecated route scenario asks for; ``400 invalid_scenario`` as before.

    ``route_error`` (target ``METHOD /path/pattern``, value an HTTP error status, 503 by default): the next matching
    call answers it before processing. ``route_delay`` (same target, value 1 to 30000 milliseconds): the next
    matching call waits that long.
    """
    if not target or " " not in target.strip():
        raise InvalidInput("target must be 'METHOD /path/pattern'", code="invalid_scenario")
    if kind == "route_error":
        if value is not None and not 400 <= value <= 599:
            raise InvalidInput("value must be an HTTP error status", code="invalid_scenario")
        return FaultSpec(error_rate=1.0, status=value or DEFAULT_STATUS, routes=(target.strip(),), count=1, alias=kind)
    if value is None or not 0 < value <= MAX_SCENARIO_DELAY_MS:
        raise InvalidInput("value must be a delay of 1 to 30000 milliseconds", code="invalid_scenario")
    return FaultSpec(delay_ms_min=value, delay_ms_max=value, routes=(target.strip(),), count=1, alias=kind)


@dataclass(frozen=True)
class Failure:
    """How a call fails: the rule that made it, with its status, and whether the call was processed first."""

    rule: FaultRule
    status: int
    after_processing: bool
    #: ``Retry-After`` in seconds, or None to send none.
    retry_after: int | None


@dataclass(frozen=True)
class Decision:
    """What the matching rules do to one call: wait ``delay_ms``, then maybe fail."""

    delay_ms: float
    failure: Failure | None


class Dice:
    """This process's random sequences, one per rule, reseeded when the rule changes (by its revision)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sequences: dict[str, tuple[str, random.Random]] = {}

    def random_for(self, rule: FaultRule) -> random.Random:
        """The rule's sequence; call it under :meth:`drawing`, which keeps a call's draws together."""
        kept = self._sequences.get(rule.id)
        if kept is None or kept[0] != rule.revision:
            kept = (rule.revision, random.Random(rule.spec.seed))  # noqa: S311  (chaos testing, not cryptography)
            self._sequences[rule.id] = kept
        return kept[1]

    def forget_others(self, ids: Iterable[str]) -> None:
        """Drop the sequences of rules that are gone."""
        kept = set(ids)
        with self._lock:
            for gone in self._sequences.keys() - kept:
                del self._sequences[gone]

    def decide(self, rules: Iterable[FaultRule]) -> Decision:
        """Draw the fate of one call that ``rules`` (in the order they were added) all match."""
        delay = 0.0
        failure: Failure | None = None
        with self._lock:
            for rule in rules:
                spec, rnd = rule.spec, self.random_for(rule)
                # Always four draws per rule and call, so that a seeded sequence does not depend on the outcomes.
                delay += rnd.uniform(spec.delay_ms_min, spec.delay_ms_max)
                fail = rnd.random() < spec.error_rate
                after = rnd.random() < spec.after_processing_rate
                drawn = rnd.randint(0, 1)
                retry_after = drawn if spec.retry_after is None else spec.retry_after
                if fail and failure is None:
                    if spec.alias is not None:  # a route scenario: before processing, Retry-After 1 on a 503
                        failure = Failure(rule, spec.status, False, 1 if spec.status == DEFAULT_STATUS else None)
                    else:
                        failure = Failure(rule, spec.status, after, retry_after)
        return Decision(delay, failure)
