"""The forecasts page in a real browser (Debian's Chromium, headless) against a real gateway: a viewer opens it
from the navigation, switches to the 30-day forecast by user, reads the intervals and the budget that runs out;
screenshots at 1280x800 and 390 px go to test-artifacts/dashboard/ with no sideways scroll and no repeated id."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.forecasts.pages.test_views import seed
from tests.servers import Gateway
from tests.web.support import WIDTHS, browser_gateway, new_page, sign_in


@dataclasses.dataclass
class Team:
    gateway: Gateway
    viewer: str


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    gateway = browser_gateway(tmp_path_factory.mktemp("browser-forecasts"))
    try:
        seed(gateway)
        yield Team(gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    finally:
        gateway.stop()


def test_read_the_forecast_by_user_and_the_budget_that_runs_out(browser: Any, team: Team) -> None:
    base = team.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, team.viewer)
        page.get_by_role("link", name="Forecasts").click()
        page.wait_for_url(f"{base}/ui/forecasts")
        form = page.get_by_role("search", name="Forecast")
        form.get_by_label("By").select_option("user")
        form.get_by_label("Horizon").select_option("30")
        form.get_by_role("button", name="Forecast").click()
        page.wait_for_url(f"{base}/ui/forecasts?by=user&days=30")
        table = page.locator("#forecast")
        assert "next 30 days" in table.inner_text()
        rows = table.locator("tbody tr")
        assert rows.count() == 2  # ann and bob, never another workload's users
        first = rows.first.locator("td")
        low, point, high = (float(first.nth(i).inner_text().lstrip("$").replace(",", "")) for i in (3, 4, 5))
        assert 0 < low <= point <= high
        assert rows.first.locator("svg[role=img]").get_attribute("aria-label")
        budgets = page.locator("#budgets")
        assert "test-weekly" in budgets.inner_text() and "other-monthly" not in budgets.inner_text()
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_forecasts_page(browser: Any, team: Team, artifacts: Path, size: str) -> None:
    base = team.gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, team.viewer)
        assert page.goto(f"{base}/ui/forecasts").status == 200
        page.screenshot(path=str(artifacts / f"forecasts-{size}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"/ui/forecasts scrolls sideways by {overflow}px at {size}"
        doubled = page.evaluate(
            "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
            " return ids.filter((id, i) => ids.indexOf(id) !== i); })()"
        )
        assert doubled == [], f"/ui/forecasts repeats ids {doubled}"
    finally:
        page.context.close()
