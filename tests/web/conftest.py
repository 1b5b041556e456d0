"""Fixtures for the dashboard's browser tests: Debian's Chromium, headless, one per test module.

One per module, not per session: Playwright's sync API runs an event loop in the main thread while it
is open, and tests after it that call `asyncio.run` would fail.

The browser tests skip when /usr/bin/chromium is absent on a laptop and fail under CI=true (`.ci/run`
installs it from Debian's packages). Never `playwright install`: the browser is the system's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.web.support import ARTIFACTS, CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium shared by the browser tests of one module (keep them in few modules)."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing and CI=true: .ci/run installs it with apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (git-ignored): test-artifacts/dashboard/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
