"""The pytest plugin: every check of every plan as a pytest test, against the mock served in-process."""

from __future__ import annotations

import pytest

from conformance.pytest_plugin import conformance_tests


@pytest.fixture(scope="session")
def conformance_target(mock_url: str) -> str:
    return mock_url


test_every_plan = conformance_tests()

# One worker runs them all: the plugin runs the suite once per session (per xdist worker) and each test reads its
# check's result; spread over two workers, the whole suite would run twice (make test passes --dist loadgroup).
pytestmark = pytest.mark.xdist_group("conformance_plugin")
