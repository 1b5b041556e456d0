"""Mount the dashboard on the gateway's application: static files, sign-in, every router's pages.

`server.py` calls `mount_ui` with the page routers of every registered capability; the core's own
pages (overview, requests, patterns) come first. Each page is wrapped by the guard (`guard.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from rungway.errors import NotFound
from rungway.web import admin, overview, patterns, request_log
from rungway.web.guard import apply_security_headers, guarded, session_from_cookie
from rungway.web.pages import UI_ROOT, PageRouter
from rungway.web.render import SESSION, UI, UiState, build_environment, redirect, render_error
from rungway.web.session import SessionStore, SigninLinks
from rungway.web.signin import add_signin_routes

__all__ = ["CORE_PAGES", "STATIC_DIR", "mount_ui"]

STATIC_DIR = Path(__file__).parent / "static"
CORE_PAGES: tuple[PageRouter, ...] = (overview.pages, request_log.pages, patterns.pages, admin.pages)


def mount_ui(app: web.Application, routers: Sequence[PageRouter], *, admin_key: str | None) -> UiState:
    """Add /ui and everything under it; returns the dashboard's state (sessions, sign-in links)."""
    every = [*CORE_PAGES, *routers]
    ui = UiState(
        env=build_environment(every),
        sessions=SessionStore(),
        signin_links=SigninLinks(admin_key),
        nav=sorted((n for r in every for n in r.nav), key=lambda n: n.order),
        panels=sorted((p for r in every for p in r.panels), key=lambda p: p.order),
        record_links=[link for r in every for link in r.links],
    )
    app[UI] = ui
    add_signin_routes(app)
    app.router.add_static(f"{UI_ROOT}/static", STATIC_DIR, append_version=False)

    async def slash(_request: web.Request) -> web.StreamResponse:
        return redirect(UI_ROOT)

    app.router.add_get(f"{UI_ROOT}/", slash)
    for router in every:
        for route in router.routes:
            app.router.add_route(route.method, route.path, guarded(route))
    app.router.add_get(f"{UI_ROOT}/{{tail:.*}}", not_found)  # last: any other /ui path is an HTML 404
    return ui


async def not_found(request: web.Request) -> web.StreamResponse:
    """An unknown dashboard path: the 404 page (with the navigation when signed in), not the API's JSON."""
    session = session_from_cookie(request)
    if session is not None:
        request[SESSION] = session
    response = render_error(request, NotFound(f"There is no dashboard page at {request.path}.", code="page_not_found"))
    apply_security_headers(response)
    return response
