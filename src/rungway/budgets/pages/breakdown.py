"""The cost breakdown the Cost page shows, read so that a page stays under a second over a million calls.

The same figures as `cost_report` (`/api/cost/report`), from fewer reads: the daily series and the
breakdown by workload come from the request log's hourly roll-up plus its live edges (`window_tallies`,
which the overview and `/api/usage` read), and only a breakdown by another dimension reads the log
itself, once, with `cost_by` (the report's own query). The total is the sum of the groups (they
reconcile exactly, as `CostReport.reconciles` checks); top users are the rows of a breakdown by user.
Token counts are not rolled up, so a breakdown by workload shows none (`tokens_known` is False).
Workload budgets' spend this period is read from the roll-up too (`workload_budget_spend`).
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from rungway.budgets.api import live_status
from rungway.budgets.cost import COST_BY, TOP, CostReport, CostRow
from rungway.budgets.cost_store import CostFilter, cost_by
from rungway.budgets.model import MAX_SPEND_NANO, Budget, BudgetScope, Period, period_bounds
from rungway.domain.timespec import DAY
from rungway.errors import InvalidRequest
from rungway.gateway.state import GatewayState
from rungway.services.logs import parse_time
from rungway.services.overview import usage_totals
from rungway.store.request_stats import HOUR, Tally, window_tallies

__all__ = ["Breakdown", "budget_states", "cost_breakdown", "workload_budget_spend"]


@dataclass(frozen=True)
class Breakdown:
    """A cost report as the page shows it, and whether its rows carry token counts."""

    report: CostReport
    tokens_known: bool


def _row(key: str | None, t: Tally) -> CostRow:
    return CostRow(key, t.requests, t.errors, 0, 0, t.cost_nano)


def _day(day: int) -> str:
    return datetime.datetime.fromtimestamp(day * DAY, datetime.UTC).date().isoformat()


def _rolled_up(
    engine: Engine, since: float, until: float, workload: str | None
) -> tuple[dict[str, Tally], dict[int, Tally]]:
    """(per workload, per UTC day) calls, errors and cost over [since, until) from the hourly roll-up."""
    origin = since // HOUR * HOUR  # window_tallies counts hourly slots from the hour `since` falls in
    tallies = window_tallies(engine, since, until, HOUR, [workload] if workload else None, latency=False)
    by_workload: dict[str, Tally] = defaultdict(Tally)
    by_day: dict[int, Tally] = defaultdict(Tally)
    for name, slots in tallies.items():
        for slot, t in slots.items():
            by_workload[name].add(t.requests, t.errors, t.cost_nano, {})
            by_day[int((origin + slot * HOUR) // DAY)].add(t.requests, t.errors, t.cost_nano, {})
    return by_workload, by_day


def cost_breakdown(
    engine: Engine,
    by: str,
    since: str,
    until: str | None = None,
    tag: str | None = None,
    workload: str | None = None,
    now: float | None = None,
) -> Breakdown:
    """Spend over [since, until) grouped by `by`, with its daily series; InvalidRequest names a bad value."""
    if by not in COST_BY:
        raise InvalidRequest(f"by {by!r} is not valid: use one of {', '.join(COST_BY)}", param="by")
    if by == "tag" and not tag:
        raise InvalidRequest("by tag needs the tag key to group by, e.g. tag=env", param="tag")
    now = time.time() if now is None else now
    start = parse_time(since, now, "since")
    end = (parse_time(until, now, "until") if until else None) or now
    if start is None or end <= start:
        raise InvalidRequest("since must be before until", param="since")
    f = CostFilter(start, end, workload)
    with ThreadPoolExecutor(max_workers=2) as pool:  # the log's scan and the roll-up's read at once
        logged = pool.submit(cost_by, engine, by, f, tag) if by != "workload" else None
        by_workload, by_day = _rolled_up(engine, start, end, workload)
        raw = logged.result() if logged is not None else None
    if raw is None:
        ordered = sorted(by_workload.items(), key=lambda item: (-item[1].cost_nano, item[0]))
        rows = [_row(name, t) for name, t in ordered]
    else:
        rows = [
            CostRow(None if r["key"] is None else str(r["key"]), r["requests"], r["errors"], r["tokens_in"],
                    r["tokens_out"], r["cost_nano"])
            for r in raw
        ]  # fmt: skip
    total = CostRow(
        "total",
        sum(r.requests for r in rows),
        sum(r.errors for r in rows),
        sum(r.tokens_in for r in rows),
        sum(r.tokens_out for r in rows),
        sum(r.cost_nano for r in rows),
    )
    report = CostReport(
        by=by,
        tag=tag if by == "tag" else None,
        since=start,
        until=end,
        rows=rows,
        daily=[_row(_day(day), by_day[day]) for day in sorted(by_day)],
        top_users=[r for r in rows if r.key is not None][:TOP] if by == "user" else [],
        total=total,
    )
    return Breakdown(report, tokens_known=raw is not None)


def workload_budget_spend(engine: Engine, budgets: Sequence[Budget], now: float) -> dict[str, tuple[float, int]]:
    """Each periodic workload budget's spend this period, {budget id: (period start, nano-dollars)}, from the
    hourly roll-up: one read per distinct period instead of a sum over the log per budget (a month of a
    workload's calls each). Exactly the log's figure (`spend_in_log`); other budgets are left to it."""
    groups: dict[tuple[float, float], list[Budget]] = defaultdict(list)
    for budget in budgets:
        if budget.scope is BudgetScope.WORKLOAD and budget.workload and budget.period is not Period.FIXED:
            groups[period_bounds(budget, now)].append(budget)
    out: dict[str, tuple[float, int]] = {}
    for (start, end), group in groups.items():
        totals = usage_totals(engine, start, end, sorted({b.workload or "" for b in group}))
        for budget in group:
            found = totals.get(budget.workload or "")
            out[budget.id] = (start, min(found.cost_nano if found else 0, MAX_SPEND_NANO))
    return out


async def budget_states(state: GatewayState, budgets: list[Budget]) -> list[dict[str, Any]]:
    """Each budget's state this period as `GET /api/budgets` shows it, workload budgets' logged spend read
    from the roll-up at once (a page of many budgets stays fast over a month of calls)."""
    logged = await asyncio.to_thread(workload_budget_spend, state.engine, budgets, time.time())
    return list(await asyncio.gather(*(live_status(state, b, logged.get(b.id)) for b in budgets)))
