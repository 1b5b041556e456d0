"""The SLO pages: the list with each SLO's SLI, error budget and burn rates, and one SLO with its history.

Reads go through `slos.service`, the functions `/api/slos` uses, in the caller's view: a key that is not admin
sees its own workload (asking for another is a 404 page); the admin sees every workload's, or one with
`?workload=`. An SLO of another workload is "not found", exactly like a missing one.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import web
from markupsafe import Markup

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.gateway.routes import STATE
from rungway.slos import service, store
from rungway.slos.burn import BURN_WINDOWS, TIERS, window_label
from rungway.slos.config import SLOS_SECTION
from rungway.slos.monitor import MONITOR
from rungway.slos.pages import pages
from rungway.slos.store import Snapshot
from rungway.web.charts import Series, line_chart
from rungway.web.render import current_session, render

__all__ = ["SLOS_PAGE", "slo_url", "view_of"]

SLOS_PAGE = "/ui/slos"
_WORKLOAD = QueryParam("workload", "whose SLOs (admin; others see their own)", max_length=64)
WINDOWS = [window_label(s) for s in BURN_WINDOWS]


def view_of(caller: Caller, asked: str | None) -> str | None:
    """The workload this page reads (None: the admin's view of every workload)."""
    if caller.role is Role.ADMIN:
        return asked or None
    if asked and asked != caller.workload:
        raise NotFound(f"no SLOs for this key in workload {asked!r}", param="workload")
    return caller.workload


def slo_url(workload: str, name: str) -> str:
    return f"{SLOS_PAGE}/{quote(name, safe='')}?workload={quote(workload, safe='')}"


@pages.page(SLOS_PAGE, title="SLOs", nav="SLOs", order=47, params=[_WORKLOAD])
async def slos_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    view = view_of(caller, request.query.get("workload"))
    state = request.app[STATE]
    min_calls = state.config.section(SLOS_SECTION).min_calls

    monitor = state.slots.get(MONITOR)
    recent = dict(monitor.by_series) if monitor is not None else {}
    fresh_s = 2 * state.config.section(SLOS_SECTION).tick_s

    def read() -> tuple[list[service.Measured], list[store.AlertRecord]]:
        slos = service.list_slos(state.engine, view, min_calls, None, recent, fresh_s)
        return slos, store.read_alerts(state.engine, view, None, 20)

    slos, alerts = await asyncio.to_thread(read)
    return render(request, "slos/list.html", title="SLOs", slos=slos, alerts=alerts, url=slo_url, windows=WINDOWS,
                  query={"workload": request.query.get("workload", "")},
                  fixed_workload=None if caller.role is Role.ADMIN else caller.workload)  # fmt: skip


def _history_chart(snapshots: list[Snapshot]) -> Markup | None:
    sli = [(s.at, s.sli * 100) for s in snapshots if s.sli is not None]
    budget = [(s.at, max(s.budget_remaining, 0.0) * 100) for s in snapshots if s.budget_remaining is not None]
    if len(sli) < 2:
        return None
    return line_chart([Series("SLI %", sli), Series("budget left %", budget, "warn")],
                      label="SLI and error budget remaining (%) over time")  # fmt: skip


@pages.page(f"{SLOS_PAGE}/{{name}}", title="SLO", params=[_WORKLOAD])
async def slo_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    view = view_of(caller, request.query.get("workload"))
    state, name = request.app[STATE], request.match_info["name"]
    min_calls = state.config.section(SLOS_SECTION).min_calls

    def read() -> tuple[service.Measured, list[Snapshot], list[store.AlertRecord]]:
        measured = service.get_slo(state.engine, view, name, min_calls)
        _, snapshots = service.history(state.engine, measured.definition.slo.workload, name, 30, 2000)
        return measured, snapshots, store.read_alerts(state.engine, measured.definition.slo.workload, name, 50)

    measured, snapshots, alerts = await asyncio.to_thread(read)
    tiers: list[dict[str, Any]] = [
        {"name": t.name, "severity": t.severity, "factor": t.factor, "long": window_label(t.long_s),
         "short": window_label(t.short_s), "firing": t.name in measured.status.firing}
        for t in TIERS
    ]  # fmt: skip
    return render(request, "slos/slo.html", title=f"SLO {name}", m=measured, slo=measured.definition.slo,
                  st=measured.status, snapshots=list(reversed(snapshots))[:50], chart=_history_chart(snapshots),
                  tiers=tiers, alerts=alerts, windows=WINDOWS)  # fmt: skip
