"""`/ui/guardrails`: the workload's input and output policy (detector, action, restore) and its hits over a
window, counted by rule, direction and action (`hits.recent_hits`, from the request log's `guardrails`)."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from rungway.api.registry import QueryParam
from rungway.gateway.routes import STATE
from rungway.guardrails.config import GUARDRAILS_SECTION
from rungway.guardrails.hits import recent_hits
from rungway.guardrails.pages import pages
from rungway.web.render import current_session, render

__all__ = ["GUARDRAILS_PAGE"]

GUARDRAILS_PAGE = "/ui/guardrails"
WINDOWS = {"1h": 3600, "24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}
WINDOW_NAMES = {"1h": "last hour", "24h": "last 24 hours", "7d": "last 7 days", "30d": "last 30 days"}


@pages.page(
    GUARDRAILS_PAGE,
    title="Guardrails",
    nav="Guardrails",
    order=70,
    params=[
        QueryParam("workload", "the workload (admin; others see their own)", max_length=64),
        QueryParam("window", "hits over the last 1h, 24h, 7d or 30d", enum=list(WINDOWS)),
    ],
)
async def guardrails_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    state = request.app[STATE]
    workload = caller.workload if caller.key_id is not None else (request.query.get("workload") or None)
    window = request.query.get("window") or "24h"
    config = state.config.section(GUARDRAILS_SECTION)
    policy = config.policy_for(workload)
    summary = await asyncio.to_thread(recent_hits, state.engine, workload, time.time() - WINDOWS[window])
    return render(
        request,
        "guardrails/policy.html",
        title="Guardrails",
        workload=workload,
        workload_options=[("", "(default policy)")] + [(w, w) for w in sorted(state.config.workloads)]
        if caller.key_id is None
        else [],
        window=window,
        window_options=list(WINDOW_NAMES.items()),
        policy=policy,
        own=workload in config.workloads,
        lookbehind=config.lookbehind_chars,
        summary=summary,
    )
