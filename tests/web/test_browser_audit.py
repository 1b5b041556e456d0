"""The audit page in a real browser (Debian's Chromium, headless) against a real gateway: an admin opens it from
the navigation, sees the chain intact and the records, filters them by action, places a legal hold with the form
and releases it; a developer sees its own workload's records and no holds. Screenshots at 1280x800 and 390 px go to
test-artifacts/dashboard/ with no sideways scroll and no repeated id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.audit.retention import list_holds
from rungway.domain.keys import Role
from tests.audit.support import seed_changes
from tests.servers import Gateway
from tests.web.support import WIDTHS, browser_gateway, new_page, sign_in


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = browser_gateway(tmp_path_factory.mktemp("browser-audit"))
    try:
        seed_changes(gw.state.engine, 3, workload="claims")
        seed_changes(gw.state.engine, 2, workload="other")
        yield gw
    finally:
        gw.stop()


def test_an_admin_reads_the_trail_and_places_then_releases_a_hold(browser: Any, gateway: Gateway) -> None:
    base = gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, "admin-secret")
        page.get_by_role("link", name="Audit").click()
        page.wait_for_url(f"{base}/ui/audit")
        assert "intact" in page.locator("#chain-state").inner_text()
        records = page.get_by_role("region", name="Audit records")
        assert records.locator("tbody tr").count() >= 5
        form = page.get_by_role("search", name="Show records")
        form.get_by_label("Workload").fill("claims")
        form.get_by_role("button", name="Show records").click()
        page.wait_for_url(f"{base}/ui/audit?workload=claims**")
        assert page.get_by_role("region", name="Audit records").locator("tbody tr").count() == 3
        hold = page.get_by_role("form", name="Place a legal hold")
        hold.get_by_label("Workload").fill("claims")
        hold.get_by_label("Reason").fill("matter 2026-114")
        hold.get_by_role("button", name="Place hold").click()
        page.wait_for_url(f"{base}/ui/audit#holds")
        holds = page.get_by_role("region", name="Legal holds in force")
        assert "matter 2026-114" in holds.inner_text()
        assert [h.workload for h in list_holds(gateway.state.engine)] == ["claims"]
        page.get_by_role("form", name="Release the hold on claims").get_by_role("button", name="Release").click()
        page.wait_for_url(f"{base}/ui/audit#holds")
        assert "No legal holds" in page.locator("#holds").inner_text()
        assert list_holds(gateway.state.engine) == []
    finally:
        page.context.close()


def test_a_developer_sees_its_own_records_and_no_holds(browser: Any, gateway: Gateway) -> None:
    base = gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, gateway.create_key("other", role=Role.DEVELOPER).secret)
        assert page.goto(f"{base}/ui/audit").status == 200
        text = page.get_by_role("region", name="Audit records").inner_text()
        assert "other" in text and "claims" not in text
        assert page.locator("#holds").count() == 0 and page.locator("#chain").count() == 0
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_audit_page(browser: Any, gateway: Gateway, artifacts: Path, size: str) -> None:
    base = gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, "admin-secret")
        assert page.goto(f"{base}/ui/audit").status == 200
        page.screenshot(path=str(artifacts / f"audit-{size}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"/ui/audit scrolls sideways by {overflow}px at {size}"
        doubled = page.evaluate(
            "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
            " return ids.filter((id, i) => ids.indexOf(id) !== i); })()"
        )
        assert doubled == [], f"/ui/audit repeats ids {doubled}"
    finally:
        page.context.close()
