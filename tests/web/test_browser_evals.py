"""The evaluation pages in a real browser (Debian's Chromium, headless) against a real gateway: a viewer
finds a run in the list through the navigation and the filters, opens it, reads the pass rate with its
interval and the failing case first with the scorer's explanation, and follows a case's trace link;
another workload's run is a 404 page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.evals.pages.support import seed_run
from tests.servers import Gateway
from tests.web.support import browser_gateway, new_page, sign_in


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, str, str]]:
    gateway = browser_gateway(tmp_path_factory.mktemp("browser-evals"))
    try:
        yield gateway, seed_run(gateway, failing=1, passing=3), seed_run(gateway, workload="other", dataset="theirs")
    finally:
        gateway.stop()


def test_find_a_run_and_read_its_failing_case(browser: Any, seeded: tuple[Gateway, str, str]) -> None:
    gateway, mine, theirs = seeded
    base = gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, gateway.create_key("test", role=Role.VIEWER).secret)
        page.get_by_role("link", name="Evals", exact=True).click()
        page.wait_for_url(f"{base}/ui/evals/runs")
        filters = page.get_by_role("search", name="Show runs")
        filters.get_by_label("Dataset").fill("faq")
        filters.get_by_label("Status").select_option("finished")
        filters.get_by_role("button", name="Show runs").click()
        page.wait_for_url(f"{base}/ui/evals/runs?**")
        rows = page.locator("#runs tbody tr")
        assert rows.count() == 1 and "75.0%" in rows.first.inner_text()
        rows.first.get_by_role("link", name=mine).click()
        page.wait_for_url(f"{base}/ui/evals/runs/{mine}")
        assert page.locator("#pass-rate .stat-value").inner_text().startswith("75.0%")
        failing = page.locator("#failing tbody tr")
        assert failing.count() == 1 and "fail-0" in failing.first.inner_text()
        assert "expected 'refund' in the output <b>not found</b>" in failing.first.inner_text()
        assert page.locator("#passing tbody tr").count() == 3
        failing.first.get_by_role("link", name="trace").click()
        page.wait_for_url(f"{base}/ui/traces/{0:032x}")
        answer = page.goto(f"{base}/ui/evals/runs/{theirs}")
        assert answer is not None and answer.status == 404
    finally:
        page.context.close()


def test_annotate_a_case_and_compare_two_runs(browser: Any, seeded: tuple[Gateway, str, str]) -> None:
    gateway, mine, _ = seeded
    base = gateway.base_url
    candidate = seed_run(gateway, outcomes={"fail-0": True, "pass-0": False, "pass-1": True, "pass-2": True})
    page = new_page(browser)
    try:
        sign_in(page, base, gateway.create_key("test").secret)
        page.goto(f"{base}/ui/evals/runs/{mine}")
        form = page.get_by_role("form", name="Annotate fail-0 repeat 0")
        form.get_by_label("Value").fill("0.25")
        form.get_by_label("Comment").fill("close, but no refund")
        form.get_by_role("button", name="Annotate").click()
        page.wait_for_url(f"{base}/ui/evals/runs/{mine}#annotated")
        row = page.locator("#annotated tbody tr").first.inner_text()
        assert "fail-0" in row and "0.25" in row and "close, but no refund" in row
        page.goto(f"{base}/ui/evals/runs/{candidate}")
        compare = page.get_by_role("form", name="Compare with a baseline run")
        compare.get_by_label("Baseline run").fill(mine)
        compare.get_by_role("button", name="Compare").click()
        page.wait_for_url(f"{base}/ui/evals/runs-compare?**")
        assert page.locator("#regression-count .stat-value").inner_text() == "1"
        assert "pass-0" in page.locator("#regressions tbody").inner_text()
        assert "fail-0" in page.locator("#improvements tbody").inner_text()
        assert page.locator("#metrics tbody tr").count() >= 1
    finally:
        page.context.close()
