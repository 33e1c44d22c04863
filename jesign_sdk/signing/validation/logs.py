"""pyHanko's log records during a validation: into the signature's report, not onto the application's stderr.

pyHanko and pyhanko-certvalidator log a warning with its traceback for every certificate that does not validate
(a revoked signer: 28 to 40 lines of traceback on stderr, through logging's last-resort handler when the
application configured no logging). While a signature is validated, the warnings of the ``pyhanko`` and
``pyhanko_certvalidator`` loggers go to that validation's list instead, and their messages (without traceback)
into the report's ``details``. A handler the application put on those loggers themselves still gets every record;
lower levels, and records from elsewhere meanwhile (another thread signing), go on to the root logger's handlers
as they would have.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["captured", "messages"]

_PYHANKO_LOGGERS = ("pyhanko", "pyhanko_certvalidator")
_records: ContextVar[list[logging.LogRecord] | None] = ContextVar("jesign_validation_records", default=None)


class _Diverter(logging.Handler):
    """On pyHanko's loggers while validations run: a warning of a validation goes to its list; any other record
    (debugging information, or from another thread meanwhile) goes on to the root logger's handlers, as it would
    have."""

    def emit(self, record: logging.LogRecord) -> None:
        records = _records.get()
        if records is not None and record.levelno >= logging.WARNING:
            records.append(record)
        else:
            logging.getLogger().callHandlers(record)


class _Diversion:
    """pyHanko's loggers, diverted while at least one validation runs (in any thread), as they were otherwise."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._handler = _Diverter()
        self._propagated: dict[str, bool] = {}

    def __enter__(self) -> None:
        with self._lock:
            if self._users == 0:
                for name in _PYHANKO_LOGGERS:
                    logger = logging.getLogger(name)
                    self._propagated[name] = logger.propagate
                    logger.addHandler(self._handler)
                    logger.propagate = False
            self._users += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                for name in _PYHANKO_LOGGERS:
                    logger = logging.getLogger(name)
                    logger.removeHandler(self._handler)
                    logger.propagate = self._propagated.pop(name, True)


_DIVERSION = _Diversion()


@contextmanager
def captured() -> Iterator[list[logging.LogRecord]]:
    """What pyHanko logs meanwhile, in this task or the threads it starts (asyncio copies the context into them)."""
    records: list[logging.LogRecord] = []
    token = _records.set(records)
    try:
        with _DIVERSION:
            yield records
    finally:
        _records.reset(token)


def messages(records: list[logging.LogRecord]) -> tuple[str, ...]:
    """Each record's message, once, on one line, without its traceback."""
    return tuple(dict.fromkeys(" ".join(record.getMessage().split()) for record in records))
