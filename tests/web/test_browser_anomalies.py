"""The anomaly pages in a real browser (Debian's Chromium, headless) against a real gateway: a viewer opens the
anomalies list from the navigation, an anomaly's page with the dimension that moved most and its example
traces, follows a trace link; screenshots at 1280x800 and 390 px go to test-artifacts/dashboard/ with no
sideways scroll and no repeated id."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.anomalies.pages.test_pages import seed
from tests.servers import Gateway
from tests.web.support import WIDTHS, browser_gateway, new_page, sign_in


@dataclasses.dataclass
class Watched:
    gateway: Gateway
    viewer: str
    anomaly_id: str


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watched]:
    gateway = browser_gateway(tmp_path_factory.mktemp("browser-anomalies"))
    try:
        anomaly_id = seed(gateway)
        yield Watched(gateway, gateway.create_key("test", role=Role.VIEWER).secret, anomaly_id)
    finally:
        gateway.stop()


def test_open_an_anomaly_and_follow_a_trace(browser: Any, watched: Watched) -> None:
    base = watched.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, watched.viewer)
        page.get_by_role("link", name="Anomalies").click()
        page.wait_for_url(f"{base}/ui/anomalies")
        assert "Error rate" in page.locator("#anomalies").inner_text()
        assert "test" in page.locator("#watch").inner_text()
        page.locator("#anomalies").get_by_role("link").first.click()
        page.wait_for_url(f"{base}/ui/anomalies/{watched.anomaly_id}")
        assert "gpt-4o" in page.locator("#moved").inner_text()
        assert "model" in page.locator("#moved").inner_text()
        assert "anomalous" in page.locator("#hours").inner_text()
        link = page.locator("#traces").get_by_role("link").first
        trace_id = link.inner_text()
        link.click()
        page.wait_for_url(f"{base}/ui/traces/{trace_id}")
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_anomaly_pages(browser: Any, watched: Watched, artifacts: Path, size: str) -> None:
    base = watched.gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, watched.viewer)
        for name, path in {"anomalies": "/ui/anomalies", "anomaly": f"/ui/anomalies/{watched.anomaly_id}"}.items():
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
