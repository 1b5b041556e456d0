"""The pins and upgrade pages in a real browser (Debian's Chromium, headless) against a real gateway: a
developer pins an alias from the page, opens a passing upgrade report and applies it, and sees the pin
and its history move; screenshots at 1280x800 and 390 px go to test-artifacts/dashboard/."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.domain.keys import KeyKind
from tests.models.pages.test_pins import seed_report
from tests.servers import Gateway
from tests.web.support import WIDTHS, browser_gateway, new_page, sign_in


@dataclasses.dataclass
class Team:
    gateway: Gateway
    ana: str


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    gateway = browser_gateway(tmp_path_factory.mktemp("browser-models"))
    try:
        yield Team(gateway, gateway.create_key("test", kind=KeyKind.PERSON, owner="ana").secret)
    finally:
        gateway.stop()


def test_pin_an_alias_and_apply_a_passing_upgrade_from_the_pages(browser: Any, team: Team) -> None:
    base = team.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, team.ana)
        page.get_by_role("link", name="Pins").click()
        page.wait_for_url(f"{base}/ui/models/pins")
        form = page.get_by_role("form", name="Set a pin")
        form.get_by_label("Alias").fill("gpt-4o-latest")
        form.get_by_label("Snapshot").fill("gpt-4o-2024-08-06")
        form.get_by_label("Why").fill("pin what we tested")
        form.get_by_role("button", name="Set pin").click()
        page.wait_for_url(f"{base}/ui/models/pins?workload=test")
        assert "pin what we tested" in page.locator("#pins").inner_text()

        report = seed_report(team.gateway, "test", passed=True)
        page.goto(f"{base}/ui/models/pins")
        page.get_by_role("link", name=report).click()
        page.wait_for_url(f"{base}/ui/models/upgrades/{report}")
        assert "within the gate" in page.locator("#verdict").inner_text()
        page.get_by_role("button", name="Apply: pin gpt-4o-latest to gpt-4o-2024-11-20").click()
        page.wait_for_url(f"{base}/ui/models/pins?workload=test")
        assert "gpt-4o-2024-11-20" in page.locator("#pins").inner_text()
        history = page.locator("#history").inner_text()
        assert "apply" in history and report in history
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_pins_pages(browser: Any, team: Team, artifacts: Path, size: str) -> None:
    """Each page renders without a sideways scroll bar at this width; screenshots are kept."""
    base = team.gateway.base_url
    report = seed_report(team.gateway, "test", passed=False)
    page = new_page(browser, size)
    try:
        sign_in(page, base, team.ana)
        for name, path in {"models-pins": "/ui/models/pins", "models-upgrade": f"/ui/models/upgrades/{report}"}.items():
            answer = page.goto(f"{base}{path}")
            assert answer.status == 200, path
            page.screenshot(path=str(artifacts / f"{name}-{size}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {size}"
    finally:
        page.context.close()
