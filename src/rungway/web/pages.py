"""How a capability declares its dashboard pages: a `PageRouter` with pages, overview panels and links.

A capability's `pages/__init__.py` holds one router, named on its `Capability`:

    pages = PageRouter("traces", templates="rungway.traces.pages")

    @pages.page("/ui/traces", title="Traces", nav="Traces", params=[QueryParam("q", "text")])
    async def trace_list(request: web.Request) -> web.StreamResponse:
        rows = await asyncio.to_thread(list_traces, request.app[STATE].engine, ...)
        return render(request, "traces/list.html", rows=rows)

    CAPABILITY = Capability(..., pages=(pages,))

Every page runs behind the web guard (`guard.py`): a signed-in session, the declared role, the query
parameters checked exactly as the API checks them (`QueryParam`), the CSRF token on every POST.
Templates live in `<templates package>/templates/` and are named `<router name>/<file>`; they extend
`web/base.html` and import the component macros from `web/components.html`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from aiohttp import web
from markupsafe import Markup

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role

__all__ = [
    "UI_ROOT",
    "NavLink",
    "OverviewPanel",
    "PageHandler",
    "PageRoute",
    "PageRouter",
    "PanelContext",
    "PanelRender",
    "RecordLink",
]

UI_ROOT = "/ui"
PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class PageRoute:
    """One dashboard URL: who may open it and which query parameters it takes."""

    method: str
    path: str
    handler: PageHandler
    title: str
    role: Role
    params: Sequence[QueryParam] = ()


@dataclass(frozen=True)
class NavLink:
    """An entry in the navigation bar, shown to callers whose role allows `role`."""

    label: str
    path: str
    role: Role = Role.VIEWER
    order: int = 50


@dataclass(frozen=True)
class PanelContext:
    """What an overview panel is given: who looks, which workloads they may see, and the window."""

    request: web.Request
    caller: Caller
    workloads: Sequence[str]  # the workloads this caller may see, in display order
    since: float
    until: float
    window: str  # the window's name, e.g. "24h"


PanelRender = Callable[[PanelContext], Awaitable[Markup]]


@dataclass(frozen=True)
class OverviewPanel:
    """A card on the overview page (a capability's summary per workload), placed by `order`."""

    name: str
    render: PanelRender
    order: int = 50


@dataclass(frozen=True)
class RecordLink:
    """A link from a request-log field to a capability's page (the trace id to the trace view).

    `href` is formatted with the field's value as `{value}` and with each of the row's fields named in
    `also` under its own name (the prompt version beside the prompt name); every value is URL-quoted,
    a missing one is empty. A row whose `field` is empty gets no link."""

    field: str
    label: str
    href: str
    also: tuple[str, ...] = ()

    def url(self, row: Mapping[str, object]) -> str | None:
        """This link's address for one request-log row, or None when the row has no value to link."""
        value = row.get(self.field)
        if value is None or value == "":
            return None
        extra = {name: quote(str(row.get(name) if row.get(name) is not None else ""), safe="") for name in self.also}
        return self.href.format(**extra, value=quote(str(value), safe=""))


@dataclass
class PageRouter:
    """A capability's dashboard pages, panels and links; `name` is its templates' prefix."""

    name: str
    templates: str | None = None  # importable package whose `templates/` folder holds `<name>/...` files
    routes: list[PageRoute] = field(default_factory=list)
    nav: list[NavLink] = field(default_factory=list)
    panels: list[OverviewPanel] = field(default_factory=list)
    links: list[RecordLink] = field(default_factory=list)

    def page(
        self,
        path: str,
        *,
        title: str,
        role: Role = Role.VIEWER,
        method: str = "GET",
        params: Sequence[QueryParam] = (),
        nav: str | None = None,
        order: int = 50,
    ) -> Callable[[PageHandler], PageHandler]:
        """Declare a page; `nav` puts it in the navigation bar. Paths start with /ui/."""
        if path != UI_ROOT and not path.startswith(UI_ROOT + "/"):
            raise ValueError(f"page path {path!r} must start with {UI_ROOT}/")

        def decorate(handler: PageHandler) -> PageHandler:
            self.routes.append(PageRoute(method.upper(), path, handler, title, role, params))
            if nav is not None:
                self.nav.append(NavLink(nav, path, role, order))
            return handler

        return decorate

    def panel(self, name: str, *, order: int = 50) -> Callable[[PanelRender], PanelRender]:
        """Declare an overview panel: an async function from `PanelContext` to HTML (`Markup`)."""

        def decorate(render: PanelRender) -> PanelRender:
            self.panels.append(OverviewPanel(name, render, order))
            return render

        return decorate

    def link(self, field_name: str, label: str, href: str, *, also: Sequence[str] = ()) -> None:
        """Link a request-log field (e.g. `trace_id`) to one of this router's pages; `also` names other
        fields of the row that `href` uses (e.g. `{prompt_version}`)."""
        self.links.append(RecordLink(field_name, label, href, tuple(also)))
