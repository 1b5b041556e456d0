"""The forecasts' evidence for the maturity assessment: `cost_forecasting`.

Met when the workload has a budget (its own, one of its users', one of its keys', or its team's) and its
spend has at least ENOUGH_HISTORY (28) days of history in the daily roll-up, so the forecast is calibrated on
four weeks of its own past and says when that budget runs out. Partial with a budget but a shorter history (or
none yet), or with 28 days of history but no budget to forecast the exhaustion of. Unmet with neither a budget
nor 28 days of history. Not assessable on a store without the forecasts' tables.
"""

from __future__ import annotations

from collections.abc import Mapping

from rungway.budgets.public import BudgetScope, list_budgets, visible_budgets
from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check
from rungway.forecasts.config import FORECASTS_SECTION
from rungway.forecasts.model import ENOUGH_HISTORY
from rungway.forecasts.service import history_days
from rungway.forecasts.store import refresh_rollup

__all__ = ["check_cost_forecasting"]


@evidence_check("cost_forecasting")
def check_cost_forecasting(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """A budget, and a forecast with at least four weeks of the workload's own history."""
    if not ctx.has_table("forecast_daily") or not ctx.has_table("budgets"):
        reason = "the store has no forecasts tables (the forecasts capability is not installed)"
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, reason) for w in ctx.workloads}
    settings = ctx.section(FORECASTS_SECTION)
    refresh_rollup(ctx.engine, ctx.now)  # late rows recounted too: the evidence counts every day of spend
    budgets = list_budgets(ctx.engine)
    history = history_days(ctx.engine, [w.name for w in ctx.workloads], ctx.now, settings.history_days)
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        mine = visible_budgets(ctx.engine, budgets, w.name)
        mine += [b for b in budgets if b.scope is BudgetScope.TEAM and w.team is not None and b.team == w.team]
        days = history.get(w.name, 0)
        evidence: dict[str, object] = {"budgets": sorted(b.name for b in mine), "history_days": days,
                                       "history_needed": ENOUGH_HISTORY}  # fmt: skip
        enough = days >= ENOUGH_HISTORY
        if mine and enough:
            reason = f"{len(mine)} budget(s) and {days} days of spend history: forecast with calibrated intervals"
            out[w.name] = CheckOutcome(Verdict.MET, reason, evidence)
        elif mine:
            reason = f"a budget, but {days} day(s) of spend history: a calibrated forecast needs {ENOUGH_HISTORY}"
            out[w.name] = CheckOutcome(Verdict.PARTIAL, reason, evidence)
        elif enough:
            reason = f"{days} days of history are forecast, but no budget says when the money runs out"
            out[w.name] = CheckOutcome(Verdict.PARTIAL, reason, evidence)
        else:
            reason = f"no budget and {days} day(s) of spend history (a forecast needs {ENOUGH_HISTORY})"
            out[w.name] = CheckOutcome(Verdict.UNMET, reason, evidence)
    return out
