"""The traces capability's dashboard pages: the trace list, one trace as a waterfall, an overview panel.

Declared on `CAPABILITY.pages`; every read goes through the functions `/api/traces` uses
(`trace_filter`, `list_traces`, `get_trace`, `trace_tree`) with the same workload scope.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web
from markupsafe import Markup

from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.domain.timespec import DAY, TimeSpecError, parse_instant
from rungway.errors import InvalidRequest, NotFound
from rungway.gateway.routes import STATE
from rungway.traces.api import TRACE_FILTERS, trace_filter
from rungway.traces.store import TraceCursor, TraceFilter, get_trace, list_traces
from rungway.traces.views import trace_tree
from rungway.web.guard import note_page_read, scoped_workload
from rungway.web.pages import PageRouter, PanelContext
from rungway.web.render import current_session, render, render_fragment

__all__ = ["TEXT_SEARCH_DEFAULT_SINCE", "TEXT_SEARCH_STEP_S", "pages", "text_search_step", "waterfall_rows"]

pages = PageRouter("traces", templates="rungway.traces.pages")
pages.link("trace_id", "trace", "/ui/traces/{value}")
TEXT_SEARCH_DEFAULT_SINCE = "7d"
TEXT_SEARCH_STEP_S = 7 * DAY
"""A text search reads span content: one page reads at most this much of the window, newest first, and
links to the span before it, so every page answers in bounded time (under a second over 1M spans)."""
_SHOWN = ("system", "input", "output", "documents", "tool", "parameters")
_LIST_PARAMS = [
    *TRACE_FILTERS,
    QueryParam("until", "Only traces started before this (an ISO date or epoch seconds)", type="time"),
    QueryParam("cursor", "The page after this one (from the Older link)", max_length=160),
]
_PAGE_ROWS = 50
_FIELDS = ("workload", "user", "model", "status", "min_cost", "min_latency_ms", "since", "q")


def text_search_step(f: TraceFilter, now: float) -> tuple[TraceFilter, float | None]:
    """The part of a text search's window this page reads (at most `TEXT_SEARCH_STEP_S`, the newest), and
    where the earlier rest ends (None when the window fits)."""
    if not f.text:
        return f, None
    until = f.until if f.until is not None else now
    floor = until - TEXT_SEARCH_STEP_S
    if f.since is not None and f.since >= floor:
        return replace(f, until=until), None
    return replace(f, since=floor, until=until), floor


@pages.page("/ui/traces", title="Traces", nav="Traces", order=25, params=_LIST_PARAMS)
async def trace_list(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    scope = scoped_workload(caller, request.query.get("workload"))
    query = dict(request.query)
    if query.get("q") and not query.get("since"):
        query["since"] = TEXT_SEARCH_DEFAULT_SINCE  # a text search reads span content: bounded unless asked
    now = time.time()
    f = trace_filter(query, scope)
    if query.get("until"):
        try:
            f = replace(f, until=parse_instant(query["until"], now))
        except TimeSpecError as exc:
            raise InvalidRequest(str(exc), param="until") from None
    if query.get("cursor"):
        try:
            f = replace(f, after=TraceCursor.decode(query["cursor"]))
        except ValueError:
            raise InvalidRequest("cursor is not one this page wrote; follow the Older link", param="cursor") from None
    f, earlier_until = text_search_step(f, now)
    rows = await asyncio.to_thread(list_traces, request.app[STATE].engine, replace(f, limit=_PAGE_ROWS + 1))
    note_page_read(request, "traces", f.workload)
    shown = {name: query.get(name, "") for name in _FIELDS}
    kept = {name: value for name, value in shown.items() if value}
    if query.get("until"):
        kept["until"] = query["until"]
    older = None
    if len(rows) > _PAGE_ROWS:
        rows = rows[:_PAGE_ROWS]
        last = TraceCursor(float(rows[-1]["start_time"]), str(rows[-1]["trace_id"]), str(rows[-1]["workload"]))
        older = f"{request.path}?{urlencode({**kept, 'cursor': last.encode()})}"
    earlier = None
    if earlier_until is not None:
        earlier = f"{request.path}?{urlencode({**kept, 'until': f'{earlier_until:.3f}'})}"
    return render(
        request,
        "traces/list.html",
        title="Traces",
        rows=rows,
        query=shown,
        searched_from=f.since if f.text else None,
        earlier=earlier,
        next_url=older,
        fixed_workload=None if caller.role is Role.ADMIN else caller.workload,
    )


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str).decode()


def waterfall_rows(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The span tree flattened depth first, each span with its depth and its bar's place (percent of the trace)."""
    start, end = float(tree["start_time"]), float(tree["end_time"])
    spans: list[dict[str, Any]] = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            spans.append({**node, "depth": depth})
            walk(node.get("children") or [], depth + 1)

    walk(tree["spans"], 0)
    if spans:
        start = min(start, *(float(s["start_time"]) for s in spans))
        end = max(end, *(float(s["end_time"]) for s in spans))
    total = max(end - start, 1e-9)
    for span in spans:
        offset = (float(span["start_time"]) - start) / total * 100
        span["bar_x"] = round(min(offset, 99.5), 3)
        span["bar_w"] = round(max((float(span["end_time"]) - float(span["start_time"])) / total * 100, 0.5), 3)
        span["bar_w"] = min(span["bar_w"], 100 - span["bar_x"])
        span["shown"] = [(part, _pretty(span[part])) for part in _SHOWN if span.get(part) is not None]
    return spans


@pages.page("/ui/traces/{trace_id}", title="Trace")
async def trace_view(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    trace_id = request.match_info["trace_id"].lower()
    reader = None if caller.role is Role.ADMIN else caller.workload
    found = await asyncio.to_thread(get_trace, request.app[STATE].engine, trace_id, reader)
    if found is None:
        raise NotFound(f"No trace {trace_id} that this key may see.", code="trace_not_found")
    tree = trace_tree(*found)
    note_page_read(request, "traces", reader or tree.get("workload"))
    return render(request, "traces/trace.html", title=f"Trace {trace_id[:16]}", trace=tree, spans=waterfall_rows(tree))


@pages.panel("Failing traces", order=40)
async def failing_traces(ctx: PanelContext) -> Markup:
    """The latest traces with an error in the window, across the workloads the caller may see."""
    workload = None if ctx.caller.role is Role.ADMIN else ctx.caller.workload
    f = TraceFilter(workload=workload, status="error", since=ctx.since, until=ctx.until, limit=5)
    rows = await asyncio.to_thread(list_traces, ctx.request.app[STATE].engine, f)
    return render_fragment(ctx.request, "traces/panel.html", rows=rows, window=ctx.window)
