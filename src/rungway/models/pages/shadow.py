"""The shadow pages: a workload's shadow runs, and one run's summary (what `rungway models shadow show` prints).

Read with the functions `/api/models/shadow` uses; a key sees its own workload's runs only (another
workload's run is a 404 page, exactly like a missing one); the server's admin key sees every workload's.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from rungway.api.registry import QueryParam
from rungway.errors import NotFound
from rungway.gateway.routes import STATE
from rungway.models.pages import pages
from rungway.models.shadow.store import list_runs
from rungway.models.shadow.summary import summarize
from rungway.web.render import current_session, render

__all__ = ["SHADOW_PAGE"]

SHADOW_PAGE = "/ui/models/shadow"


@pages.page(SHADOW_PAGE, title="Shadow runs", nav="Shadow", order=60,
            params=[QueryParam("workload", "only this workload's runs (admin)", max_length=64)])  # fmt: skip
async def shadow_runs(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    asked = request.query.get("workload") or None
    runs = []
    if caller.key_id is None or asked is None or asked == caller.workload:
        workload = asked if caller.key_id is None else caller.workload
        runs = await asyncio.to_thread(list_runs, request.app[STATE].engine, workload, 100)
    return render(request, "models/shadow_runs.html", title="Shadow runs", runs=runs, now=time.time())


@pages.page(f"{SHADOW_PAGE}/{{run_id}}", title="Shadow run")
async def shadow_run(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    run_id = request.match_info["run_id"]
    summary = await asyncio.to_thread(summarize, request.app[STATE].engine, run_id)
    if summary is None or (caller.key_id is not None and summary.run.workload != caller.workload):
        raise NotFound(f"no shadow run {run_id!r}", param="run_id")
    return render(request, "models/shadow_run.html", title=f"Shadow run {run_id}", s=summary,
                  active=summary.run.active(time.time()))  # fmt: skip
