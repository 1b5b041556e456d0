"""The routes as plain data for the API, the CLI and the dashboard, and `explain`: which rule and which
plan a described call would get, without calling anything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rungway.gateway.routing import AttemptPolicy, RoutePlan
from rungway.models.planner import ModelsPlanner
from rungway.models.routes.chooser import TableChooser
from rungway.models.routes.config import Condition, Rule
from rungway.models.routes.table import Candidate

__all__ = ["Explanation", "explain", "policy_json", "routes_json", "when_text"]


def policy_json(policy: AttemptPolicy) -> dict[str, Any]:
    return {
        "retries": policy.retries,
        "backoff_s": policy.backoff_base_s,
        "backoff_max_s": policy.backoff_max_s,
        "retry_after_max_s": policy.retry_after_max_s,
        "attempt_timeout_s": policy.attempt_timeout_s,
        "total_timeout_s": policy.total_timeout_s,
    }


def _when_json(when: Condition) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if when.models is not None:
        out["model"] = sorted(when.models)
    if when.prompt_tokens_over is not None:
        out["prompt_tokens_over"] = when.prompt_tokens_over
    if when.prompt_tokens_under is not None:
        out["prompt_tokens_under"] = when.prompt_tokens_under
    if when.tags:
        out["tags"] = dict(when.tags)
    if when.users is not None:
        out["users"] = sorted(when.users)
    if when.metadata:
        out["metadata"] = dict(when.metadata)
    return out


def when_text(when: dict[str, Any]) -> str:
    """A rule's conditions for people: `model=gpt-4o, tags tier=gold, users alice|bob` ("always": none)."""
    parts = []
    for key, value in when.items():
        if isinstance(value, dict):
            parts.append(f"{key} " + " ".join(f"{k}={v}" for k, v in value.items()))
        elif isinstance(value, list):
            parts.append(f"{key}=" + "|".join(str(v) for v in value))
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts) or "always"


def _deployment_json(candidate: Candidate) -> dict[str, Any]:
    price = candidate.price
    return {
        "name": candidate.route.name,
        "serves": candidate.serves,
        "provider": candidate.route.provider,
        "upstream_model": candidate.route.upstream_model,
        "weight": candidate.weight,
        "price": None if price is None else {"input": float(price.input), "output": float(price.output)},
    }


def _rule_json(rule: Rule, candidates: tuple[Candidate, ...]) -> dict[str, Any]:
    return {
        "name": rule.name,
        "when": _when_json(rule.when),
        "strategy": rule.strategy.value,
        "targets": list(rule.targets),
        "deployments": [c.route.name for c in candidates],
        "policy": policy_json(rule.policy),
    }


def routes_json(chooser: TableChooser, workloads: list[str], every_model: bool) -> dict[str, Any]:
    """The named workloads' rules, the deployments of each public model and the default policy.

    `every_model` False (a workload's key): only models with several deployments and those its rules
    name, so one workload's answer does not list the models only another workload calls."""
    table = chooser.table
    named = {c.serves for w in workloads for r in table.rules.get(w, ()) for c in r.candidates}
    return {
        "defaults": policy_json(table.defaults),
        "workloads": [
            {"workload": w, "rules": [_rule_json(c.rule, c.candidates) for c in table.rules.get(w, ())]}
            for w in workloads
        ],
        "models": [
            {"model": model, "deployments": [_deployment_json(c) for c in candidates]}
            for model, candidates in sorted(table.by_model.items())
            if every_model or len(candidates) > 1 or model in named
        ],
    }


@dataclass(frozen=True, slots=True)
class Explanation:
    """What a described call would get: the resolved model, the rule (None: the default route), a plan."""

    requested: str
    model: str
    rule: str | None
    strategy: str | None
    plan: RoutePlan | None
    candidates: tuple[Candidate, ...]

    def to_json(self, workload: str | None) -> dict[str, Any]:
        plan = self.plan
        return {
            "workload": workload,
            "requested": self.requested,
            "model": self.model,
            "rule": self.rule,
            "strategy": self.strategy,
            "deployments": []
            if plan is None
            else [_deployment_json(self._candidate(r.name)) for r in plan.deployments],
            "policy": None if plan is None else policy_json(plan.policy),
        }

    def _candidate(self, name: str) -> Candidate:
        return next(c for c in self.candidates if c.route.name == name)


def explain(
    chooser: TableChooser,
    planner: ModelsPlanner | None,
    workload: str | None,
    requested: str,
    *,
    user: str | None = None,
    tags: Mapping[str, str] | None = None,
    prompt_tokens: int = 0,
    max_tokens: int | None = None,
) -> Explanation:
    """The rule and one plan for a described call (a weighted plan is one draw; `candidates` lists them all)."""
    model = planner.resolver.resolve(workload, requested).model if planner is not None else requested
    pick = chooser.match(workload, requested, model, user, tags or {}, prompt_tokens)
    body = {"max_tokens": max_tokens} if max_tokens else {}
    if pick is not None:
        rule = pick.compiled.rule
        plan = pick.orderer.plan(model, body, prompt_tokens)
        return Explanation(requested, model, rule.name, rule.strategy.value, plan, pick.compiled.candidates)
    orderer = chooser.defaults.get(model)
    if orderer is None:
        return Explanation(requested, model, None, None, None, ())
    plan = orderer.plan(model, body, prompt_tokens)
    return Explanation(requested, model, None, plan.strategy, plan, orderer.candidates)
