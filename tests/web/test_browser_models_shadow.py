"""The shadow pages in a real browser (Debian's Chromium, headless) against a real gateway: a viewer finds the
workload's shadow run through the navigation, opens it and reads the pairs, B's errors, the latency and cost
changes with their significance and the agreement of B's answers with A's; another workload's run is a 404 page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.api.http import ADMIN, call
from tests.models.shadow.support import settle
from tests.servers import Gateway
from tests.web.support import browser_gateway, new_page, sign_in


def _start(gw: Gateway, workload: str) -> str:
    body = {"action": "start", "workload": workload, "from": "gpt-4o-mini", "to": "gpt-4o", "sample": 1.0,
            "max_in_flight": 100}  # fmt: skip
    status, run = call(gw, "POST", "/api/models/shadow", ADMIN, body)
    assert status == 200, run
    return str(run["id"])


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, str, str]]:
    gateway = browser_gateway(tmp_path_factory.mktemp("browser-shadow"))
    try:
        theirs = _start(gateway, "other")
        mine = _start(gateway, "test")
        client = gateway.sdk()
        for i in range(6):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"q{i}"}])
        settle(gateway)
        yield gateway, mine, theirs
    finally:
        gateway.stop()


def test_find_a_shadow_run_and_read_its_summary(browser: Any, seeded: tuple[Gateway, str, str]) -> None:
    gateway, mine, theirs = seeded
    base = gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, gateway.create_key("test", role=Role.VIEWER).secret)
        page.get_by_role("link", name="Shadow").click()
        page.wait_for_url(f"{base}/ui/models/shadow")
        rows = page.locator("#runs tbody tr")
        assert rows.count() == 1 and "gpt-4o-mini" in rows.first.inner_text() and "active" in rows.first.inner_text()
        rows.first.get_by_role("link", name=mine).click()
        page.wait_for_url(f"{base}/ui/models/shadow/{mine}")
        assert page.locator("#pairs .stat-value").inner_text() == "6"
        assert page.locator("#b-errors .stat-value").inner_text() == "0"
        assert page.locator("#exact .stat-value").inner_text() == "0.0%"  # gpt-4o answers differently
        changes = page.locator("#changes tbody tr")
        assert changes.count() == 4 and "Cost per call" in changes.nth(2).inner_text()
        assert "significant" in changes.nth(2).inner_text()  # gpt-4o costs more on 6 of 6 calls: p = 2/64
        assert page.locator("#agreement tbody tr").count() == 2
        answer = page.goto(f"{base}/ui/models/shadow/{theirs}")
        assert answer is not None and answer.status == 404
    finally:
        page.context.close()
