"""The overview: a workload card per visible workload over the chosen window, the capabilities' panels
(a failing one shows its error state, the page still renders), and the live tail as a fragment or a page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup

from rungway.capability import Capability, Installed, load_capabilities
from rungway.web.pages import PageRouter, PanelContext
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway, write_config
from tests.web.support import UiClient, seed_calls

broken_pages = PageRouter("broken")
seen: list[PanelContext] = []


@broken_pages.panel("Broken panel", order=1)
async def broken(ctx: PanelContext) -> Markup:
    seen.append(ctx)
    raise RuntimeError("this panel's store is down")


BROKEN = Capability(name="broken", install=lambda _host: Installed(), pages=(broken_pages,))


def test_a_failing_panel_shows_its_error_state_and_the_page_still_renders(
    tmp_path: Path, ui_client: Callable[..., UiClient]
) -> None:
    config = write_config(tmp_path, SIMULATOR_CONFIG.format(store_url=f"sqlite:///{tmp_path}/ui.db"))
    gateway = Gateway(config, [*load_capabilities(), BROKEN])
    try:
        seed_calls(gateway, gateway.create_key().secret, 2)
        client = ui_client(gateway)
        client.sign_in("admin-secret")
        page = client.get("/ui?window=7d")
        assert page.status_code == 200
        assert "Broken panel" in page.text and "This panel could not be loaded" in page.text
        assert 'id="requests-test"' in page.text and 'id="failing-traces"' in page.text
        assert seen[-1].window == "7d" and round(seen[-1].until - seen[-1].since) == 7 * 86400
        assert list(seen[-1].workloads) == ["test"]
    finally:
        seen.clear()
        gateway.stop()


def test_each_window_counts_the_calls_in_it(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    seed_calls(gateway, gateway.create_key().secret, 3)
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    value = re.compile(
        r'id="requests-test">\s*<span class="stat-label">Requests</span>\s*<span class="stat-value">(\d+)'
    )
    for window in ("1h", "24h", "7d", "30d"):
        page = client.get(f"/ui?window={window}").text
        shown = value.search(page)
        assert shown is not None and shown.group(1) == "3", window
        assert f'href="?window={window}" aria-current="true"' in page


def test_a_workload_without_calls_is_named_not_charted(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    page = client.get("/ui").text
    assert "No calls in 24h for: test." in page and 'id="requests-test"' not in page


def test_the_live_tail_is_a_fragment_for_htmx_and_a_page_without_it(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    seed_calls(gateway, gateway.create_key().secret, 1, user="tailed")
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    fragment = client.get("/ui/tail", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and "<table>" in fragment
    page = client.get("/ui/tail").text
    assert "<html" in page and "<table>" in page
