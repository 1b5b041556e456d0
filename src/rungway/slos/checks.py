"""The SLO evidence for the maturity assessment: `slos`, objectives defined and measured against the request log.

Met when the workload has an SLO whose SLI is measured over its window (at least `slos.min_calls` valid
events) and its availability and latency SLOs, together, cover all of its calls in the check's window (an
SLO with no model or route filter covers every call). Partial when an SLO exists but none is measured (no or
too little traffic: which SLOs and how many events), or when the SLOs only cover part of the traffic (which
models or routes, and the share of calls). Unmet when the workload has calls but no SLO; not assessable when
it has neither calls nor SLOs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy import and_, func, or_, select

from rungway.evidence import NO_CALLS, CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check
from rungway.slos import store
from rungway.slos.config import SLOS_SECTION
from rungway.slos.measure import evaluate
from rungway.slos.model import Slo
from rungway.store.schema import requests

__all__ = ["check_slos"]


def _covered(ctx: CheckContext, workload: str, slos: list[Slo], since: float, calls: int) -> int:
    """Calls in the window matched by any request SLO's scope (all `calls` when one SLO has no filter)."""
    r = requests.c
    scopes = []
    for slo in slos:
        parts = [r.model_requested == slo.model] if slo.model else []
        parts += [r.route_rule == slo.route] if slo.route else []
        scopes.append(parts)
    if any(not parts for parts in scopes) or calls == 0:
        return calls
    matched = or_(*(and_(*parts) for parts in scopes))
    query = select(func.count()).where(r.workload == workload, r.ts_start >= since, r.ts_start < ctx.now, matched)
    with ctx.engine.connect() as conn:
        return min(calls, int(conn.execute(query).scalar_one()))


@evidence_check("slos")
def check_slos(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """An SLO per workload, measured over its window, covering the workload's traffic."""
    since = ctx.since(req.window_days)
    facts = ctx.facts(req.window_days)
    min_calls = ctx.section(SLOS_SECTION).min_calls
    defined = store.read_definitions(ctx.engine, None) if ctx.has_table("slo_definitions") else []
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        calls = sum(f.calls for f in facts.get(w.name, []))
        mine = [d for d in defined if d.slo.workload == w.name]
        if not mine:
            if calls == 0:
                out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, NO_CALLS, {"slos": 0})
            else:
                reason = (
                    f"{calls} calls in the window but no SLO (`slos:` in rungway.yaml, or the `slo create` command)"
                )
                out[w.name] = CheckOutcome(Verdict.UNMET, reason, {"slos": 0, "calls": calls})
            continue
        measured: dict[str, int] = {}
        at = min(ctx.now, time.time())
        for d in mine:
            measured[d.slo.name] = evaluate(ctx.engine, d, at).window.total
        evidence: dict[str, object] = {"slos": sorted(measured), "events": measured, "min_events": min_calls}
        good = [n for n, events in measured.items() if events >= min_calls]
        if not good:
            shown = ", ".join(f"{n} ({e} events)" for n, e in sorted(measured.items()))
            reason = f"SLOs defined but unmeasured: fewer than {min_calls} events over their windows: {shown}"
            out[w.name] = CheckOutcome(Verdict.PARTIAL, reason, evidence)
            continue
        request_slos = [d.slo for d in mine if d.slo.kind != "quality"]
        total = calls
        covered = _covered(ctx, w.name, request_slos, since, calls) if request_slos else 0
        evidence |= {"calls_covered": covered, "calls": total}
        if total and covered < total:
            scopes = sorted({s.scope for s in request_slos}) or ["online scores only"]
            share = covered / total
            reason = f"the SLOs cover only {', '.join(scopes)}: {share:.0%} of the workload's {total} calls"
            out[w.name] = CheckOutcome(Verdict.PARTIAL, reason, evidence)
            continue
        reason = f"{len(good)} SLO(s) measured over their window ({', '.join(sorted(good))}), covering every call"
        out[w.name] = CheckOutcome(Verdict.MET, reason, evidence)
    return out
