"""Evidence for the maturity assessment: `multi_model_routing`, read from the request log.

Met when the workload's calls in the window were served through routing: a routing rule chose
their plan (`route_rule`), or they were spread over more than one deployment (`deployment`) of a
model. Partial when routing is configured for the workload (its own rules under `routing:`, or
`deployments:` of a model it called) but its traffic never used it. Unmet when nothing routes
its calls; not assessable without calls in the window. The gateway writes both columns on every
call (core migration f0069); the assessment rolls them up per hour (`CheckContext.route_facts`), so the
check reads no more of the request log than the window's live edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check
from rungway.models.routes.config import DEPLOYMENTS_SECTION, ROUTING_SECTION, DeploymentsConfig, RoutingConfig

__all__ = ["RoutingUse", "check_multi_model_routing", "routing_use"]

SHOWN = 10


@dataclass(slots=True)
class RoutingUse:
    """One workload's calls in the window, by the rule that routed them and the deployment that served them."""

    calls: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    deployments: dict[str, set[str]] = field(default_factory=dict)  # requested model -> deployments that served
    models: set[str] = field(default_factory=set)  # the models the calls asked for

    @property
    def routed(self) -> int:
        return sum(self.by_rule.values())

    @property
    def spread(self) -> dict[str, int]:
        """Models whose calls more than one deployment served, with how many served them."""
        return {model: len(names) for model, names in self.deployments.items() if len(names) > 1}


def routing_use(ctx: CheckContext, window_days: int) -> dict[str, RoutingUse] | None:
    """Per workload, over the window; None when the run keeps no route facts."""
    groups = ctx.route_facts(window_days)
    if groups is None:
        return None
    out: dict[str, RoutingUse] = {}
    for group in groups:
        use = out.setdefault(group.workload, RoutingUse())
        use.calls += group.calls
        use.models.add(group.model)
        if group.rule is not None:
            use.by_rule[group.rule] = use.by_rule.get(group.rule, 0) + group.calls
        if group.deployment is not None:
            use.deployments.setdefault(group.model, set()).add(group.deployment)
    return out


def _configured(sections: Mapping[str, object], workload: str, use: RoutingUse) -> list[str]:
    """What routing the configuration gives this workload's calls (empty: none)."""
    found: list[str] = []
    routing = sections.get(ROUTING_SECTION.name)
    if isinstance(routing, RoutingConfig) and routing.workloads.get(workload):
        found.extend(f"rule {r.name}" for r in routing.workloads[workload])
    deployments = sections.get(DEPLOYMENTS_SECTION.name)
    if isinstance(deployments, DeploymentsConfig):
        found.extend(
            f"deployment {d.name} of {d.serves}" for d in deployments.deployments.values() if d.serves in use.models
        )
    return found


@evidence_check("multi_model_routing")
def check_multi_model_routing(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Calls served through routing rules or across several deployments of a model, in the window."""
    used = routing_use(ctx, req.window_days)
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        if used is None:
            reason = "this run keeps no route facts (the assessment's hourly roll-up of deployments and rules)"
            out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, reason)
            continue
        use = used.get(w.name, RoutingUse())
        if not use.calls:
            out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, "no calls in the window", {"calls": 0})
            continue
        configured = _configured(ctx.sections, w.name, use)
        evidence: dict[str, object] = {
            "calls": use.calls,
            "routed_by_rule": use.routed,
            "rules": dict(sorted(use.by_rule.items(), key=lambda kv: -kv[1])[:SHOWN]),
            "models_on_several_deployments": dict(list(use.spread.items())[:SHOWN]),
            "configured": configured[:SHOWN],
        }
        if use.routed or use.spread:
            parts = []
            if use.routed:
                parts.append(f"{use.routed} of {use.calls} calls were routed by {len(use.by_rule)} rule(s)")
            if use.spread:
                parts.append(f"{len(use.spread)} model(s) served by more than one deployment")
            out[w.name] = CheckOutcome(Verdict.MET, "; ".join(parts), evidence)
        elif configured:
            reason = (
                f"routing is configured ({', '.join(configured[:3])}) but none of {use.calls} calls "
                "in the window went through it"
            )
            out[w.name] = CheckOutcome(Verdict.PARTIAL, reason, evidence)
        else:
            reason = (
                f"each of {use.calls} calls went to its model's one deployment: add `deployments:` or "
                "`routing:` rules (see the `models routes show` command)"
            )
            out[w.name] = CheckOutcome(Verdict.UNMET, reason, evidence)
    return out
