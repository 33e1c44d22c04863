"""The catalogue of rule switches: every switch of the mock, by id, from the modules of the rule areas listed here.

A new rule area's module is added to :data:`AREAS` by hand: the catalogue is complete without importing the rest
of the package (no app, no Flask), for the control plane, the tests that prove each switch is caught, and the
documentation.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from mock_provider.core.misbehaviour.areas import (
    http,
    otp,
    pki,
    registration,
    registration_limits,
    signing,
    sso,
    transactions,
    webhooks,
)
from mock_provider.core.misbehaviour.switch import Breakage

#: The modules that declare the switches, in the order the catalogue lists them.
AREAS: tuple[ModuleType, ...] = (
    http,
    sso,
    registration,
    registration_limits,
    otp,
    signing,
    pki,
    webhooks,
    transactions,
)


def collect(areas: Iterable[ModuleType]) -> dict[str, Breakage]:
    catalogue: dict[str, Breakage] = {}
    for area in areas:
        for value in vars(area).values():
            if not isinstance(value, Breakage):
                continue
            if value.id in catalogue:
                raise ValueError(f"breakage {value.id!r} is declared twice ({area.__name__})")
            catalogue[value.id] = value
    return catalogue


#: Every switch, by id, in declaration order.
CATALOGUE: dict[str, Breakage] = collect(AREAS)


def unknown(ids: Iterable[str]) -> list[str]:
    """The ids among ``ids`` that name no declared switch."""
    return sorted(set(ids) - CATALOGUE.keys())
