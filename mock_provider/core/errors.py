"""Domain errors of the mock's core, each with a stable wire code.

The HTTP layer turns them into RFC 9457 problem+json answers (``code``, ``title``, ``status``, ``detail``);
the core raises them before it changes anything, so a refused call leaves no trace.
"""

from __future__ import annotations


class MockError(Exception):
    """Root of the core's errors. ``code`` is stable snake_case; ``status`` the HTTP status that fits."""

    code = "mock_error"
    status = 400
    title = "Request refused"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(MockError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(MockError):
    code = "conflict"
    status = 409
    title = "Conflict with the current state"


class InvalidInput(MockError):
    code = "invalid_input"
    status = 400
    title = "Invalid input"
