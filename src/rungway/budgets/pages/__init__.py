"""The budgets capability's dashboard pages: its overview panel (spend today and this month against
each workload's budgets, with their state this period).

Spend comes from the request log's hourly roll-up (`usage_totals`, the figures `/api/usage` gives
without a scan of the month); budgets from the functions `/api/budgets` uses: `list_budgets` scoped
by `visible_budgets`, and `live_status`.
"""

from __future__ import annotations

import asyncio
import datetime

from markupsafe import Markup

from rungway.budgets.pages.breakdown import budget_states
from rungway.budgets.service import visible_budgets
from rungway.budgets.store import list_budgets
from rungway.domain.keys import Role
from rungway.gateway.routes import STATE
from rungway.services.overview import usage_totals
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
    workloads = None if scope is None else [scope]
    by_day, by_month = await asyncio.gather(
        asyncio.to_thread(usage_totals, state.engine, today, ctx.until, workloads),
        asyncio.to_thread(usage_totals, state.engine, month, ctx.until, workloads),
    )
    budgets = await asyncio.to_thread(list_budgets, state.engine)
    if not admin:
        budgets = await asyncio.to_thread(visible_budgets, state.engine, budgets, ctx.caller.workload)
    statuses = await budget_states(state, budgets)
    rows = [
        {"workload": name, "today": by_day[name].cost_usd if name in by_day else 0.0, "month": m.cost_usd}
        for name, m in sorted(by_month.items())
        if m.requests
    ]
    return render_fragment(ctx.request, "budgets/panel.html", rows=rows, budgets=statuses)


from rungway.budgets.pages import spend  # noqa: E402, F401  (its pages join `pages` on import)
