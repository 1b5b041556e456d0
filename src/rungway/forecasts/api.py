"""`/api/forecasts`: spend forecasts by workload, team, model or user; budgets' exhaustion dates; the alerts.

Scoped like every management route: a key that is not admin reads its own workload only (asking for another
is the same 404 as a workload without data; its forecast by team or user covers its own workload's calls, and
it sees the budgets `rungway.budgets.public.visible_budgets` lets it see); an admin reads every workload's,
or one with `?workload=`.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from rungway.api.auth import caller_of, note_read
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.forecasts.config import FORECASTS_SECTION
from rungway.forecasts.service import BY, budget_outlooks, forecast_spend
from rungway.forecasts.shapes import (
    EPISODE,
    OUTLOOK,
    SPEND_FORECAST,
    episode_dict,
    outlook_dict,
    spend_forecast_dict,
    visible_episodes,
)
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE

__all__ = ["router", "view_of"]

router = ApiRouter("forecasts")
WORKLOAD = QueryParam("workload", "whose spend: an admin names a workload (default: every workload)", max_length=64)
_LIMIT = QueryParam("limit", "at most this many (default 50)", type="integer", minimum=1, maximum=500)


def view_of(request: web.Request) -> tuple[str | None, bool]:
    """(the workload this request reads, None for every one; whether the caller is admin)."""
    caller = caller_of(request)
    asked = request.query.get("workload") or None
    if caller.role is Role.ADMIN:
        return asked, True
    if asked is not None and asked != caller.workload:
        raise NotFound(f"no forecasts for this key in workload {asked!r}", param="workload")
    return caller.workload, False


@router.route(
    "GET",
    "/api/forecasts",
    summary="Spend forecast for the next 7 or 30 days by workload, team, model or user, with its interval",
    role=Role.VIEWER,
    params=[
        QueryParam("by", "the dimension to forecast (default workload)", enum=BY),
        QueryParam("days", "the horizon in days (default 7)", enum=("7", "30")),
        WORKLOAD,
    ],
    response=SPEND_FORECAST,
)
async def get_forecast(request: web.Request) -> web.StreamResponse:
    workload, _ = view_of(request)
    note_read(request, "cost_report", workload)  # a forecast is a cost read (the assessment counts them)
    state = request.app[STATE]
    settings = state.config.section(FORECASTS_SECTION)
    found = await asyncio.to_thread(forecast_spend, state.engine, request.query.get("by", "workload"),
                                    int(request.query.get("days", "7")), workload, None, settings)  # fmt: skip
    return json_response(spend_forecast_dict(found))


@router.route(
    "GET",
    "/api/forecasts/budgets",
    summary="Each budget's spend so far, forecast to its period's end, and the date it runs out (with range)",
    role=Role.VIEWER,
    params=[WORKLOAD],
    response={"type": "object", "properties": {"data": {"type": "array", "items": OUTLOOK}}},
)
async def get_budgets(request: web.Request) -> web.StreamResponse:
    workload, admin = view_of(request)
    note_read(request, "cost_report", workload)  # a forecast is a cost read (the assessment counts them)
    state = request.app[STATE]
    settings = state.config.section(FORECASTS_SECTION)
    found = await asyncio.to_thread(budget_outlooks, state.engine, workload, admin, None, settings)
    return json_response({"object": "list", "data": [outlook_dict(o) for o in found]})


@router.route(
    "GET",
    "/api/forecasts/alerts",
    summary="Budget-exhaustion alert episodes, newest first",
    role=Role.VIEWER,
    params=[WORKLOAD, _LIMIT],
    response={"type": "object", "properties": {"data": {"type": "array", "items": EPISODE}}},
)
async def get_alerts(request: web.Request) -> web.StreamResponse:
    workload, admin = view_of(request)
    limit = int(request.query.get("limit") or 50)
    found = await asyncio.to_thread(visible_episodes, request.app[STATE].engine, workload, admin, limit)
    return json_response({"object": "list", "data": [episode_dict(e) for e in found]})
