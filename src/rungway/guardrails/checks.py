"""The guardrails' evidence for the maturity assessment: `content_filtering`.

Met when the workload had traffic in the window and filtering rules (`block` or `redact`; `flag` only
records) were in force on both directions for every high-risk class its risk tier needs; partial when only
some were (one direction, or some classes); unmet when it had traffic and none were. The classes per tier
(the detectors that screen them):

    internal          secrets                      (keys and tokens must not leave or come back)
    customer-facing   secrets, pii
    regulated         secrets, pii, and injection on the input

Which rules were in force comes from the guardrails' own table (`store.py`: each server notes its policy at
start and every ten minutes), the traffic from the assessment's request facts: no scan of the request log.
"""

from __future__ import annotations

from collections.abc import Mapping

from rungway.domain.workloads import RiskTier
from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check, total
from rungway.guardrails.store import DEFAULT_SCOPE, PolicyRow, policies_since

__all__ = ["REQUIRED", "check_content_filtering"]

FILTERING = frozenset({"block", "redact"})
_BOTH = ("input", "output")
REQUIRED: dict[RiskTier, frozenset[tuple[str, str]]] = {
    RiskTier.INTERNAL: frozenset((d, "secrets") for d in _BOTH),
    RiskTier.CUSTOMER_FACING: frozenset((d, c) for d in _BOTH for c in ("secrets", "pii")),
    RiskTier.REGULATED: frozenset({*((d, c) for d in _BOTH for c in ("secrets", "pii")), ("input", "injection")}),
}


def _in_force(rows: list[PolicyRow], workload: str) -> set[tuple[str, str]]:
    own = [r for r in rows if r.workload == workload]
    directions = {r.direction for r in own}
    # a workload's own policy replaces the default's per direction (as the gateway applies it)
    chosen = own + [r for r in rows if r.workload == DEFAULT_SCOPE and r.direction not in directions]
    return {(r.direction, r.detector) for r in chosen if r.action in FILTERING}


@evidence_check("content_filtering")
def check_content_filtering(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Filtering rules on both directions for the workload's high-risk classes while it had traffic."""
    facts = ctx.facts(req.window_days)
    rows = policies_since(ctx.engine, ctx.since(req.window_days)) if ctx.has_table("guardrail_policies") else []
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        calls = total(facts.get(w.name, []), "calls")
        if not calls:
            reason = "no calls in the window: no traffic whose filtering could be evidenced"
            out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, reason, {"calls": 0})
            continue
        needed = REQUIRED[w.risk_tier]
        covered = needed & _in_force(rows, w.name)
        missing = sorted(f"{direction}:{detector}" for direction, detector in needed - covered)
        evidence: dict[str, object] = {
            "calls": calls,
            "risk_tier": str(w.risk_tier),
            "required": sorted(f"{d}:{c}" for d, c in needed),
            "missing": missing,
        }
        if not missing:
            verdict, reason = Verdict.MET, "input and output filtering covered every high-risk class of its tier"
        elif covered:
            verdict, reason = Verdict.PARTIAL, f"filtering in force, but not for {', '.join(missing)}"
        else:
            verdict, reason = Verdict.UNMET, "no blocking or redacting guardrail was in force on its calls"
        out[w.name] = CheckOutcome(verdict, reason, evidence)
    return out
