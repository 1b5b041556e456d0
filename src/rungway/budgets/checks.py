"""The budgets capability's evidence for the maturity assessment: budget coverage and cost monitoring.

Budgets: one budget proves nothing; the check asks for a hard workload budget and per-user budgets
that bind the users who actually call, and measures the share of the window's spend made by users
a per-user budget covers (a default per-user budget covers every calling user). Cost monitoring:
calls priced, and someone or something watching the cost in the window (a cost report, usage or a
budget's status read through the API or the CLI, or a budget alert delivered), because a provider
account name that every call carries by default shows nothing about whether anyone looks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Float, and_, cast, func, or_, select

from rungway.budgets.model import Budget, BudgetScope
from rungway.budgets.store import budget_events, list_budgets
from rungway.evidence import (
    CheckContext,
    CheckOutcome,
    CheckRequest,
    RequestFacts,
    Verdict,
    evidence_check,
    pct,
    per_workload,
    ratio_verdict,
    threshold_of,
    total,
)
from rungway.store.reads import reads_by_workload
from rungway.store.schema import requests

COST_READS = ("cost_report", "usage", "budget_status")
_NOT_INSTALLED = "the budgets capability's tables are missing (no `budgets` table)"


@dataclass(slots=True)
class WorkloadBudgets:
    """The active budgets of one workload, sorted by what they bind."""

    workload_hard: list[str] = field(default_factory=list)
    default_user: list[str] = field(default_factory=list)  # hard budgets that apply to each user separately
    named_users: dict[str, str] = field(default_factory=dict)  # user -> hard budget name
    soft: list[str] = field(default_factory=list)
    with_webhook: list[str] = field(default_factory=list)


def active_budgets(ctx: CheckContext) -> dict[str, WorkloadBudgets]:
    """workload -> its budgets active now (user and workload scopes)."""
    out: dict[str, WorkloadBudgets] = {}
    for b in list_budgets(ctx.engine):
        if b.workload is None or not b.active(ctx.now):
            continue
        mine = out.setdefault(b.workload, WorkloadBudgets())
        _sort_budget(mine, b)
    return out


def _sort_budget(mine: WorkloadBudgets, b: Budget) -> None:
    if b.webhook_url:
        mine.with_webhook.append(b.name)
    if not b.hard:
        mine.soft.append(b.name)
    elif b.scope is BudgetScope.WORKLOAD:
        mine.workload_hard.append(b.name)
    elif b.scope is BudgetScope.USER and b.each_user:
        mine.default_user.append(b.name)
    elif b.scope is BudgetScope.USER and b.user is not None:
        mine.named_users[b.user] = b.name


def _named_user_spend(
    ctx: CheckContext, since: float, named: Mapping[str, Sequence[str]]
) -> dict[str, tuple[int, int, int]]:
    """workload -> (spend, calls, users who called) of the users a named budget binds, over the window."""
    if not named:
        return {}
    r = requests.c
    pairs = [and_(r.workload == w, r.user_id.in_(sorted(users))) for w, users in named.items() if users]
    q = (
        select(
            r.workload,
            func.coalesce(func.sum(cast(r.cost_nano, Float)), 0),
            func.count(),
            func.count(func.distinct(r.user_id)),
        )
        .where(r.ts_start >= since, r.ts_start < ctx.now, or_(*pairs))
        .group_by(r.workload)
    )
    with ctx.engine.connect() as conn:
        return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in conn.execute(q)}


@evidence_check("budgets")
def check_budgets(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """A hard workload budget, and per-user hard budgets binding the users who made the window's spend."""
    if not ctx.has_table("budgets"):
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, _NOT_INSTALLED) for w in ctx.workloads}
    threshold = threshold_of(req, 0.9)
    budgets = active_budgets(ctx)
    named = {w: list(b.named_users) for w, b in budgets.items() if b.named_users and not b.default_user}
    spent_by_named = _named_user_spend(ctx, ctx.since(req.window_days), named)

    def answer(name: str, rows: list[RequestFacts]) -> CheckOutcome:
        mine = budgets.get(name, WorkloadBudgets())
        spend, calls = total(rows, "spend"), total(rows, "calls")
        if mine.default_user:
            covered_spend, covered_calls = total(rows, "spend_with_user"), total(rows, "with_user")
            callers_bound: int | str = "every calling user"
        else:
            covered_spend, covered_calls, callers_bound = spent_by_named.get(name, (0, 0, 0))
        # By spend when the calls were priced, else by calls (an unpriced workload still has users).
        covered, whole = (covered_spend, spend) if spend else (covered_calls, calls)
        evidence = {
            "workload_hard_budgets": mine.workload_hard,
            "default_user_budgets": mine.default_user,
            "user_hard_budgets": sorted(mine.named_users.values()),
            "calling_users_bound": callers_bound,
            "covered_spend_pct": pct(covered, whole),
            "soft_only_budgets": mine.soft if not (mine.workload_hard or mine.default_user or mine.named_users) else [],
        }
        share = f"{pct(covered, whole)}% of the window's {'spend' if spend else 'calls'}"
        if not (mine.workload_hard or mine.default_user or mine.named_users):
            why = "only soft budgets (alerts, no block)" if mine.soft else "no budget on the workload or its users"
            return CheckOutcome(Verdict.UNMET, why, evidence)
        coverage = ratio_verdict(covered, whole, threshold)
        if mine.workload_hard and coverage is Verdict.MET:
            return CheckOutcome(Verdict.MET, f"a hard workload budget; per-user budgets bind {share}", evidence)
        missing = [] if mine.workload_hard else ["a hard workload budget"]
        if coverage is not Verdict.MET:
            missing.append(f"per-user budgets binding the users who call (they bind {share})")
        return CheckOutcome(Verdict.PARTIAL, "missing " + " and ".join(missing), evidence)

    return per_workload(ctx, req, answer)


def _alerts_delivered(ctx: CheckContext, since: float, workloads: Mapping[str, WorkloadBudgets]) -> set[str]:
    """Workloads one of whose budgets delivered an alert in the window."""
    if not ctx.has_table("budget_events"):
        return set()
    e = budget_events.c
    q = select(func.distinct(e.budget_id)).where(e.ts >= since, e.kind == "alert_sent")
    with ctx.engine.connect() as conn:
        alerted = {row[0] for row in conn.execute(q)}
    if not alerted:
        return set()
    return {b.workload for b in list_budgets(ctx.engine) if b.id in alerted and b.workload is not None}


@evidence_check("provider_cost_monitoring")
def check_provider_cost_monitoring(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Successful calls priced, and the cost watched in the window: a cost read or a budget alert."""
    if not ctx.has_table("budgets"):
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, _NOT_INSTALLED) for w in ctx.workloads}
    threshold = threshold_of(req, 0.95)
    since = ctx.since(req.window_days)
    reads = reads_by_workload(ctx.engine, since, COST_READS)
    everywhere = sum(reads.get(None, {}).values())
    budgets = active_budgets(ctx)
    alerted = _alerts_delivered(ctx, since, budgets)

    def answer(name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls, ok, priced = total(rows, "calls"), total(rows, "ok_calls"), total(rows, "ok_priced")
        unpriced = sorted({r.model_resolved for r in rows if r.ok_calls > r.ok_priced and r.model_resolved})
        cost_reads = sum(reads.get(name, {}).values()) + everywhere
        webhooks = budgets.get(name, WorkloadBudgets()).with_webhook
        watched = bool(cost_reads or webhooks or name in alerted)
        evidence = {
            "successful_calls": ok,
            "priced_pct": pct(priced, ok),
            "provider_account_pct": pct(total(rows, "with_account"), calls),
            "unpriced_models": unpriced,
            "cost_reads": reads.get(name, {}),
            "cost_reads_across_workloads": everywhere,
            "budgets_with_alert_webhook": webhooks,
            "budget_alert_delivered": name in alerted,
        }
        pricing = ratio_verdict(priced, ok, threshold)
        reason = f"{pct(priced, ok)}% of successful calls priced"
        if pricing is Verdict.MET and watched:
            return CheckOutcome(Verdict.MET, reason + "; cost watched in the window (reads or budget alerts)", evidence)
        if pricing is Verdict.MET:
            reason += "; but nobody read cost or usage and no budget alert is set up (recorded is not monitored)"
            return CheckOutcome(Verdict.PARTIAL, reason, evidence)
        verdict = Verdict.PARTIAL if priced or watched else Verdict.UNMET
        return CheckOutcome(verdict, reason + ("; cost watched" if watched else ""), evidence)

    return per_workload(ctx, req, answer)
