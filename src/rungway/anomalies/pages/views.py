"""The anomaly pages: the list (filters: status, and the workload for an admin) and one anomaly.

A key that is not admin sees its own workload (asking for another is a 404 page); the admin sees every
workload's, or one with `?workload=`. Values are formatted per metric (a share, ms, dollars, tokens, a score).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from rungway.anomalies import service, store
from rungway.anomalies.config import ANOMALIES_SECTION
from rungway.anomalies.model import Anomaly, metric_named
from rungway.anomalies.pages import pages
from rungway.anomalies.public import watch_states
from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.gateway.routes import STATE
from rungway.web.render import current_session, render

__all__ = ["LIST_PAGE", "anomaly_url", "format_value", "view_of"]

LIST_PAGE = "/ui/anomalies"
_WORKLOAD = QueryParam("workload", "whose anomalies (admin; others see their own)", max_length=64)
_STATUS = QueryParam("status", "open or resolved", enum=("open", "resolved"))


def view_of(caller: Caller, asked: str | None) -> str | None:
    """The workload this page reads (None: the admin's view of every workload)."""
    if caller.role is Role.ADMIN:
        return asked or None
    if asked and asked != caller.workload:
        raise NotFound(f"no anomalies for this key in workload {asked!r}", param="workload")
    return caller.workload


def anomaly_url(anomaly_id: str) -> str:
    return f"{LIST_PAGE}/{quote(anomaly_id, safe='')}"


def format_value(metric: str, value: float | None) -> str:
    """A metric's value for people: 2.50%, 812 ms, $3.20, 1,204 tokens, 0.82."""
    if value is None:
        return "—"
    unit = metric_named(metric).unit
    if unit == "share":
        return f"{value:.2%}"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "USD":
        return f"${value:,.2f}"
    if unit == "tokens":
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _row(a: Anomaly) -> dict[str, Any]:
    return {"a": a, "title": metric_named(a.metric).title, "value": format_value(a.metric, a.value),
            "expected": format_value(a.metric, a.expected)}  # fmt: skip


@pages.page(LIST_PAGE, title="Anomalies", nav="Anomalies", order=47, params=[_WORKLOAD, _STATUS])
async def anomalies_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    view = view_of(caller, request.query.get("workload"))
    status = request.query.get("status") or None
    engine = request.app[STATE].engine
    since = datetime.fromtimestamp(time.time() - 7 * 86400, UTC)

    def read() -> tuple[list[Anomaly], list[Any]]:
        found = store.list_anomalies(engine, view, status, 200)
        names = [view] if view is not None else sorted(store.read_watch(engine))
        return found, list(watch_states(engine, names, since).values())

    found, watched = await asyncio.to_thread(read)
    return render(request, "anomalies/list.html", title="Anomalies", rows=[_row(a) for a in found], watched=watched,
                  url=anomaly_url, query={"workload": request.query.get("workload", ""), "status": status or ""},
                  statuses=[("", "open and resolved"), ("open", "open"), ("resolved", "resolved")],
                  fixed_workload=None if caller.role is Role.ADMIN else caller.workload)  # fmt: skip


@pages.page(f"{LIST_PAGE}/{{id}}", title="Anomaly", params=[_WORKLOAD])
async def anomaly_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    view = view_of(caller, request.query.get("workload"))
    state, anomaly_id = request.app[STATE], request.match_info["id"]
    config = state.config.section(ANOMALIES_SECTION)

    def read() -> tuple[Anomaly, list[service.SeriesPoint]]:
        found = store.get_anomaly(state.engine, view, anomaly_id) if len(anomaly_id) <= 40 else None
        if found is None:
            raise NotFound(f"no anomaly {anomaly_id!r}", param="id")
        return found, service.anomaly_series(state.engine, found, config.settings_for(found.workload))

    anomaly, series = await asyncio.to_thread(read)
    points = [{"p": p, "value": format_value(anomaly.metric, p.value),
               "expected": format_value(anomaly.metric, p.expected),
               "inside": anomaly.opened_at <= p.hour <= anomaly.last_hour} for p in series]  # fmt: skip
    explanation = anomaly.explanation
    divergence = sorted((explanation.get("divergence") or {}).items(), key=lambda kv: -kv[1])
    return render(request, "anomalies/anomaly.html", title="Anomaly", row=_row(anomaly), points=points,
                  divergence=divergence, explanation=explanation)  # fmt: skip
