"""The SDK's time: the clock it reads, and the clock skew it tolerates.

A clock is any callable that answers the current instant as a timezone-aware datetime (``Client(clock=...)``). The
SDK reads it where the current instant decides an outcome:

- the id_token's ``iat``, ``nbf`` and ``exp``, checked within ``leeway`` (the SSO's clock and this one never agree
  to the second);
- the instant a signature is validated at, and the signer is validated at when a B-LT or B-LTA signature is made:
  certificates' validity and revocation data's freshness, both within ``leeway``;
- the signing time a new signature claims (its ``/M``; the time-stamp's time is the TSA's).

An access token's expiry is not read from it: ``expires_in`` is a duration, measured on this machine from the
answer that gave the token.

By default the clock is this machine's (:func:`system_clock`). :class:`ServerClock` follows a server's clock
instead, through the standard ``Date`` header of its answers: what the pytest plugin and the command line use with
the mock, whose clock tests move (its ``Date`` tells its clock's time).
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests

from jesign_sdk._errors import APIConnectionError, APIResponseValidationError

__all__ = ["DEFAULT_LEEWAY", "MOCK_SERVER", "Clock", "ServerClock", "system_clock"]

#: Answers the current instant, timezone-aware.
Clock = Callable[[], datetime]

#: The clock skew tolerated by default between this machine, the SSO and the PKI.
DEFAULT_LEEWAY = timedelta(seconds=60)

#: The product in the ``Server`` header of the mock's answers (RFC 9110 section 10.2.4).
MOCK_SERVER = "jesign-mock"


def system_clock() -> datetime:
    """This machine's clock."""
    return datetime.now(UTC)


class ServerClock:
    """The clock of the server at ``url``, as the ``Date`` header of its answers tells it (RFC 9110 section 6.6.1),
    to the second.

    Each reading is one ``HEAD`` request to ``url`` (any answer carries ``Date``, an error's too), so that a server
    whose clock was moved a moment ago is read as it is now. Failing to read it raises
    :class:`~jesign_sdk.APIConnectionError` (no answer) or :class:`~jesign_sdk.APIResponseValidationError` (no
    ``Date``, or not one date).

    ``mock_only``: follow the server only when it is the jesign mock (the ``Server`` header of its answers names
    ``jesign-mock``), whose clock tests move; any other server is taken to keep real time, and this machine's
    clock is read from then on without asking it again. This is what the command line does.
    """

    def __init__(
        self,
        url: str,
        *,
        mock_only: bool = False,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.mock_only = mock_only
        self.timeout = timeout
        self._session = session  # None: each reading opens and closes its own connection
        self._local = False

    def __call__(self) -> datetime:
        if self._local:
            return system_clock()
        try:
            head = self._session.head if self._session is not None else requests.head
            answer = head(self.url, timeout=self.timeout, allow_redirects=False)
        except (requests.RequestException, OSError) as exc:
            raise APIConnectionError(f"HEAD {self.url}: cannot read the server's clock ({exc})") from exc
        if self.mock_only and not answer.headers.get("Server", "").startswith(MOCK_SERVER):
            self._local = True
            return system_clock()
        return _date(answer)

    def __repr__(self) -> str:
        return f"ServerClock({self.url!r}, mock_only={self.mock_only})"


def _date(answer: requests.Response) -> datetime:
    raw = answer.headers.get("Date")
    try:
        if raw is None:
            raise ValueError("no Date header")
        if raw.count(",") > 1:  # requests joins repeated headers with a comma: two dates, which is the server's?
            raise ValueError("several Date headers")
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError) as exc:
        raise APIResponseValidationError(
            f"HEAD {answer.url}: the server's clock cannot be read from its Date header ({raw!r})",
            status_code=answer.status_code,
            request_id=answer.headers.get("X-Request-Id"),
        ) from exc
    # RFC 9110's IMF-fixdate is in GMT; a date without a zone (RFC 850's, asctime's) is GMT too.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
