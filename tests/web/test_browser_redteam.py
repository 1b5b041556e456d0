"""The red-team pages in a real browser (Debian's Chromium, headless) against a real gateway: a developer opens
the runs list from the navigation, a run's page with its per-category rates and diff, expands a new finding's
transcript and triages it with the form; a viewer sees no form; screenshots at 1280x800 and 390 px go to
test-artifacts/dashboard/ with no sideways scroll and no repeated id."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.redteam.pages.test_pages import seed
from tests.servers import Gateway
from tests.web.support import WIDTHS, browser_gateway, new_page, sign_in


@dataclasses.dataclass
class Team:
    gateway: Gateway
    dev: str
    viewer: str
    runs: tuple[str, str]


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    gateway = browser_gateway(tmp_path_factory.mktemp("browser-redteam"))
    try:
        runs = seed(gateway)
        yield Team(gateway, gateway.create_key("test").secret, gateway.create_key("test", role=Role.VIEWER).secret,
                   runs)  # fmt: skip
    finally:
        gateway.stop()


def test_open_a_run_and_triage_a_new_finding(browser: Any, team: Team) -> None:
    base, (_, newest) = team.gateway.base_url, team.runs
    page = new_page(browser)
    try:
        sign_in(page, base, team.dev)
        page.get_by_role("link", name="Red team").click()
        page.wait_for_url(f"{base}/ui/redteam")
        page.get_by_role("link", name=newest).first.click()
        page.wait_for_url(f"{base}/ui/redteam/runs/{newest}")
        assert "66.7%" in page.locator("#rate").inner_text()
        assert "1 new failures" in page.locator("#diff").inner_text()
        page.get_by_role("link", name="sys-002").click()
        finding = page.locator("#finding-sys-002")
        assert finding.get_attribute("open") is not None  # a new failure is open; the others are folded
        assert "<script>alert(1)</script>" in finding.locator("dl").inner_text()  # shown as text
        form = page.get_by_role("form", name="Triage sys-002")
        form.get_by_label("Status").select_option("accepted")
        form.get_by_label("Note").fill("tracked in SEC-12")
        form.get_by_role("button", name="Triage").click()
        page.wait_for_url(f"{base}/ui/redteam/runs/{newest}#finding-sys-002")
        assert "tracked in SEC-12" in page.locator("#finding-sys-002").inner_text()
    finally:
        page.context.close()
    viewer = new_page(browser)
    try:
        sign_in(viewer, base, team.viewer)
        viewer.goto(f"{base}/ui/redteam/runs/{newest}")
        assert viewer.get_by_role("form", name="Triage sys-002").count() == 0
    finally:
        viewer.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_red_team_pages(browser: Any, team: Team, artifacts: Path, size: str) -> None:
    base = team.gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, team.dev)
        for name, path in {"redteam": "/ui/redteam", "redteam-run": f"/ui/redteam/runs/{team.runs[1]}"}.items():
            assert page.goto(f"{base}{path}").status == 200, path
            page.screenshot(path=str(artifacts / f"{name}-{size}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {size}"
            doubled = page.evaluate(
                "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
                " return ids.filter((id, i) => ids.indexOf(id) !== i); })()"
            )
            assert doubled == [], f"{path} repeats ids {doubled}"
    finally:
        page.context.close()
