"""What a check receives: :class:`CheckContext`, and the outcomes it can end with.

A check is a function ``check(ctx) -> None``. It ends

- PASSED by returning (with no :meth:`~CheckContext.warn`);
- WARNING by returning after :meth:`~CheckContext.warn`;
- FAILED through :meth:`~CheckContext.fail` or a false :meth:`~CheckContext.expect` (the rule is broken);
- SKIPPED through :meth:`~CheckContext.skip`, when the harness lacks a capability the check ``needs``, or when
  the check asks for an account or a party that the target does not name
  (:class:`~conformance.target.AbsentFromTarget`, from ``ctx.target.account(role)``, ``ctx.login(role)`` or a
  request to that party);
- ERROR on any other exception (the check could not reach a verdict: the target answered something unexpected
  before the rule could be judged, a harness could not do its part…).

Use :meth:`~CheckContext.expect_status` for the answer a step must give on the way to the rule (an unexpected
status there is an ERROR, not a verdict), and :meth:`~CheckContext.expect_refusal` or
:meth:`~CheckContext.expect_accepted` for the rule itself (a wrong answer there is FAILED).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn, TypeVar

import requests

from conformance.harness import Harness
from conformance.http import RecordingClient
from conformance.oidc import Tokens, login
from conformance.target import AbsentFromTarget, Target

T = TypeVar("T")


class CheckFailed(Exception):
    """The target broke the rule (FAILED)."""


class CheckSkipped(Exception):
    """The check cannot be run here (SKIPPED, with the reason)."""


class UnexpectedAnswer(Exception):
    """The target answered a preliminary step unexpectedly: no verdict on the rule (ERROR)."""


class FixtureFailed(Exception):
    """A plan fixture failed for an earlier check; every check needing it ends in ERROR."""


class CheckContext:
    """Everything a check may use: the target, the recording HTTP client, the harness, fixtures, verdicts."""

    def __init__(
        self,
        *,
        target: Target,
        http: RecordingClient,
        harness: Harness,
        plan_state: dict[str, Any],
    ) -> None:
        self.target = target
        self.http = http
        self.harness = harness
        #: Values shared by the checks of one plan run (fixtures, logins); emptied at each plan's start.
        self.plan_state = plan_state
        self.messages: list[str] = []
        self.warnings: list[str] = []

    # -- verdicts --------------------------------------------------------------------------------------------------

    def fail(self, message: str) -> NoReturn:
        raise CheckFailed(message)

    def expect(self, condition: object, message: str) -> None:
        """FAILED with ``message`` unless ``condition`` holds."""
        if not condition:
            raise CheckFailed(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def skip(self, reason: str) -> NoReturn:
        raise CheckSkipped(reason)

    def note(self, message: str) -> None:
        """A line for the report, whatever the outcome."""
        self.messages.append(message)

    # -- answers ---------------------------------------------------------------------------------------------------

    def expect_status(self, response: requests.Response, *statuses: int, what: str = "") -> Any:
        """A preliminary step's answer: one of ``statuses`` or ERROR. Answers the JSON body (or None)."""
        if response.status_code not in statuses:
            raise UnexpectedAnswer(
                f"{what or f'{response.request.method} {response.request.path_url}'} answered "
                f"{response.status_code}, expected {' or '.join(map(str, statuses))}: {_brief(response)}"
            )
        return _json(response)

    def expect_accepted(self, response: requests.Response, *statuses: int, rule: str) -> Any:
        """The rule itself is that this is accepted: one of ``statuses`` (default 200), else FAILED."""
        wanted = statuses or (200,)
        if response.status_code not in wanted:
            self.fail(f"{rule}: refused with {response.status_code} ({_brief(response)})")
        return _json(response)

    def expect_refusal(
        self, response: requests.Response, status: int | tuple[int, ...], code: str | tuple[str, ...] | None, rule: str
    ) -> dict[str, Any]:
        """The rule itself: the answer must be a refusal with ``status`` (and the problem's ``code``), else FAILED.

        A refusal that is not an RFC 9457 ``application/problem+json`` body is a WARNING (DESIGN.md §5)."""
        statuses = (status,) if isinstance(status, int) else status
        if 200 <= response.status_code < 300:
            self.fail(f"{rule}: the provider accepted it ({response.status_code})")
        body = _json(response)
        if response.status_code not in statuses:
            self.fail(f"{rule}: answered {response.status_code}, expected {statuses[0]} ({_brief(response)})")
        problem = body if isinstance(body, dict) else {}
        media_type = response.headers.get("Content-Type", "")
        if "problem+json" not in media_type:
            self.warn(f"{rule}: the refusal is {media_type or 'untyped'}, not an RFC 9457 application/problem+json")
        codes = (code,) if isinstance(code, str) else code
        if codes is not None and problem.get("code") not in codes:
            self.fail(f"{rule}: refused with code {problem.get('code')!r}, expected {' or '.join(codes)}")
        return problem

    # -- the target's clock ----------------------------------------------------------------------------------------

    def target_now(self, answer: requests.Response | None = None) -> datetime:
        """The target's clock: the harness's reading when it can read it (the mock's, which may be moved), else the
        ``Date`` header of ``answer`` (RFC 9110 §6.6.1, to the second), else this machine's clock."""
        now = self.harness.now() if "clock" in self.harness.capabilities else None
        if now is None and answer is not None and "Date" in answer.headers:
            try:
                now = parsedate_to_datetime(answer.headers["Date"])
            except (TypeError, ValueError):
                now = None
        return (now or datetime.now(UTC)).astimezone(UTC)

    # -- fixtures and logins ---------------------------------------------------------------------------------------

    def use(self, fixture: Callable[[CheckContext], T]) -> T:
        """The value of a plan fixture (see :func:`conformance.registry.fixture`), computed on first use."""
        key = f"fixture:{fixture.__module__}.{fixture.__qualname__}"
        if key in self.plan_state:
            value = self.plan_state[key]
            if isinstance(value, FixtureFailed | AbsentFromTarget):
                raise type(value)(str(value))
            return value  # type: ignore[no-any-return]
        try:
            value = fixture(self)
        except CheckSkipped:
            raise
        except AbsentFromTarget as exc:  # every check that needs this fixture is SKIPPED for the same reason
            self.plan_state[key] = exc
            raise
        except Exception as exc:
            self.plan_state[key] = FixtureFailed(f"the fixture {fixture.__name__} failed earlier: {exc}")
            raise
        self.plan_state[key] = value
        return value

    def login(self, role: str, *, fresh: bool = False) -> Tokens:
        """Log the target's ``role`` account in (PKCE code flow through the harness); kept for the plan run.

        Raises :class:`~conformance.oidc.LoginError` (the check ends in ERROR) when the login does not work; a
        login that works but answered a defective state or id_token gives tokens whose ``findings`` say so."""
        if "login" not in self.harness.capabilities:
            self.skip(f"the {self.harness.name} harness cannot log in")
        key = f"login:{role}"
        if fresh or key not in self.plan_state:
            self.plan_state[key] = login(self.http, self.harness, self.target, self.target.account(role))
        tokens: Tokens = self.plan_state[key]
        return tokens


def _json(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _brief(response: requests.Response) -> str:
    body = _json(response)
    if isinstance(body, dict):
        return str(body.get("code") or body.get("error") or body.get("title") or "")[:200]
    return response.text[:120]
