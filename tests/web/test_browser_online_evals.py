"""The online-evals page in a real browser (Debian's Chromium, headless) against a real gateway: a viewer opens it
from the navigation and reads the scorer, the spend against the cap and the online and feedback means side by
side; screenshots at 1280x800 and 390 px go to test-artifacts/dashboard/ with no sideways scroll and no repeated
id."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.domain.keys import Role
from rungway.online_evals.config import parse_online_evals
from tests.online_evals.pages.test_pages import seed
from tests.servers import Gateway
from tests.web.support import WIDTHS, browser_gateway, new_page, sign_in


@dataclasses.dataclass
class Team:
    gateway: Gateway
    viewer: str


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    tmp = tmp_path_factory.mktemp("browser-online-evals")
    base = browser_gateway(tmp)
    base.stop()
    scorers = {
        "workloads": {
            "test": {
                "scorers": {
                    "short": {
                        "assert": {"type": "length", "value": {"max": 100000}},
                        "sample": 1.0,
                        "filter": {"model": "gpt-4o"},
                    }
                }
            }
        }
    }
    sections = {**base.config.parsed_sections, "online_evals": parse_online_evals(scorers)}
    gateway = Gateway(dataclasses.replace(base.config, parsed_sections=sections))
    try:
        seed(gateway)
        yield Team(gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    finally:
        gateway.stop()


def test_read_the_scorers_and_means_from_the_navigation(browser: Any, team: Team) -> None:
    base = team.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, team.viewer)
        page.get_by_role("link", name="Online evals").click()
        page.wait_for_url(f"{base}/ui/online-evals")
        card = page.locator("#workload-test")
        assert "$0.00" in card.locator("#spend-test").inner_text()
        assert "on" in card.locator("#state-test").inner_text()
        scorers = card.get_by_role("region", name="Scorers of test")
        assert "short" in scorers.inner_text() and "100.0%" in scorers.inner_text()
        means = card.get_by_role("region", name="Score means of test, last 24 hours").inner_text()
        assert "online" in means and "feedback" in means and "thumbs" in means
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_online_evals_page(browser: Any, team: Team, artifacts: Path, size: str) -> None:
    base = team.gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, team.viewer)
        assert page.goto(f"{base}/ui/online-evals").status == 200
        page.screenshot(path=str(artifacts / f"online-evals-{size}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"/ui/online-evals scrolls sideways by {overflow}px at {size}"
        doubled = page.evaluate(
            "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
            " return ids.filter((id, i) => ids.indexOf(id) !== i); })()"
        )
        assert doubled == [], f"/ui/online-evals repeats ids {doubled}"
    finally:
        page.context.close()
