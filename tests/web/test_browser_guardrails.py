"""The guardrails page in a real browser (Debian's Chromium, headless) against a real gateway: a viewer of a
workload finds the page through the navigation, reads its input and output policy and the counts of its
calls' hits, switches the window; the page fits a phone's width; screenshots go to test-artifacts/dashboard/.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.guardrails.conftest import EMAIL, SIMULATED
from tests.servers import Gateway, write_config
from tests.web.support import WIDTHS, new_page, sign_in


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, str]]:
    tmp = tmp_path_factory.mktemp("browser-guardrails")
    config = write_config(tmp, SIMULATED.replace("{store_url}", f"sqlite:///{tmp}/ui.db"))
    config = dataclasses.replace(config, recorder=dataclasses.replace(config.recorder, spill_dir=str(tmp / "spill")))
    gateway = Gateway(config)
    try:
        client = gateway.sdk(gateway.create_key("redacting").secret)
        for i in range(3):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"{i} {EMAIL}"}])
        gateway.flush()
        yield gateway, gateway.create_key("redacting", role=Role.VIEWER).secret
    finally:
        gateway.stop()


def test_a_viewer_reads_the_workloads_policy_and_hits(browser: Any, seeded: tuple[Gateway, str]) -> None:
    gateway, viewer = seeded
    base = gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, viewer)
        page.get_by_role("link", name="Guardrails").click()
        page.wait_for_url(f"{base}/ui/guardrails")
        rules = page.locator("#input-policy tbody tr")
        assert rules.count() == 2 and "secrets" in rules.first.inner_text() and "redact" in rules.first.inner_text()
        assert page.locator("#output-policy tbody tr").count() == 1
        assert page.locator("#calls-with-hits .stat-value").inner_text() == "3"
        hits = page.locator("#hits tbody tr")
        assert hits.count() == 1  # the upstream saw a placeholder, so its answer held no e-mail
        assert "pii.email" in hits.first.inner_text() and "3" in hits.first.inner_text()
        assert EMAIL not in page.content()
        page.get_by_label("Hits over").select_option("7d")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(f"{base}/ui/guardrails?window=7d")
        assert page.locator("#calls-with-hits .stat-value").inner_text() == "3"
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_guardrails_page(browser: Any, seeded: tuple[Gateway, str], artifacts: Path, size: str) -> None:
    gateway, viewer = seeded
    base = gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, viewer)
        assert page.goto(f"{base}/ui/guardrails").status == 200
        page.screenshot(path=str(artifacts / f"guardrails-{size}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the page scrolls sideways by {overflow}px at {size}"
    finally:
        page.context.close()
