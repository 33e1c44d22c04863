"""Domain errors of the mock's core, each with a stable wire code.

The HTTP layer turns them into RFC 9457 problem+json answers (``code``, ``title``, ``status``, ``detail``, and
``errors[]`` for field errors, plus any extension members in ``extra``); the core raises them before it changes
anything, so a refused call leaves no trace. (The one deliberate exception: a wrong SMS code still counts as an
attempt; the OTP module records it before the error is raised.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class MockError(Exception):
    """Root of the core's errors. ``code`` is stable snake_case; ``status`` the HTTP status that fits."""

    code = "mock_error"
    status = 400
    title = "Request refused"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = [dict(e) for e in errors or ()]
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


class InvalidInput(MockError):
    code = "invalid_input"
    status = 400
    title = "Invalid input"


class Unauthenticated(MockError):
    code = "unauthenticated"
    status = 401
    title = "Authentication required"


class Forbidden(MockError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class NotFound(MockError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(MockError):
    """An illegal transition: the resource is not in a state that allows the call."""

    code = "conflict"
    status = 409
    title = "Conflict with the current state"


class Gone(MockError):
    code = "gone"
    status = 410
    title = "No longer available"


class Locked(MockError):
    code = "locked"
    status = 423
    title = "Locked"


class RateLimited(MockError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"


class Unavailable(MockError):
    code = "service_unavailable"
    status = 503
    title = "Service unavailable"
