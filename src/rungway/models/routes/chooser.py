"""The route chooser: the first matching rule of the call's workload orders its deployments into a plan.

Everything that can be is computed at start (`RouteTable`, then one `_Orderer` per rule and per
public model): a fallback rule's plan is one constant, a weighted rule holds one plan per possible
first deployment and picks one with a single random draw. Least-latency reads the health book's
latency per deployment (`HealthView`, implemented by the failover slice); least-cost prices the
call's estimated tokens. With no matching rule, a public model with several deployments is balanced
by weight with the others as fallbacks, so `deployments:` alone gives load balancing and failover.
No I/O here: this runs once per call.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Protocol

from rungway.domain.usage import prompt_tokens
from rungway.gateway.context import CallContext
from rungway.gateway.routing import AttemptPolicy, RoutePlan
from rungway.models.routes.config import Strategy
from rungway.models.routes.table import Candidate, CompiledRule, RouteTable

__all__ = ["EXPLORE", "OUTPUT_TOKENS_GUESS", "HealthView", "NoHealth", "Routes", "RulePick", "TableChooser"]

EXPLORE = 0.05  # least-latency: the share of calls that try an untried deployment first
OUTPUT_TOKENS_GUESS = 256  # least-cost: output tokens assumed when the call sets no max


class HealthView(Protocol):
    """What least-latency reads: a deployment's recent latency in ms (None: not measured yet)."""

    def latency_ms(self, deployment: str) -> float | None: ...


class NoHealth:
    """No health book installed: every latency is unknown, so least-latency keeps the written order."""

    def latency_ms(self, deployment: str) -> float | None:
        return None


class _Orderer:
    """Orders one rule's (or one model's) candidates into a plan; subclasses are the strategies."""

    def __init__(
        self,
        model: str | None,
        candidates: tuple[Candidate, ...],
        policy: AttemptPolicy,
        rule: str | None,
        strategy: str | None,
    ) -> None:
        self.model = model  # None: the plan names the call's model
        self.candidates = candidates
        self.policy = policy
        self.rule = rule
        self.strategy = strategy

    def _plan(self, model: str, order: tuple[Candidate, ...]) -> RoutePlan:
        routes = tuple(c.route for c in order)
        return RoutePlan(self.model or model, routes, self.policy, self.rule, self.strategy)

    def plan(self, model: str, body: Mapping[str, Any], tokens: int) -> RoutePlan:
        return self._plan(model, self.candidates)


class _Fixed(_Orderer):
    """Fallback: the written order, one plan computed once (per model when the rule names none)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._plans: dict[str, RoutePlan] = {}

    def plan(self, model: str, body: Mapping[str, Any], tokens: int) -> RoutePlan:
        found = self._plans.get(model)
        if found is None:
            found = self._plans[model] = self._plan(model, self.candidates)
        return found


class _Weighted(_Orderer):
    """Weighted: one random draw picks the first deployment by weight; the others follow as written."""

    def __init__(self, *args: Any, draw: Callable[[], float]) -> None:
        super().__init__(*args)
        self._draw = draw
        self._bounds = list(accumulate(c.weight for c in self.candidates))
        self._total = self._bounds[-1]
        self._orders = tuple(
            (c, *(o for o in self.candidates if o is not c)) for c in self.candidates
        )  # one order per possible first deployment
        self._plans: dict[str, tuple[RoutePlan, ...]] = {}

    def plan(self, model: str, body: Mapping[str, Any], tokens: int) -> RoutePlan:
        plans = self._plans.get(model)
        if plans is None:
            plans = self._plans[model] = tuple(self._plan(model, order) for order in self._orders)
        index = bisect_right(self._bounds, self._draw() * self._total)
        return plans[min(index, len(plans) - 1)]


class _LeastLatency(_Orderer):
    """Least-latency: measured deployments fastest first, the untried after them in the written order;
    on a few calls (EXPLORE) an untried one goes first so it gets measured."""

    def __init__(self, *args: Any, health: HealthView, draw: Callable[[], float]) -> None:
        super().__init__(*args)
        self._health = health
        self._draw = draw

    def plan(self, model: str, body: Mapping[str, Any], tokens: int) -> RoutePlan:
        measured: list[tuple[float, int, Candidate]] = []
        untried: list[Candidate] = []
        for index, candidate in enumerate(self.candidates):
            latency = self._health.latency_ms(candidate.route.name)
            if latency is None:
                untried.append(candidate)
            else:
                measured.append((latency, index, candidate))
        measured.sort(key=lambda item: (item[0], item[1]))
        fastest = [c for _, _, c in measured]
        if untried and measured and self._draw() < EXPLORE:
            return self._plan(model, (*untried, *fastest))
        return self._plan(model, (*fastest, *untried))


def output_guess(body: Mapping[str, Any]) -> int:
    """The output tokens least-cost assumes: the call's own cap, else OUTPUT_TOKENS_GUESS."""
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return min(value, 1_000_000)
    return OUTPUT_TOKENS_GUESS


class _LeastCost(_Orderer):
    """Least-cost: cheapest first for the call's estimated tokens; unpriced deployments last, ties as written."""

    def plan(self, model: str, body: Mapping[str, Any], tokens: int) -> RoutePlan:
        out = output_guess(body)
        inf = float("inf")
        costs = [
            (
                c.input_per_token * tokens + c.output_per_token * out
                if c.input_per_token is not None and c.output_per_token is not None
                else inf,
                i,
                c,
            )
            for i, c in enumerate(self.candidates)
        ]
        costs.sort(key=lambda item: (item[0], item[1]))
        return self._plan(model, tuple(c for _, _, c in costs))


@dataclass(frozen=True, slots=True)
class RulePick:
    """A compiled rule with its orderer and what matching it needs."""

    compiled: CompiledRule
    orderer: _Orderer
    any_model: bool  # the rule names no model: it applies to every public model, never to unknown names


@dataclass(frozen=True, slots=True)
class Routes:
    """One workload's rules, and whether any of them reads the prompt's size."""

    rules: tuple[RulePick, ...]
    needs_tokens: bool


class TableChooser:
    """The routes slice's `RouteChooser` (`models/ports.py`): first matching rule, else the model's default."""

    def __init__(self, table: RouteTable, health: HealthView | None = None, seed: int | None = None) -> None:
        self.table = table
        self.health: HealthView = health if health is not None else NoHealth()
        self._draw = random.Random(seed).random
        self.workloads: dict[str, Routes] = {
            workload: Routes(tuple(self._pick(c) for c in rules), any(c.rule.when.needs_tokens for c in rules))
            for workload, rules in table.rules.items()
        }
        self.defaults: dict[str, _Orderer] = {
            model: self._orderer(
                model, candidates, table.defaults, None, Strategy.WEIGHTED if len(candidates) > 1 else Strategy.FALLBACK
            )
            for model, candidates in table.by_model.items()
        }

    def _orderer(
        self,
        model: str | None,
        candidates: tuple[Candidate, ...],
        policy: AttemptPolicy,
        rule: str | None,
        strategy: Strategy,
    ) -> _Orderer:
        named = None if strategy is Strategy.FALLBACK and rule is None else strategy.value
        args = (model, candidates, policy, rule, named)
        if strategy is Strategy.WEIGHTED:
            return _Weighted(*args, draw=self._draw)
        if strategy is Strategy.LEAST_LATENCY:
            return _LeastLatency(*args, health=self.health, draw=self._draw)
        if strategy is Strategy.LEAST_COST:
            return _LeastCost(*args)
        return _Fixed(*args)

    def _pick(self, compiled: CompiledRule) -> RulePick:
        rule = compiled.rule
        orderer = self._orderer(None, compiled.candidates, rule.policy, rule.name, rule.strategy)
        return RulePick(compiled, orderer, rule.when.models is None)

    def match(
        self, workload: str | None, requested: str, model: str, user: str | None, tags: Mapping[str, str], tokens: int
    ) -> RulePick | None:
        """The first rule of the workload that applies to this call (None: the model's default)."""
        routes = self.workloads.get(workload) if workload is not None else None
        if routes is None:
            return None
        known = model in self.table.by_model
        for pick in routes.rules:
            if pick.any_model and not known:
                continue
            if pick.compiled.rule.when.matches(requested, model, user, tags, tokens):
                return pick
        return None

    def choose(self, ctx: CallContext, model: str) -> RoutePlan | None:
        """The plan for this call: the first matching rule's, else the model's default (None: unknown model)."""
        key = ctx.key
        workload = key.workload if key is not None else None
        routes = self.workloads.get(workload) if workload is not None else None
        tokens = 0
        if routes is not None:
            if routes.needs_tokens:
                tokens = ctx.estimated_input_tokens or prompt_tokens(ctx.body)
            pick = self.match(workload, ctx.model_requested or model, model, ctx.user, ctx.tags, tokens)
            if pick is not None:
                if pick.compiled.rule.strategy is Strategy.LEAST_COST and not routes.needs_tokens:
                    tokens = prompt_tokens(ctx.body)
                return pick.orderer.plan(model, ctx.body, tokens)
        orderer = self.defaults.get(model)
        return orderer.plan(model, ctx.body, tokens) if orderer is not None else None
