"""The synchronous API over the asynchronous one: :func:`run_sync` runs a coroutine to its end from plain code.

The SDK's signing and validation are written once, as coroutines (pyHanko's own API is asynchronous at its core);
``sign_pdf`` and its siblings run them with :func:`run_sync`. In a thread where no event loop runs (a script, a
WSGI worker), that is :func:`asyncio.run`. Where one runs (an async web handler calling the synchronous API, a
Jupyter cell), ``asyncio.run`` would refuse, and waiting on that loop would never end, since it is the caller: the
coroutine runs instead in a thread of its own, with its own loop, while the caller's thread waits (its loop with
it: the asynchronous twins, ``async_sign_pdf``..., are the ones that let it go on).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end and answer its result (or raise its exception), inside a running loop too."""
    # The result goes in a box rather than being the main task's: Python 3.11's asyncio.run, restoring the SIGINT
    # handler, formats the repr of its main task, result included, which copies every byte of every signed document
    # into a string (twice) before truncating it: about 30 ms per MB.
    box: list[T] = []

    async def main() -> None:
        box.append(await coroutine)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
    else:
        _run_in_own_thread(main())
    return box[0]


def _run_in_own_thread(main: Coroutine[Any, Any, None]) -> None:
    failures: list[BaseException] = []
    context = contextvars.copy_context()  # as asyncio.to_thread does: the caller's context variables go along

    def target() -> None:
        try:
            context.run(asyncio.run, main)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            failures.append(exc)

    thread = threading.Thread(target=target, name="jesign-sync-call", daemon=True)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]
