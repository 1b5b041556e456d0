"""Rendering a page: the Jinja2 environment (core and capability templates) and `render()`.

Templates are autoescaped and strict (an undefined name is an error, not an empty string). Each
router's templates are found under its name (`traces/list.html` in `rungway.traces.pages`'s
`templates/` folder); the core's are under `web/`. `render` adds what every page's layout needs:
the signed-in session, the navigation the caller's role may see, the CSRF token, the record links.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from aiohttp import web
from markupsafe import Markup

from rungway.errors import RungwayError
from rungway.web.pages import UI_ROOT, NavLink, OverviewPanel, PageRouter, RecordLink
from rungway.web.session import Session, SessionStore, SigninLinks

__all__ = [
    "SESSION",
    "UI",
    "UiState",
    "build_environment",
    "current_session",
    "format_usd",
    "redirect",
    "render",
    "render_error",
    "render_fragment",
]


@dataclass
class UiState:
    """The dashboard's state on the aiohttp application (`app[UI]`)."""

    env: jinja2.Environment
    sessions: SessionStore
    signin_links: SigninLinks
    nav: list[NavLink] = field(default_factory=list)
    panels: list[OverviewPanel] = field(default_factory=list)
    record_links: list[RecordLink] = field(default_factory=list)


UI = web.AppKey("rungway_ui", UiState)
SESSION = web.RequestKey("rungway_ui_session", Session)


def current_session(request: web.Request) -> Session:
    """The session the guard found for this request (every page handler runs behind it)."""
    return request[SESSION]


def format_usd(value: float | int | None) -> str:
    """Dollars as the dashboard shows them: cents from $1, four decimals from a cent, six below."""
    if value is None:
        return "—"
    amount = float(value)
    if amount == 0 or abs(amount) >= 1:
        return f"${amount:,.2f}"
    return f"${amount:,.4f}" if abs(amount) >= 0.01 else f"${amount:,.6f}"


def _ms(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value / 1000:.2f} s" if value >= 10_000 else f"{value:,.0f} ms"


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def build_environment(routers: Sequence[PageRouter]) -> jinja2.Environment:
    loaders: dict[str, jinja2.BaseLoader] = {"web": jinja2.PackageLoader("rungway.web", "templates")}
    for router in routers:
        if router.templates is not None:
            if router.name in loaders:
                raise ValueError(f"two page routers use the template prefix {router.name!r}")
            loaders[router.name] = jinja2.PackageLoader(router.templates, "templates")
    env = jinja2.Environment(
        loader=jinja2.PrefixLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(usd=format_usd, ms=_ms, when=_when, percent=_percent, urlquote=lambda v: quote(str(v), safe=""))
    env.globals.update(ui_root=UI_ROOT, urlencode=urlencode)
    return env


def _context(request: web.Request, session: Session | None) -> dict[str, Any]:
    ui = request.app[UI]
    role = session.caller.role if session is not None else None
    nav = [n for n in ui.nav if role is not None and role.allows(n.role)]
    return {
        "session": session,
        "nav": nav,
        "csrf": session.csrf if session is not None else "",
        "path": request.path,
        "record_links": ui.record_links,
    }


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """The named template as an HTML response, with the layout's context added."""
    session = request.get(SESSION)
    page = request.app[UI].env.get_template(template)
    html = page.render({**_context(request, session), **context})
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def render_fragment(request: web.Request, template: str, **context: Any) -> Markup:
    """A template as HTML to put inside a page (an overview panel, an HTMX fragment)."""
    session = request.get(SESSION)
    page = request.app[UI].env.get_template(template)
    return Markup(page.render({**_context(request, session), **context}))


def render_error(request: web.Request, error: RungwayError) -> web.Response:
    """A caller's mistake as an HTML page with the error's status (never a 500 for bad input)."""
    response = render(
        request,
        "web/error.html",
        status=error.status,
        title=f"{error.status} {error.error_type.replace('_', ' ')}",
        message=error.message,
    )
    for name, value in error.headers().items():
        response.headers[name] = value
    return response


def redirect(location: str) -> web.Response:
    """303 See Other: after a form, and to send a browser elsewhere (the location is ours, never the caller's)."""
    return web.Response(status=303, headers={"Location": location})
