"""The model catalogue's pages in a real browser (Debian's Chromium, headless) against a real gateway: an admin
finds a model in the catalogue, blocks it from its page naming a successor, and a call through the gateway
is refused naming that successor; unblocking from the page serves it again; a viewer sees no form;
screenshots of each page at 1280x800 and 390 px go to test-artifacts/dashboard/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from rungway.domain.keys import Role
from tests.servers import Gateway
from tests.web.support import WIDTHS, browser_gateway, new_page, sign_in

ADMIN = "admin-secret"
MODEL = "gpt-4o-mini-2024-07-18"  # what the simulator config's gpt-4o-mini is served as
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    made = browser_gateway(tmp_path_factory.mktemp("browser-catalogue"))
    try:
        yield made
    finally:
        made.stop()


def _record(page: Any, action: str, comment: str, successor: str = "") -> None:
    form = page.get_by_role("form", name="Change the model's status")
    form.get_by_label("Action").select_option(action)
    form.get_by_label("Comment").fill(comment)
    form.get_by_label("Successor").fill(successor)
    form.get_by_role("button", name="Record").click()


def test_an_admin_blocks_and_unblocks_a_model_from_its_page(browser: Any, gateway: Gateway) -> None:
    base = gateway.base_url
    client = gateway.sdk()
    page = new_page(browser)
    try:
        sign_in(page, base, ADMIN)
        page.get_by_role("link", name="Models").click()
        page.wait_for_url(f"{base}/ui/models/catalogue")
        page.get_by_label("Provider").fill("openai")
        page.get_by_role("button", name="Show models").click()
        page.get_by_role("link", name=MODEL, exact=True).first.click()
        page.wait_for_url(f"{base}/ui/models/catalogue/{MODEL}")
        assert page.locator("#sunset").inner_text().endswith("2027-01-14")
        _record(page, "block", "leaks data in tests", "gpt-4.1-mini-2025-04-14")
        page.wait_for_url(f"{base}/ui/models/catalogue/{MODEL}")
        history = page.locator("#history").inner_text()
        assert "block" in history and "leaks data in tests" in history and "admin" in history
        with pytest.raises(openai.PermissionDeniedError) as refused:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
        assert "gpt-4.1-mini-2025-04-14" in str(refused.value)
        _record(page, "unblock", "fixed upstream")
        page.wait_for_url(f"{base}/ui/models/catalogue/{MODEL}")
        assert "fixed upstream" in page.locator("#history").inner_text()
        assert client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices  # type: ignore[arg-type]
    finally:
        page.context.close()


def test_a_viewer_reads_the_catalogue_without_forms(browser: Any, gateway: Gateway) -> None:
    base = gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, gateway.create_key("test", role=Role.VIEWER).secret)
        page.goto(f"{base}/ui/models/catalogue/claude-3-7-sonnet-20250219")
        assert page.locator("#successor").inner_text().endswith("claude-sonnet-4-5-20250929")
        assert page.get_by_role("form", name="Change the model's status").count() == 0
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_catalogue_pages(browser: Any, gateway: Gateway, artifacts: Path, size: str) -> None:
    """Each page renders without a sideways scroll bar or a repeated id at this width; screenshots are kept."""
    base = gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, ADMIN)
        shots = {"models-catalogue": "/ui/models/catalogue", "models-entry": f"/ui/models/catalogue/{MODEL}"}
        for name, path in shots.items():
            answer = page.goto(f"{base}{path}")
            assert answer.status == 200, path
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
