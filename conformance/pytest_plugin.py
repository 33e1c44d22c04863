"""pytest plugin (entry point ``jesign_conformance``): the conformance checks as pytest tests.

Each check becomes one test, reported PASSED, FAILED, SKIPPED as pytest does. In a test module::

    from conformance.pytest_plugin import conformance_tests

    test_registration = conformance_tests(plans=["registration"])

The deployment comes from the ``conformance_target`` fixture: by default the ``--conformance-target`` option (a
base URL or a target file; without it the tests are skipped). Override the fixture to judge an in-process app::

    @pytest.fixture(scope="session")
    def conformance_target():
        with serve_wsgi(factory=lambda url: create_app({"public_base_url": url, ...})) as url:
            yield url

The plans run once per session (one report), then each test reads its check's result. Importing this module needs
only pytest: the suite itself is imported when a fixture is first used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.harness import Harness
    from conformance.results import Report


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jesign-conformance")
    group.addoption("--conformance-target", help="the deployment the conformance tests judge (URL or TOML file)")
    group.addoption(
        "--conformance-harness",
        choices=("mock", "interactive"),
        default="mock",
        help="who does the human parts (default: the mock's control plane)",
    )
    group.addoption("--conformance-report-dir", help="also write the JSON, JUnit and HTML reports here")


@pytest.fixture(scope="session")
def conformance_target(request: pytest.FixtureRequest) -> Any:
    """The deployment under test: ``--conformance-target``, or override this fixture."""
    spec = request.config.getoption("--conformance-target")
    if not spec:
        pytest.skip("no --conformance-target given")
    return spec


@pytest.fixture(scope="session")
def conformance_harness(request: pytest.FixtureRequest) -> Harness:
    from conformance.harness import InteractiveHarness, MockHarness

    if request.config.getoption("--conformance-harness") == "interactive":
        return InteractiveHarness()
    return MockHarness()


@pytest.fixture(scope="session")
def conformance_report(
    request: pytest.FixtureRequest, conformance_target: Any, conformance_harness: Harness
) -> Callable[..., Report]:
    """``conformance_report(plans)``: the report of those plans against the target, run once per session."""
    from conformance.runner import run_conformance

    cache: dict[tuple[str, ...], Report] = {}

    def get(plans: Iterable[str] | None = None) -> Report:
        key = tuple(plans or ())
        if key not in cache:
            cache[key] = run_conformance(conformance_target, plans=plans, harness=conformance_harness)
            folder = request.config.getoption("--conformance-report-dir")
            if folder:
                from conformance.reports import write_reports

                write_reports(cache[key], folder)
        return cache[key]

    return get


def conformance_tests(plans: Iterable[str] | None = None) -> Callable[..., None]:
    """A test function parametrized by every check of ``plans`` (all by default), smoke checks first."""
    from conformance import registry

    chosen = list(plans) if plans is not None else None
    ids = [c.id for c in registry.checks_of(["smoke", *(chosen or registry.plans())])]

    @pytest.mark.parametrize("check_id", ids)
    def test_conformance(check_id: str, conformance_report: Callable[..., Report]) -> None:
        from conformance.results import Status

        result = conformance_report(chosen).result(check_id)
        if result.status is Status.SKIPPED:
            pytest.skip(result.reason)
        if result.counts_as_failure:
            cites = "; ".join(result.cites)
            pytest.fail(f"{result.status.value} [{result.severity.value}] {result.reason}\nenforces: {cites}")

    found: Callable[..., None] = test_conformance
    return found
