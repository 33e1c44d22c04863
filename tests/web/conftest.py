"""Fixtures of the screen tests: the mock over real HTTP with settings of the test's choosing, and Chromium (from
:mod:`tests.helpers.browser`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from mock_provider.core.clock import ManualClock
from tests.helpers.browser import chromium, page, screens  # noqa: F401 - fixtures offered to the screen tests
from tests.helpers.mock import LiveMock, served


@pytest.fixture
def serve(clock: ManualClock) -> Iterator[Callable[..., LiveMock]]:
    """Start the mock over HTTP with settings of the test's choosing (``serve(review_mode="manual")``)."""
    with ExitStack() as stack:
        yield lambda **overrides: stack.enter_context(served(clock, **overrides))
