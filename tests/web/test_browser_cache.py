"""The cache page in a real browser (Debian's Chromium, headless) against a real gateway: a developer opens it from
the navigation, reads the savings by model over 7 days, the semantic checks, and clears the workload's cached
answers with the form (the next call is a miss); a viewer sees no clear button. Screenshots at 1280x800 and 390 px
go to test-artifacts/dashboard/ with no sideways scroll and no repeated id."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.caching.pages.test_views import seed
from tests.caching.seeding import ask
from tests.caching.support import CACHE_CONFIG
from tests.servers import Gateway, write_config
from tests.web.support import WIDTHS, new_page, sign_in


@dataclasses.dataclass
class Team:
    gateway: Gateway
    developer: str
    viewer: str
    other: str


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    tmp = tmp_path_factory.mktemp("browser-cache")
    text = CACHE_CONFIG.replace("{ttl}", "600").replace("{refresh}", "3600")
    config = write_config(tmp, text.replace("{store_url}", f"sqlite:///{tmp}/ui.db"))
    config = dataclasses.replace(config, recorder=dataclasses.replace(config.recorder, spill_dir=str(tmp / "spill")))
    gateway = Gateway(config)
    try:
        keys = seed(gateway)
        yield Team(gateway, keys["test"], gateway.create_key("test", role=Role.VIEWER).secret, keys["other"])
    finally:
        gateway.stop()


def test_read_the_savings_by_model_then_clear_the_workloads_answers(browser: Any, team: Team) -> None:
    base = team.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, team.developer)
        page.get_by_role("link", name="Cache").click()
        page.wait_for_url(f"{base}/ui/cache")
        form = page.get_by_role("search", name="Show savings")
        form.get_by_label("By").select_option("model")
        form.get_by_label("Since").select_option("7d")
        form.get_by_role("button", name="Show savings").click()
        page.wait_for_url(f"{base}/ui/cache?by=model&since=7d")
        savings = page.locator("#savings")
        assert "last 7 days" in savings.inner_text()
        rows = savings.locator("tbody tr")
        assert rows.count() == 2  # the model test's calls used, then the total; never another workload's
        first = rows.first.locator("td")
        assert first.nth(0).inner_text() == "gpt-4o-mini-2024-07-18"
        assert [first.nth(i).inner_text() for i in (1, 2, 3)] == ["3", "2", "66.7%"]
        assert rows.last.locator("td").first.inner_text() == "Total"
        checks = page.get_by_role("region", name="Latest checks of test, newest first")
        assert checks.locator("tbody tr").count() == 3 and "answers differ" in checks.inner_text()
        assert "2 of 3 passed" in page.locator("#precision-test").inner_text()
        clear = page.get_by_role("form", name="Clear cached answers")
        clear.get_by_role("button", name="Clear cached answers").click()
        page.wait_for_url(f"{base}/ui/cache?workload=test&cleared=1&forgotten=1")
        notice = page.get_by_role("status").filter(has_text="cleared")
        assert "1 stored answer deleted" in notice.inner_text()
        assert ask(team.gateway, team.developer, "hello there") == "miss"
        assert ask(team.gateway, team.other, "hello there") == "hit"
    finally:
        page.context.close()


def test_a_viewer_sees_no_clear_button(browser: Any, team: Team) -> None:
    base = team.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, team.viewer)
        assert page.goto(f"{base}/ui/cache").status == 200
        assert page.get_by_role("button", name="Clear cached answers").count() == 0
        assert "A developer key of this workload" in page.locator("#clear").inner_text()
        assert page.goto(f"{base}/ui/cache?workload=other").status == 404
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_cache_page(browser: Any, team: Team, artifacts: Path, size: str) -> None:
    base = team.gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, "admin-secret")
        assert page.goto(f"{base}/ui/cache").status == 200
        page.screenshot(path=str(artifacts / f"cache-{size}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"/ui/cache scrolls sideways by {overflow}px at {size}"
        doubled = page.evaluate(
            "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
            " return ids.filter((id, i) => ids.indexOf(id) !== i); })()"
        )
        assert doubled == [], f"/ui/cache repeats ids {doubled}"
    finally:
        page.context.close()
