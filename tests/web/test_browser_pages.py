"""The Cost, Maturity, Keys and Workloads pages in a real browser (Debian's Chromium, headless) against a
real gateway: a budget set from the page holds at the gateway (the openai SDK gets 429 budget_exceeded),
the maturity page links its evidence to the calls behind it, a key created from the page shows its secret
once, and screenshots of each page at 1280x800 and 390 px go to test-artifacts/dashboard/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import requests

from rungway.domain.keys import Role
from tests.web.support import WIDTHS, Seeded, browser_gateway, new_page, seed_calls, sign_in


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    tmp = tmp_path_factory.mktemp("browser-pages")
    gateway = browser_gateway(tmp)
    try:
        seed_calls(gateway, gateway.create_key(workload="test").secret, 3, user="ana")
        seed_calls(gateway, gateway.create_key(workload="other").secret, 2, user="olga", model="gpt-4o")
        assessed = requests.post(
            f"{gateway.base_url}/api/assessments", headers={"Authorization": "Bearer admin-secret"}, timeout=60
        )
        assert assessed.status_code == 200, assessed.text
        yield Seeded(gateway, gateway.create_key(workload="test", role=Role.VIEWER).secret)
    finally:
        gateway.stop()


def test_a_budget_set_from_the_page_holds_at_the_gateway(browser: Any, seeded: Seeded) -> None:
    gateway = seeded.gateway
    base = gateway.base_url
    secret = gateway.create_key(workload="capped").secret  # its own workload: the budget touches no other test
    sdk = openai.OpenAI(base_url=gateway.openai_base, api_key=secret, max_retries=0)
    sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "before"}])
    page = new_page(browser)
    try:
        sign_in(page, base, "admin-secret")
        page.get_by_role("link", name="Cost").click()
        page.wait_for_url(f"{base}/ui/cost")
        form = page.get_by_role("form", name="Set a budget")
        form.get_by_label("Name").fill("capped-tiny")
        form.get_by_label("Limit (USD)").fill("0.000001")
        form.get_by_label("Workload").fill("capped")
        form.get_by_label("Period").select_option("daily")
        form.get_by_role("button", name="Save budget").click()
        page.wait_for_url(f"{base}/ui/cost#budgets")
        assert page.locator("#budget-capped-tiny").count() == 1
        with pytest.raises(openai.RateLimitError) as refused:
            sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "after"}])
        body = refused.value.body
        assert isinstance(body, dict) and body["code"] == "budget_exceeded" and "'capped-tiny'" in body["message"]
        gateway.flush()
        page.reload()
        events = page.locator("#events tbody tr")
        assert events.count() >= 1 and "blocked" in events.first.inner_text()
        page.get_by_role("button", name="Delete budget capped-tiny").click()
        page.wait_for_url(f"{base}/ui/cost#budgets")
        assert page.locator("#budget-capped-tiny").count() == 0
        sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "again"}])
    finally:
        page.context.close()


def test_the_maturity_page_shows_the_evidence_links(browser: Any, seeded: Seeded) -> None:
    base = seeded.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, "admin-secret")
        page.get_by_role("link", name="Maturity").click()
        page.get_by_role("link", name="test", exact=True).click()
        page.wait_for_url(f"{base}/ui/maturity/test")
        links = page.locator("a.evidence-link")
        assert links.count() >= 5
        hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert "/ui/traces?workload=test&since=30d" in hrefs
        assert page.locator("text=attested item").count() >= 1
        page.locator("#item-basic_logging").locator("xpath=..").get_by_role("link", name="calls").click()
        page.wait_for_url(re.compile(r".*/ui/requests\?workload=test&since=30d$"))
        assert page.locator("main table tbody tr").count() == 3  # the calls the item was judged on
    finally:
        page.context.close()


def test_a_key_created_from_the_page_shows_its_secret_once_and_a_viewer_cannot_reach_keys(
    browser: Any, seeded: Seeded
) -> None:
    base = seeded.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, "admin-secret")
        page.get_by_role("link", name="Keys").click()
        form = page.get_by_role("form", name="Create an API key")
        form.get_by_label("Workload").fill("browser")
        form.get_by_label("Name").fill("from-the-page")
        form.get_by_role("button", name="Create key").click()
        secret = page.locator("#secret").input_value()
        assert secret and "shown this once" in page.locator("#new-secret").inner_text()
        sdk = openai.OpenAI(base_url=f"{base}/v1", api_key=secret, max_retries=0)
        sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        page.goto(f"{base}/ui/keys")
        assert secret not in page.content()
    finally:
        page.context.close()
    viewer = new_page(browser)
    try:
        sign_in(viewer, base, seeded.viewer_secret)
        assert viewer.get_by_role("link", name="Keys").count() == 0
        assert viewer.goto(f"{base}/ui/keys").status == 403
        token = viewer.locator("input[name=csrf_token]").first.get_attribute("value")
        forged = viewer.evaluate(
            """async ([url, token]) => {
                const statuses = [];
                for (const body of ["workload=x", "workload=x&csrf_token=wrong", "workload=x&csrf_token=" + token]) {
                    const r = await fetch(url, {method: "POST", body,
                        headers: {"Content-Type": "application/x-www-form-urlencoded"}});
                    statuses.push(r.status);
                }
                return statuses;
            }""",
            [f"{base}/ui/keys", token],
        )
        assert forged == [403, 403, 403]
    finally:
        viewer.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_cost_maturity_keys_and_workloads_pages(
    browser: Any, seeded: Seeded, artifacts: Path, size: str
) -> None:
    """Each page renders without a sideways scroll bar or a repeated id at this width; screenshots are kept."""
    base = seeded.gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, "admin-secret")
        shots = {
            "cost": "/ui/cost",
            "cost-by-user": "/ui/cost?by=user&since=30d",
            "maturity": "/ui/maturity",
            "maturity-test": "/ui/maturity/test",
            "keys": "/ui/keys",
            "workloads": "/ui/workloads",
        }
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
            assert doubled == [], f"{path} repeats ids {doubled}: a label would name the wrong field"
    finally:
        page.context.close()
