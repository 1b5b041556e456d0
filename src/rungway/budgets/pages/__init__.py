"""The budgets capability's dashboard pages: its overview panel (spend today and this month against
each workload's budgets, with their state this period).

Reads with the functions the API uses: `usage_report` (as `/api/usage`), `list_budgets` scoped by
`visible_budgets` and `live_status` (as `/api/budgets`).
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

from markupsafe import Markup

from rungway.budgets.api import live_status
from rungway.budgets.service import visible_budgets
from rungway.budgets.store import list_budgets
from rungway.domain.keys import Role
from rungway.gateway.routes import STATE
from rungway.services.logs import usage_report
from rungway.web.pages import PageRouter, PanelContext
from rungway.web.render import render_fragment

__all__ = ["pages", "period_starts"]

pages = PageRouter("budgets", templates="rungway.budgets.pages")


def period_starts(now: float) -> tuple[float, float]:
    """The start of today and of this month, UTC (the budgets' daily and monthly periods)."""
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp(), day.replace(day=1).timestamp()


@pages.panel("Spend and budgets", order=30)
async def spend_panel(ctx: PanelContext) -> Markup:
    state = ctx.request.app[STATE]
    admin = ctx.caller.role is Role.ADMIN
    scope = None if admin else ctx.caller.workload
    today, month = period_starts(ctx.until)
    by_day, by_month = await asyncio.gather(
        asyncio.to_thread(usage_report, state.engine, "workload", today, None, scope),
        asyncio.to_thread(usage_report, state.engine, "workload", month, None, scope),
    )
    budgets = await asyncio.to_thread(list_budgets, state.engine)
    if not admin:
        budgets = await asyncio.to_thread(visible_budgets, state.engine, budgets, ctx.caller.workload)
    statuses: list[dict[str, Any]] = [await live_status(state, b) for b in budgets]
    day_cost = {r.key: r.cost_usd for r in by_day}
    rows = [
        {"workload": r.key, "today": day_cost.get(r.key, 0.0), "month": r.cost_usd}
        for r in sorted(by_month, key=lambda r: r.key or "")
        if r.key is not None
    ]
    return render_fragment(ctx.request, "budgets/panel.html", rows=rows, budgets=statuses)
