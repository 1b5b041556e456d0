"""The SLO pages in a real browser (Debian's Chromium, headless) against a real gateway: a viewer opens the SLO
list from the navigation, reads an SLO's SLI, budget and burn rates, opens it and sees its history and alerts;
screenshots at 1280x800 and 390 px go to test-artifacts/dashboard/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.servers import Gateway
from tests.slos.pages.test_pages import seed
from tests.web.support import WIDTHS, browser_gateway, new_page, sign_in


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    made = browser_gateway(tmp_path_factory.mktemp("browser-slos"))
    try:
        seed(made)
        yield made
    finally:
        made.stop()


def test_open_an_slo_from_the_list(browser: Any, gateway: Gateway) -> None:
    base = gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, gateway.create_key("test", role=Role.VIEWER).secret)
        page.get_by_role("link", name="SLOs").click()
        page.wait_for_url(f"{base}/ui/slos")
        row = page.locator("#slos tr", has_text="chat-availability")
        assert "90.000%" in row.inner_text() and "page-6h" in row.inner_text()
        row.get_by_role("link", name="chat-availability").click()
        page.wait_for_url(f"{base}/ui/slos/chat-availability?workload=test")
        assert "90.000%" in page.locator("#sli").inner_text()
        assert "firing" in page.locator("#burn").inner_text()
        assert page.locator("#history svg").count() == 1
        assert "page-6h" in page.locator("#alerts").inner_text()
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_slo_pages(browser: Any, gateway: Gateway, artifacts: Path, size: str) -> None:
    base = gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, gateway.create_key("test").secret)
        for name, path in {"slos": "/ui/slos", "slo": "/ui/slos/chat-availability?workload=test"}.items():
            assert page.goto(f"{base}{path}").status == 200, path
            page.screenshot(path=str(artifacts / f"{name}-{size}.png"), full_page=True)
    finally:
        page.context.close()
