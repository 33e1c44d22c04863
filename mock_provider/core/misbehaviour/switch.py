"""A rule switch: what it is, and how one is declared.

A switch turns the mock into a provider that breaks one of its own rules on purpose (accept an expired SMS code,
skip the PKCE check, keep answering "good" after a revocation...), so that the repository's tests can prove the
conformance suite catches such a provider. Each is declared once, in the module of its rule area under
``areas/``, and listed by :mod:`mock_provider.core.misbehaviour.catalogue`::

    ACCEPT_EXPIRED_OTP = declare(
        "accept_expired_otp",
        rule="An SMS code is refused once its 30 minutes have passed.",
        check="registration.agreement.otp_expiry",
    )

``check`` names the conformance check that must FAIL while the switch is on. The code that honours it asks, in
the one guard style, ``if ACCEPT_EXPIRED_OTP in breakages:`` (``breakages``: the switches that are on, see
:mod:`mock_provider.core.misbehaviour.switches`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Breakage:
    """One switch: its id, the rule that it breaks, and the conformance check that must catch it."""

    id: str
    rule: str
    check: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "rule": self.rule, "check": self.check}


def declare(breakage_id: str, *, rule: str, check: str) -> Breakage:
    """Declare a switch (in the module of its rule area, which the catalogue lists)."""
    return Breakage(breakage_id, rule, check)
