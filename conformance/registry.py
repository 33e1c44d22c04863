"""The check registry: plans made of modules made of checks, each a registered function.

A check is declared where it is written, with the :func:`check` decorator::

    @check(
        "registration.otp.expiry",                     # "<plan>.<module>.<name>": stable, never reused
        title="An SMS code is refused after 30 minutes",
        cites=("Guide, étape 4 : « Vous aurez 30 mins pour signer »",),
        severity=Severity.CRITICAL,                    # how bad a failure is
        needs=("clock",),                              # harness capabilities; SKIPPED with a reason if missing
    )
    def otp_expiry(ctx: CheckContext) -> None: ...

Plans live in ``conformance/plans/<plan>.py`` or a package ``conformance/plans/<plan>/``: :func:`discover`
imports every module under :mod:`conformance.plans`, and the import registers the checks. Checks run in
registration order (a plan's modules in import order, a module's checks in definition order).

A check of the ``smoke`` plan may be a **gate** (``gate=True``): when a gate fails, the target cannot be reached or
logged in to, every other check is SKIPPED and the run's verdict is "unreachable". Every other check, the smoke
plan's included, judges conformance.

A :func:`fixture` is a function of the context whose value is computed once per plan run, the first time a check
asks for it with ``ctx.use(fixture_function)``: for instance an account walked to a given registration step.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from conformance.results import Severity

if TYPE_CHECKING:
    from conformance.context import CheckContext

CheckFunction = Callable[["CheckContext"], None]
T = TypeVar("T")

_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")

#: The plans in the order they run; a plan not listed runs after these, alphabetically.
PLAN_ORDER = ("smoke", "sso", "registration", "pki", "signing", "security", "concurrency")


@dataclass(frozen=True)
class Check:
    """A registered check: what it enforces (``cites``), how bad a failure is, what the harness must offer."""

    id: str
    title: str
    cites: tuple[str, ...]
    severity: Severity
    needs: tuple[str, ...]
    function: CheckFunction
    doc: str = ""
    #: A smoke check whose failure means "cannot reach or log in", not "does not conform".
    gate: bool = False

    @property
    def plan(self) -> str:
        return self.id.split(".")[0]

    @property
    def module(self) -> str:
        return self.id.split(".")[1]


#: Every check, by id, in registration order.
CHECKS: dict[str, Check] = {}


def check(
    check_id: str,
    *,
    title: str,
    cites: Iterable[str],
    severity: Severity = Severity.MAJOR,
    needs: Iterable[str] = (),
    gate: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check ``check_id`` (``<plan>.<module>.<name>``)."""
    if not _ID.match(check_id):
        raise ValueError(f"check id {check_id!r} is not <plan>.<module>.<name> in snake_case")
    if gate and not check_id.startswith("smoke."):
        raise ValueError(f"check {check_id} is a gate: only the smoke plan's checks may be")
    cited = tuple(cites)
    if not cited:
        raise ValueError(f"check {check_id} cites nothing: name the rule it enforces")

    def register(function: CheckFunction) -> CheckFunction:
        if check_id in CHECKS and CHECKS[check_id].function.__qualname__ != function.__qualname__:
            raise ValueError(f"check {check_id!r} is registered twice")
        CHECKS[check_id] = Check(
            check_id, title, cited, severity, tuple(needs), function, (function.__doc__ or "").strip(), gate
        )
        return function

    return register


def fixture(function: Callable[[CheckContext], T]) -> Callable[[CheckContext], T]:
    """Mark ``function(ctx)`` as a plan-scoped fixture: ``ctx.use(function)`` computes it once per plan run."""
    function.__conformance_fixture__ = True  # type: ignore[attr-defined]
    return function


_discovered = False


def discover() -> dict[str, Check]:
    """Import every plan module under :mod:`conformance.plans` (which registers their checks); answer the registry."""
    global _discovered
    if not _discovered:
        import conformance.plans

        for info in pkgutil.walk_packages(conformance.plans.__path__, prefix="conformance.plans."):
            importlib.import_module(info.name)
        _discovered = True
    return CHECKS


def plans() -> list[str]:
    """The plans that have checks, in running order."""
    found = {c.plan for c in discover().values()}
    ordered = [p for p in PLAN_ORDER if p in found]
    return ordered + sorted(found - set(ordered))


def checks_of(plan_names: Iterable[str]) -> list[Check]:
    """The checks of those plans, in running order (plans in :func:`plans` order)."""
    wanted = set(plan_names)
    by_plan = {p: [c for c in discover().values() if c.plan == p] for p in plans()}
    return [c for p in plans() if p in wanted for c in by_plan[p]]


def select(checks: list[Check], *, only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[Check]:
    """Filter by id: an entry names a check id or a prefix of ids (``registration.otp`` for its module)."""
    only_list, skip_list = list(only), list(skip)

    def matches(check_id: str, patterns: list[str]) -> bool:
        return any(check_id == p or check_id.startswith(p.rstrip(".") + ".") for p in patterns)

    chosen = [c for c in checks if not only_list or matches(c.id, only_list)]
    return [c for c in chosen if not matches(c.id, skip_list)]
