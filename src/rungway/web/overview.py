"""The Overview page: each workload's calls, errors, latency and cost over a window, with charts;
the panels capabilities contribute (their stage, budgets, traces); and a live tail of calls.

The core computes the request-log numbers (`services/overview.py`); each capability's panel is an
`OverviewPanel` from its `PageRouter`, so the core names none of them. A failing panel shows its
error state and the rest of the page still renders.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web
from markupsafe import Markup

from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.gateway.routes import STATE
from rungway.services.logs import build_filter, search_logs
from rungway.services.overview import WINDOWS, workload_health
from rungway.store.workloads import list_workloads
from rungway.web.charts import Series, line_chart
from rungway.web.guard import note_page_read
from rungway.web.pages import OverviewPanel, PageRouter, PanelContext
from rungway.web.render import UI, current_session, render

__all__ = ["pages"]

log = logging.getLogger("rungway.web.overview")
pages = PageRouter("overview")
_WINDOW = QueryParam("window", "the window: 1h, 24h, 7d or 30d (default 24h)", enum=tuple(WINDOWS))


def _slot_name(seconds: int) -> str:
    if seconds % 86_400 == 0:
        return "day" if seconds == 86_400 else f"{seconds // 86_400} days"
    if seconds % 3600 == 0:
        return "hour" if seconds == 3600 else f"{seconds // 3600} hours"
    return "minute" if seconds == 60 else f"{seconds // 60} minutes"


async def _panel(panel: OverviewPanel, ctx: PanelContext) -> tuple[str, Markup | None]:
    try:
        return panel.name, await panel.render(ctx)
    except Exception:  # one capability's failing panel must not take the overview down; it shows an error state
        log.exception("overview panel %s failed", panel.name)
        return panel.name, None


@pages.page("/ui", title="Overview", nav="Overview", order=10, params=[_WINDOW])
async def overview(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    window = WINDOWS[request.query.get("window") or "24h"]
    until = time.time()
    since = until - window.seconds
    engine = request.app[STATE].engine
    if caller.role is Role.ADMIN:
        known = [w.name for w in await asyncio.to_thread(list_workloads, engine)]
        health = await asyncio.to_thread(workload_health, engine, since, until, window.slot_s)
        names = sorted({*known, *(h.workload for h in health)})
        by_name = {h.workload: h for h in health}
        health = [by_name[n] for n in names if n in by_name]
        quiet = [n for n in names if n not in by_name]
    else:
        names = [caller.workload or ""]
        health = await asyncio.to_thread(workload_health, engine, since, until, window.slot_s, names)
        quiet = []
    charts = {
        h.workload: line_chart(
            [
                Series("requests", [(t, float(n)) for t, n, _e, _c in h.series]),
                Series("errors", [(t, float(e)) for t, _n, e, _c in h.series], tone="bad"),
            ],
            label=f"{h.workload}: requests and errors per {_slot_name(window.slot_s)} over {window.name}",
        )
        for h in health
    }
    note_page_read(request, "usage", None if caller.role is Role.ADMIN else caller.workload)
    ctx = PanelContext(request, caller, names, since, until, window.name)
    panels = await asyncio.gather(*(_panel(p, ctx) for p in request.app[UI].panels))
    return render(
        request,
        "web/overview.html",
        title="Overview",
        window=window.name,
        windows=list(WINDOWS),
        health=health,
        quiet=quiet,
        charts=charts,
        panels=panels,
    )


@pages.page("/ui/tail", title="Live tail", params=[QueryParam("workload", "only this workload", max_length=64)])
async def tail(request: web.Request) -> web.StreamResponse:
    """The latest calls, as a fragment the overview polls (HTMX) or a page of its own without script."""
    caller = current_session(request).caller
    workload = None if caller.role is Role.ADMIN else caller.workload
    f = build_filter(now=time.time(), workload=workload, limit=10)
    page = await asyncio.to_thread(search_logs, request.app[STATE].engine, f)
    fragment = request.headers.get("HX-Request") == "true"
    return render(request, "web/tail.html" if fragment else "web/tail_page.html", title="Live tail", rows=page.rows)
