"""The failover pages in a real browser (Debian's Chromium, headless) against a real gateway: deployment
health with circuit states, an incident from the list to its page, a drill started from the admin's form;
a workload's viewer sees the incidents that affected it and no drill form; screenshots at 1280x800 and
390 px go to test-artifacts/dashboard/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rungway.domain.keys import Role
from rungway.models.incidents.store import IncidentRow, WorkloadRow, save_incident
from tests.api.http import ADMIN
from tests.servers import Gateway
from tests.web.support import browser_gateway, new_page, sign_in


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = browser_gateway(tmp_path_factory.mktemp("browser-failover"))
    now = time.time()
    save_incident(
        gw.state.engine,
        IncidentRow(
            id="inc_page", deployment="gpt-4o-mini", opened_at=now - 120, closed_at=now - 60, cause="traffic",
            calls=200, served=199, failed_over=180, lost=1, added_p50_ms=3.0, added_p99_ms=12.0, normal_p50_ms=40.0,
            normal_p99_ms=90.0, workloads=(WorkloadRow("test", 200, 199, 180, 1),),
        ),
    )  # fmt: skip
    try:
        yield gw
    finally:
        gw.stop()


def test_the_admin_reads_health_and_an_incident_and_starts_a_drill(
    browser: Any, gateway: Gateway, artifacts: Path
) -> None:
    base = gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, ADMIN)
        page.get_by_role("link", name="Failover").first.click()
        page.wait_for_url(f"{base}/ui/models/failover")
        health = page.get_by_role("region", name="Deployments")
        assert "gpt-4o-mini" in health.inner_text() and "closed" in health.inner_text()
        form = page.get_by_role("form", name="Start a drill")
        form.get_by_label("Deployment").fill("gpt-4o-mini")
        form.get_by_label("Duration (seconds)").fill("30")
        form.get_by_role("button", name="Start the drill").click()
        page.wait_for_url(f"{base}/ui/models/failover#drills")
        drills = page.get_by_role("region", name="Outage drills, newest first")
        assert "gpt-4o-mini" in drills.inner_text() and "running" in drills.inner_text()
        page.screenshot(path=str(artifacts / "failover-desktop.png"), full_page=True)
        page.get_by_role("link", name="inc_page").click()
        page.wait_for_url(f"{base}/ui/models/incidents/inc_page")
        assert "180" in page.locator("#failed-over").inner_text()
        assert "99.50%" in page.locator("#success").inner_text()
        page.screenshot(path=str(artifacts / "failover-incident-desktop.png"), full_page=True)
    finally:
        page.context.close()


def test_a_viewer_sees_its_incidents_and_no_drill_form(browser: Any, gateway: Gateway, artifacts: Path) -> None:
    base = gateway.base_url
    mine = gateway.create_key("test", role=Role.VIEWER).secret
    page = new_page(browser, "phone")
    try:
        sign_in(page, base, mine)
        page.goto(f"{base}/ui/models/failover")
        assert "inc_page" in page.get_by_role("region", name="Incidents, newest first").inner_text()
        assert page.get_by_role("form", name="Start a drill").count() == 0
        page.screenshot(path=str(artifacts / "failover-phone.png"), full_page=True)
    finally:
        page.context.close()
