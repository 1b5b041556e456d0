"""Evidence for `provider_outage_recovery`: a fallback configured and a failover proven by a drill or
a real incident.

- Fallback: in the window, a plan with more than one deployment served the workload's traffic: some
  of its calls failed over (request log `failed_over`), or one requested model was served by more than
  one deployment (request log `deployment`).
- Proven: an outage drill or a real incident in the last 90 days in which the workload's calls touching
  the failing deployment succeeded at least 99% of the time (the drill's or incident's own counts for
  the workload, `model_drills.workloads`, `model_incident_workloads`).

Met with both, partial with one, unmet with neither; the evidence names the best success rate seen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import orjson
from sqlalchemy import Engine, select

from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check
from rungway.models.drills.store import model_drills
from rungway.models.incidents.store import model_incident_workloads, model_incidents

__all__ = ["PROVEN_DAYS", "SUCCESS_FLOOR", "check_provider_outage_recovery"]

PROVEN_DAYS = 90
SUCCESS_FLOOR = 0.99


def _fallbacks(ctx: CheckContext, window_days: int) -> dict[str, dict[str, int]]:
    """workload -> {failed_over: calls, multi_deployment_models: models served by > 1 deployment}."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"failed_over": 0, "multi_deployment_models": 0})
    deployments: dict[tuple[str, str], set[str]] = defaultdict(set)
    for group in ctx.route_facts(window_days) or ():  # None: a context without the assessment's route facts
        out[group.workload]["failed_over"] += group.failed_over
        if group.deployment is not None and group.ok:
            deployments[(group.workload, group.model)].add(group.deployment)
    for (workload, _model), served in deployments.items():
        if len(served) > 1:
            out[workload]["multi_deployment_models"] += 1
    return out


def _proofs(engine: Engine, since: float) -> dict[str, list[tuple[str, str, float, int]]]:
    """workload -> [(kind, id, success rate, calls)] of drills and incidents that touched its calls."""
    out: dict[str, list[tuple[str, str, float, int]]] = defaultdict(list)
    with engine.connect() as conn:
        drills = conn.execute(
            select(model_drills.c.id, model_drills.c.workloads).where(model_drills.c.started_at >= since)
        ).all()
        incidents = conn.execute(
            select(model_incident_workloads)
            .join(model_incidents, model_incidents.c.id == model_incident_workloads.c.incident_id)
            .where(model_incidents.c.opened_at >= since)
        ).all()
    for drill_id, raw in drills:
        for workload, counts in (orjson.loads(raw or "{}") or {}).items():
            calls = int(counts.get("calls", 0))
            if calls:
                out[workload].append(("drill", drill_id, int(counts.get("served", 0)) / calls, calls))
    for row in incidents:
        if row.calls:
            out[row.workload].append(("incident", row.incident_id, row.served / row.calls, row.calls))
    return out


@evidence_check("provider_outage_recovery")
def check_provider_outage_recovery(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """A fallback that served traffic, and a drill or real failover with >= 99% of calls served."""
    floor = req.threshold if req.threshold is not None else SUCCESS_FLOOR
    fallbacks = _fallbacks(ctx, req.window_days)
    proofs = _proofs(ctx.engine, ctx.now - PROVEN_DAYS * 86400)
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        fb = fallbacks.get(w.name, {"failed_over": 0, "multi_deployment_models": 0})
        has_fallback = fb["failed_over"] > 0 or fb["multi_deployment_models"] > 0
        seen = sorted(proofs.get(w.name, []), key=lambda p: -p[2])
        best = seen[0] if seen else None
        proven = best is not None and best[2] >= floor
        evidence: dict[str, object] = {
            "failed_over_calls": fb["failed_over"],
            "models_served_by_several_deployments": fb["multi_deployment_models"],
            "drills_and_incidents": len(seen),
            "best_success_rate": round(best[2], 6) if best else None,
            "best": f"{best[0]} {best[1]} ({best[3]} calls)" if best else None,
            "success_floor": floor,
        }
        if has_fallback and proven:
            verdict, reason = Verdict.MET, "a fallback served traffic and a drill or failover kept calls up"
        elif has_fallback:
            verdict = Verdict.PARTIAL
            reason = (
                f"a fallback served traffic, but no drill or failover in {PROVEN_DAYS} days kept >= {floor:.0%} of "
                "calls up: run an outage drill of the primary deployment (the `drill outage` command)"
            )
        elif proven:
            verdict = Verdict.PARTIAL
            reason = "a drill or failover kept calls up, but no plan with more than one deployment served traffic"
        else:
            verdict = Verdict.UNMET
            reason = "no fallback deployment served traffic and no drill or failover proved one"
        out[w.name] = CheckOutcome(verdict, reason, evidence)
    return out
