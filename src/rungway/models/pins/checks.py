"""The `model_pinning` evidence: calls pinned when they were made, and pins moved only by planned upgrades.

Calls: the share of a workload's routed calls whose model was pinned at call time (the gateway
records it on each call: a workload's pin, a dated snapshot or a route marked pinned), read from the
assessment's request facts, never from today's configuration. Upgrades: every change of the
workload's pins in the window (`model_pin_changes`, rollbacks aside: they restore a pin that was
already in use) should carry an upgrade report that passed the workload's gate
(`model_upgrade_reports`). Met: the threshold of pinned calls and no unplanned pin change;
partial: pinned calls short of the threshold, or pins moved without a passing report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

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
from rungway.models.pins.store import model_pin_changes
from rungway.models.upgrades.store import model_upgrade_reports

__all__ = ["PinMoves", "check_model_pinning", "pin_moves"]

SHOWN = 10


@dataclass
class PinMoves:
    """A workload's pin changes in the window: planned (a passing report) and not."""

    planned: int = 0
    unplanned: list[str] | None = None

    def add_unplanned(self, what: str) -> None:
        self.unplanned = [*(self.unplanned or []), what]


def pin_moves(ctx: CheckContext, since: float) -> dict[str, PinMoves]:
    """{workload: its pin changes since `since`} (empty when the pins tables are absent)."""
    if not ctx.has_table(model_pin_changes.name):
        return {}
    reports = model_upgrade_reports
    passed = set()
    c = model_pin_changes.c
    with ctx.engine.connect() as conn:
        if ctx.has_table(reports.name):
            passed = {r.id for r in conn.execute(select(reports.c.id).where(reports.c.passed.is_(True)))}
        rows = conn.execute(
            select(c.workload, c.alias, c.kind, c.from_snapshot, c.to_snapshot, c.report_id).where(
                c.changed_at >= since, c.changed_at <= ctx.now, c.kind != "rollback"
            )
        ).all()
    out: dict[str, PinMoves] = {}
    for r in rows:
        moves = out.setdefault(r.workload, PinMoves())
        if r.report_id is not None and r.report_id in passed:
            moves.planned += 1
        else:
            moves.add_unplanned(f"{r.alias}: {r.from_snapshot or '-'} -> {r.to_snapshot}")
    return out


@evidence_check("model_pinning")
def check_model_pinning(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Calls whose model was pinned when made, and pin changes backed by a passing upgrade report."""
    threshold = threshold_of(req)
    moves = pin_moves(ctx, ctx.since(req.window_days))

    def answer(name: str, rows: list[RequestFacts]) -> CheckOutcome:
        routed = [r for r in rows if r.model_resolved]
        calls = total(routed, "calls")
        pinned = total(routed, "pinned")
        floating: dict[str, int] = {}
        for r in routed:
            if r.calls > r.pinned:
                floating[r.model_resolved] = floating.get(r.model_resolved, 0) + r.calls - r.pinned
        mine = moves.get(name, PinMoves())
        unplanned = mine.unplanned or []
        evidence = {
            "routed_calls": calls,
            "pinned_calls": pinned,
            "unpinned_models": floating,
            "pin_changes": mine.planned + len(unplanned),
            "planned_pin_changes": mine.planned,
            "unplanned_pin_changes": unplanned[:SHOWN],
        }
        if calls == 0:
            return CheckOutcome(Verdict.UNMET, "no call resolved to a model in the window", evidence)
        verdict = ratio_verdict(pinned, calls, threshold)
        reason = f"{pct(pinned, calls)}% of calls resolved to a model pinned at call time"
        if unplanned:
            reason += (
                f"; {len(unplanned)} pin changes without a passing upgrade report "
                "(the `models upgrade plan` command, then `models upgrade apply`)"
            )
            if verdict is Verdict.MET:
                verdict = Verdict.PARTIAL
        elif mine.planned:
            reason += f"; {mine.planned} pin changes, each applied from a passing upgrade report"
        return CheckOutcome(verdict, reason, evidence)

    return per_workload(ctx, req, answer)
