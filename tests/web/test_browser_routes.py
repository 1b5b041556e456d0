"""The routes page (models/pages/routes.py) in a real browser (Debian's Chromium, headless) against a real
gateway with deployments and routing rules: a workload's key sees its rules and the deployments, and the
explain form names the rule and the deployments in order; a model the server does not serve is the API's
message on the page; another workload's routes are a 404; screenshots at 1280x800 and 390 px."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.models.routes.support import ROUTED
from tests.servers import Gateway, write_config
from tests.web.support import WIDTHS, new_page, sign_in


@dataclasses.dataclass
class Routed:
    gateway: Gateway
    support: str  # a key of workload support (it has rules)
    admin: str = "admin-secret"


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Routed]:
    tmp = tmp_path_factory.mktemp("browser-routes")
    config = write_config(tmp, ROUTED.replace("{store_url}", f"sqlite:///{tmp}/ui.db"))
    config = dataclasses.replace(config, recorder=dataclasses.replace(config.recorder, spill_dir=str(tmp / "spill")))
    gateway = Gateway(config)
    try:
        yield Routed(gateway, gateway.create_key("support").secret)
    finally:
        gateway.stop()


def test_a_workload_reads_its_rules_and_explains_a_call(browser: Any, routed: Routed) -> None:
    base = routed.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, routed.support)
        page.get_by_role("link", name="Routes").click()
        page.wait_for_url(f"{base}/ui/models/routes")
        rules = page.get_by_role("region", name="Routing rules")
        for name in ("long-prompts", "gold", "vip", "web"):
            assert rules.get_by_role("cell", name=name, exact=True).count() == 1
        deployments = page.get_by_role("region", name="Deployments by model")
        assert deployments.get_by_role("cell", name="gpt-4o-mini-eu", exact=True).count() == 1
        form = page.get_by_role("search", name="Explain")
        form.get_by_label("Model").fill("gpt-4o")
        form.get_by_label("Prompt tokens").fill("5000")
        form.get_by_role("button", name="Explain").click()
        page.wait_for_url("**/ui/models/routes?*model=gpt-4o*")
        assert "rule long-prompts" in page.locator("#explained").inner_text()
        order = page.get_by_role("region", name="Deployments, in the order they would be tried")
        cells = order.locator("tbody tr td:first-child").all_inner_texts()
        assert cells == ["claude", "gpt-4o", "gpt-4o-cheap"]
        form = page.get_by_role("search", name="Explain")
        form.get_by_label("Model").fill("gpt-4o")
        form.get_by_label("Prompt tokens").fill("")
        form.get_by_label("Tags").fill("tier=gold")
        form.get_by_role("button", name="Explain").click()
        page.wait_for_url("**tags=tier*")
        assert "rule gold" in page.locator("#explained").inner_text()
        page.goto(f"{base}/ui/models/routes?model=no-such-model")
        assert "does not exist" in page.get_by_role("alert").inner_text()
        assert page.goto(f"{base}/ui/models/routes?workload=test").status == 404
    finally:
        page.context.close()


def test_the_admin_sees_every_workload(browser: Any, routed: Routed) -> None:
    base = routed.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, routed.admin)
        assert page.goto(f"{base}/ui/models/routes").status == 200
        region = page.get_by_role("region", name="Routing rules")
        assert region.get_by_role("cell", name="support", exact=True).count() == 4
        page.goto(f"{base}/ui/models/routes?workload=test")
        assert page.get_by_text("No routing rules").count() == 1
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_routes_page(browser: Any, routed: Routed, artifacts: Path, size: str) -> None:
    """No sideways scroll bar, no repeated id at this width; screenshots are kept."""
    base = routed.gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, routed.support)
        for name, path in {"routes": "/ui/models/routes", "routes-explain": "/ui/models/routes?model=gpt-4o&"
                           "tags=tier%3Dgold"}.items():  # fmt: skip
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
