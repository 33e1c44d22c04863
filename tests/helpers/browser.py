"""Chromium driven by Playwright through the mock's screens, and numbered screenshots of each screen.

Browser tests need Debian's Chromium at ``/usr/bin/chromium`` (``.ci/run`` installs it; Playwright's own browser
download is not used). Without it they are skipped with the reason, except when the ``CI`` environment variable is
set: CI must run them, so there they fail.

Every browser test saves a screenshot of each screen it visits to ``build/screenshots/<test name>/NN-name.png``.
The folder is emptied when the test starts and kept afterwards, whether the test passed or failed, so that the
last run of each test can always be looked at (``docs/registration.md`` shows some of them).

The fixtures (``chromium``, ``page``, ``screens``) are imported by the conftests that offer them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright: one per test module, stopped once the module's tests are
    done. Playwright's sync API runs an event loop in the main thread while it is started: kept for the whole
    session, it would make every later ``asyncio.run`` of the same worker fail (the SDK's signing tests)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Screens:
    """Takes the numbered screenshots of one test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def __call__(self, page: Any, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Screens(folder)


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (no cookie) and page, French, desktop-sized."""
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
