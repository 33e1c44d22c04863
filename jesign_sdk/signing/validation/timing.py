"""The instant pyHanko validates at: the client's clock's (``Client(clock=...)``), not this machine's.

pyhanko-certvalidator reads this machine's clock unless it is given a ``moment``, and a moment makes its validation
a point-in-time (historical) one, which counts a revocation only when it is dated before that moment. The SDK's
validations are validations now, on another clock: :func:`validation_context` gives the moment and keeps the
semantics of now, so that a revocation the responder reports counts whatever its date, as it does by default.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

__all__ = ["validation_context"]


def validation_context(
    at: datetime, leeway: timedelta, *, dss: DocumentSecurityStore | None = None, **options: Any
) -> ValidationContext:
    """A validation context (``options`` as :class:`ValidationContext` takes them) that validates now, ``at`` being
    the current instant, with ``leeway`` of tolerance on validity periods and revocation data's freshness; built on
    the document's DSS when ``dss`` is given."""
    options = {**options, "moment": at, "time_tolerance": leeway}
    context = dss.as_validation_context(options) if dss is not None else ValidationContext(**options)
    timing = context.timing_params
    now = dataclasses.replace(timing.timing_info, point_in_time_validation=False)
    context.timing_params = dataclasses.replace(timing, timing_info=now)
    return context
