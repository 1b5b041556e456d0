"""The Requests page: the request log, filtered and paged, with each call's links (its trace).

The model page: it reads with the very functions `GET /api/logs` uses (`services.logs`), scoped by
the same rule (`scoped_workload`), checks its query with the same declarations, and renders with the
component macros. Capabilities link a row to their pages with `PageRouter.link` (the trace view).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

from aiohttp import web

from rungway.api.registry import QueryParam
from rungway.gateway.routes import STATE
from rungway.services.logs import PROMPT_FILTER_HELP, PROMPT_FILTER_PATTERN, build_filter, search_logs
from rungway.web.guard import note_page_read, scoped_workload
from rungway.web.pages import PageRouter
from rungway.web.render import current_session, render

__all__ = ["FILTERS", "pages"]

pages = PageRouter("requests")

_TIME = "7d, 24h, an ISO date/time or epoch seconds"
FILTERS = [
    QueryParam("workload", "only this workload", max_length=64),
    QueryParam("user", "only this user"),
    QueryParam("model", "requested or resolved model", max_length=128),
    QueryParam("status", "only this HTTP status", type="integer", minimum=100, maximum=599),
    QueryParam("errors", "only failed calls", type="boolean"),
    QueryParam(
        "prompt", f"only calls that rendered {PROMPT_FILTER_HELP}", max_length=140, pattern=PROMPT_FILTER_PATTERN
    ),
    QueryParam("since", f"from: {_TIME}", type="time"),
    QueryParam("until", f"before: {_TIME}", type="time"),
    QueryParam("min_cost", "only calls costing at least this many USD", type="number", minimum=0, maximum=1e9),
    QueryParam("min_latency_ms", "only calls at least this slow", type="number", minimum=0, maximum=1e12),
    QueryParam("limit", "rows per page (default 50)", type="integer", minimum=1, maximum=200),
    QueryParam("cursor", "the page after this request id", max_length=64),
]


_SHOWN = ("workload", "user", "model", "prompt", "status", "since", "until", "min_cost", "min_latency_ms")


@pages.page("/ui/requests", title="Requests", nav="Requests", order=20, params=FILTERS)
async def request_list(request: web.Request) -> web.StreamResponse:
    q = request.query
    caller = current_session(request).caller
    errors = q.get("errors", "").lower() in ("true", "1", "yes")
    f = build_filter(
        now=time.time(),
        workload=scoped_workload(caller, q.get("workload")),
        user=q.get("user"),
        model=q.get("model"),
        status=q.get("status"),
        errors=errors,
        since=q.get("since"),
        until=q.get("until"),
        limit=q.get("limit") or 50,
        cursor=q.get("cursor"),
        min_cost=q.get("min_cost"),
        min_latency_ms=q.get("min_latency_ms"),
        prompt=q.get("prompt"),
    )
    page = await asyncio.to_thread(search_logs, request.app[STATE].engine, f)
    note_page_read(request, "logs", f.workload)
    kept = {k: v for k, v in q.items() if k != "cursor" and v}
    next_url = f"{request.path}?{urlencode({**kept, 'cursor': page.next_cursor})}" if page.next_cursor else None
    return render(
        request,
        "web/requests.html",
        title="Requests",
        rows=page.rows,
        query={name: q.get(name, "") for name in _SHOWN},
        errors=errors,
        fixed_workload=None if caller.role.value == "admin" else caller.workload,
        next_url=next_url,
    )
