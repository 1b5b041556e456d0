"""The dashboard in a real browser (Debian's Chromium, headless) against a real gateway with seeded calls.

One browser for the session, one seeded gateway for the module; each test opens its own context
(cookies). Screenshots of every page at 1280x800 and 390x844 go to test-artifacts/dashboard/.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from rungway.capability import load_capabilities
from rungway.domain.keys import Role
from rungway.web.render import format_usd
from tests.web.support import PLUGIN, WIDTHS, Seeded, browser_gateway, changed, new_page, seed_calls, sign_in


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    tmp = tmp_path_factory.mktemp("browser")
    gateway = browser_gateway(tmp, [*load_capabilities(), PLUGIN])
    try:
        key = gateway.create_key(workload="test")
        seed_calls(gateway, key.secret, 3, user="ana")
        seed_calls(gateway, key.secret, 2, user="bo", model="gpt-4o")
        seed_calls(gateway, gateway.create_key(workload="other").secret, 2, user="olga")
        viewer = gateway.create_key(workload="test", role=Role.VIEWER)
        yield Seeded(gateway, viewer.secret)
    finally:
        gateway.stop()


def test_sign_in_and_the_overview_numbers_equal_the_apis(browser: Any, seeded: Seeded) -> None:
    base = seeded.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, "admin-secret")
        usage = requests.get(
            f"{base}/api/usage?by=workload&since=24h", headers={"Authorization": "Bearer admin-secret"}, timeout=30
        ).json()
        assert {row["key"] for row in usage["data"]} == {"test", "other"}
        for row in usage["data"]:
            workload = row["key"]
            assert page.locator(f"#requests-{workload} .stat-value").inner_text() == f"{row['requests']:,}"
            assert page.locator(f"#errors-{workload} .stat-hint").inner_text() == f"{row['errors']:,} errors"
            shown_cost = page.locator(f"#cost-{workload} .stat-value").inner_text()
            assert shown_cost == format_usd(row["cost_usd"])
        page.locator("#tail table").wait_for()  # the live tail arrived through htmx
        assert page.locator("#tail tbody tr").count() == 7
    finally:
        page.context.close()


def test_filter_the_request_list_and_click_into_a_trace(browser: Any, seeded: Seeded) -> None:
    base = seeded.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, "admin-secret")
        page.get_by_role("link", name="Requests").click()
        page.get_by_label("User").fill("bo")
        page.get_by_role("button", name="Filter requests").click()
        page.wait_for_url(re.compile(r".*/ui/requests\?.*user=bo.*"))
        rows = page.locator("main table tbody tr")
        assert rows.count() == 2
        rows.first.get_by_role("link", name="trace").click()
        page.wait_for_url(re.compile(r".*/ui/traces/[0-9a-f]{32}$"))
        assert page.locator(".waterfall li").count() >= 1
        page.locator("details.span-detail summary").first.click()
        assert "question" in page.locator("details.span-detail pre").first.inner_text()
    finally:
        page.context.close()


def test_a_viewer_cannot_reach_an_admin_action(browser: Any, seeded: Seeded) -> None:
    base = seeded.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, seeded.viewer_secret)
        assert page.get_by_role("link", name="Admin only").count() == 0
        assert "olga" not in page.content()  # another workload's calls
        answer = page.goto(f"{base}/ui/plugin/admin")
        assert answer.status == 403
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        forged = page.evaluate(
            """async ([url, token]) => {
                const statuses = [];
                for (const body of ["", "csrf_token=wrong", "csrf_token=" + token]) {
                    const r = await fetch(url, {method: "POST", body,
                        headers: {"Content-Type": "application/x-www-form-urlencoded"}});
                    statuses.push(r.status);
                }
                return statuses;
            }""",
            [f"{base}/ui/plugin/danger", token],
        )
        assert forged == [403, 403, 403]  # no token, a wrong one, and even the viewer's own valid one
        assert changed == []
    finally:
        page.context.close()


def test_the_session_cookie_flags(browser: Any, seeded: Seeded) -> None:
    base = seeded.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, "admin-secret")
        (cookie,) = [c for c in page.context.cookies() if c["name"] == "rungway_session"]
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"
        assert cookie["path"] == "/ui"
        assert page.evaluate("document.cookie") == ""  # script cannot read it
    finally:
        page.context.close()


def test_keyboard_reaches_the_content_through_the_skip_link(browser: Any, seeded: Seeded) -> None:
    base = seeded.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, "admin-secret")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_every_page(browser: Any, seeded: Seeded, artifacts: Path, size: str) -> None:
    """Every page renders without a horizontal scroll bar at this width; screenshots are kept as artifacts."""
    base = seeded.gateway.base_url
    page = new_page(browser, size)
    try:
        page.goto(f"{base}/ui/signin")
        page.screenshot(path=str(artifacts / f"signin-{size}.png"), full_page=True)
        sign_in(page, base, "admin-secret")
        page.goto(f"{base}/ui/traces")
        trace_path = page.locator("main table tbody a").first.get_attribute("href")
        paths = {link.path for link in _nav(page)} | {trace_path, "/ui/tail"}
        for path in sorted(paths):
            answer = page.goto(f"{base}{path}")
            assert answer.status == 200, path
            name = path.strip("/").replace("/", "-")[:60] or "ui"
            page.screenshot(path=str(artifacts / f"{name}-{size}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {size}"
    finally:
        page.context.close()


@dataclasses.dataclass(frozen=True)
class _Nav:
    path: str


def _nav(page: Any) -> list[_Nav]:
    hrefs = page.locator("header nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [_Nav(h.split("?")[0]) for h in hrefs]
