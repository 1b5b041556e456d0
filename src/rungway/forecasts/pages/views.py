"""The forecasts page: spend forecast per key of one dimension with its interval, and the budgets' exhaustion.

Reads go through `forecasts.service`, the functions `/api/forecasts` uses, in the caller's view: a key that is
not admin sees its own workload (asking for another is a 404 page) and the budgets it may read; the admin sees
every workload's, or one with `?workload=`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rungway.api.auth import Caller
from rungway.api.registry import QueryParam
from rungway.domain.keys import Role
from rungway.errors import NotFound
from rungway.forecasts.config import FORECASTS_SECTION
from rungway.forecasts.pages import pages
from rungway.forecasts.service import BY, budget_outlooks, forecast_spend
from rungway.forecasts.shapes import episode_dict, outlook_dict, spend_forecast_dict, visible_episodes
from rungway.gateway.routes import STATE
from rungway.web.render import current_session, render

__all__ = ["FORECASTS_PAGE", "view_of"]

FORECASTS_PAGE = "/ui/forecasts"
_PARAMS = [
    QueryParam("by", "the dimension to forecast", enum=BY),
    QueryParam("days", "the horizon in days", enum=("7", "30")),
    QueryParam("workload", "whose spend (admin; others see their own)", max_length=64),
]


def view_of(caller: Caller, asked: str | None) -> tuple[str | None, bool]:
    """(the workload this page reads, None for every one; whether the caller is admin)."""
    if caller.role is Role.ADMIN:
        return asked or None, True
    if asked and asked != caller.workload:
        raise NotFound(f"no forecasts for this key in workload {asked!r}", param="workload")
    return caller.workload, False


def _bar(group: dict[str, Any], longest: float, width: float = 116.0) -> dict[str, float]:
    """Where the interval's bar and the point's tick go in a row's little range chart (0 .. width px)."""
    scale = width / longest
    low, point, high = group["lower_usd"] * scale, group["forecast_usd"] * scale, group["upper_usd"] * scale
    return {"x": round(low, 1), "width": round(max(high - low, 1.0), 1), "point": round(min(point, width), 1)}


@pages.page(FORECASTS_PAGE, title="Forecasts", nav="Forecasts", order=31, params=_PARAMS)
async def forecasts_page(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    workload, admin = view_of(caller, request.query.get("workload"))
    by, days = request.query.get("by") or "workload", int(request.query.get("days") or 7)
    state = request.app[STATE]
    settings = state.config.section(FORECASTS_SECTION)

    def read() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        found = forecast_spend(state.engine, by, days, workload, None, settings)
        outlooks = budget_outlooks(state.engine, workload, admin, None, settings)
        episodes = visible_episodes(state.engine, workload, admin, 20)
        return spend_forecast_dict(found), [outlook_dict(o) for o in outlooks], [episode_dict(e) for e in episodes]

    forecast, budgets, alerts = await asyncio.to_thread(read)
    longest = max([g["upper_usd"] for g in forecast["groups"]] or [0.0]) or 1.0
    forecast["groups"] = [{**g, "bar": _bar(g, longest)} for g in forecast["groups"]]
    return render(request, "forecasts/forecasts.html", title="Forecasts", forecast=forecast, budgets=budgets,
                  alerts=alerts, by_options=[(b, b) for b in BY],
                  days_options=[("7", "7 days"), ("30", "30 days")],
                  query={"workload": request.query.get("workload", ""), "by": by, "days": str(days)},
                  fixed_workload=None if admin else caller.workload)  # fmt: skip
