"""The patterns page renders every component, including the empty and error states."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.servers import Gateway
from tests.web.support import UiClient

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "rungway" / "web" / "templates"


def test_the_patterns_page_shows_every_component(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    page = client.get("/ui/patterns").text
    for marker in (
        'class="badge badge-ok"', 'class="badge badge-warn"', 'class="badge badge-bad"', 'class="stat"',
        'role="img"', "No data in this window", "<table>", 'class="empty"', 'class="error" role="alert"',
        'role="search"', "<select", 'name="csrf_token"', 'rel="next"',
    ):  # fmt: skip
        assert marker in page, marker


def test_every_component_macro_is_on_the_patterns_page() -> None:
    macros = {
        line.split()[2].split("(")[0]
        for line in (TEMPLATES / "components.html").read_text().splitlines()
        if line.startswith("{% macro")
    }
    shown = (TEMPLATES / "patterns.html").read_text()
    missing = {m for m in macros if f"{m}(" not in shown and f" {m} as " not in shown} - {"record_links_for"}
    assert not missing, f"add these components to /ui/patterns: {sorted(missing)}"
