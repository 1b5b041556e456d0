"""Helpers for dashboard tests: a signed-in HTTP client, seeded gateways, the browser's screenshots dir."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from aiohttp import web

from rungway.capability import Capability, Installed
from rungway.domain.keys import Role
from rungway.web.pages import PageRouter
from rungway.web.render import current_session, render
from tests.servers import Gateway, write_config

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


class _Session(requests.Session):
    """requests with a base URL, no redirects followed, a timeout (what a test needs to see each answer)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", 30)
        return super().request(method, self.base_url + str(url), *args, **kwargs)


class UiClient:
    """A browser-like HTTP client (cookies kept, redirects not followed) for one gateway's /ui."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.http = _Session(gateway.base_url)
        self.csrf = ""

    def sign_in(self, secret: str) -> requests.Response:
        form = self.http.get("/ui/signin")
        response = self.http.post(
            "/ui/signin", data={"csrf_token": csrf_of(form.text), "key": secret, "next": "/ui/requests"}
        )
        if response.status_code == 303:
            self.csrf = csrf_of(self.http.get("/ui/requests").text)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: str | None = None) -> requests.Response:
        """A form POST carrying the session's CSRF token (or `csrf` instead, "" for none)."""
        token = self.csrf if csrf is None else csrf
        fields = dict(data or {})
        if token:
            fields["csrf_token"] = token
        return self.http.post(path, data=fields)

    def close(self) -> None:
        self.http.close()


def seed_calls(gateway: Gateway, secret: str, count: int, *, model: str = "gpt-4o-mini", user: str = "ana") -> None:
    """`count` chat calls through the official SDK (each with its llm span), then wait for the store."""
    sdk = gateway.sdk(secret)
    for i in range(count):
        sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": f"question {i}"}], user=user)
    gateway.flush()


# A plugin's page, declared through the capability door exactly as a built-in's: an admin-only action.
plugin_pages = PageRouter("plugin")
changed: list[str] = []


@plugin_pages.page("/ui/plugin/danger", title="Danger", role=Role.ADMIN, method="POST")
async def danger(request: web.Request) -> web.StreamResponse:
    changed.append(current_session(request).label)
    return render(request, "web/error.html", title="Done", message="changed")


@plugin_pages.page("/ui/plugin/admin", title="Admin only", role=Role.ADMIN, nav="Admin only")
async def admin_only(request: web.Request) -> web.StreamResponse:
    return render(request, "web/error.html", title="Admin only", message="secret")


PLUGIN = Capability(name="plugin", install=lambda _host: Installed(), pages=(plugin_pages,))


# The browser tests' shared parts: a gateway on its own SQLite file, the two widths, a page, the sign-in.
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@dataclasses.dataclass
class Seeded:
    """A gateway with seeded calls, and a viewer's key of workload `test`."""

    gateway: Gateway
    viewer_secret: str


def browser_gateway(tmp: Path, capabilities: Sequence[Capability] | None = None) -> Gateway:
    """A gateway with the simulator on a SQLite file (and spill folder) of its own under `tmp`."""
    from tests.conftest import SIMULATOR_CONFIG  # conftest imports this module: read it when called

    config = write_config(tmp, SIMULATOR_CONFIG.format(store_url=f"sqlite:///{tmp}/ui.db"))
    config = dataclasses.replace(config, recorder=dataclasses.replace(config.recorder, spill_dir=str(tmp / "spill")))
    return Gateway(config, capabilities) if capabilities is not None else Gateway(config)


def new_page(browser: Any, size: str = "desktop") -> Any:
    """A page in a fresh browser context (its own cookies) at one of `WIDTHS`."""
    return browser.new_context(viewport=WIDTHS[size]).new_page()


def sign_in(page: Any, base: str, secret: str) -> None:
    """Open /ui signed out (it sends the browser to sign in), sign in with `secret`, land on the overview."""
    page.goto(f"{base}/ui")
    assert "/ui/signin" in page.url
    page.get_by_label("Key").fill(secret)
    page.get_by_label("Key").press("Enter")
    page.wait_for_url(f"{base}/ui")
