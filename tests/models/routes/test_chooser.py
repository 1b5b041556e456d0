"""The route chooser (models/routes/chooser.py): first matching rule, each strategy's order, conditions on the
requested model, prompt size, tags, user and metadata, and the default plan of a model with several deployments."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rungway.gateway.routing import RoutePlan
from rungway.models.routes.chooser import EXPLORE, TableChooser
from rungway.settings.config import Config
from tests.models.routes.calls import call_context
from tests.models.routes.support import BASE, ROUTED, chooser_of, config_of

WEIGHTS = (
    BASE
    + """
deployments:
  mini-b: {serves: gpt-4o-mini, provider: sim-eu, weight: 3}
  mini-c: {serves: gpt-4o-mini, provider: sim, weight: 6}
routing:
  workloads:
    support:
      - name: split
        when: {model: gpt-4o}
        strategy: weighted
        targets: [gpt-4o, claude]
"""
)


class Latencies:
    """A health view with fixed latencies (None: not measured)."""

    def __init__(self, latencies: dict[str, float | None]) -> None:
        self.latencies = latencies

    def latency_ms(self, deployment: str) -> float | None:
        return self.latencies.get(deployment)


@pytest.fixture
def routed(tmp_path: Path) -> Config:
    return config_of(tmp_path, ROUTED)


def names(plan: RoutePlan | None) -> list[str]:
    assert plan is not None
    return [d.name for d in plan.deployments]


def pick(chooser: TableChooser, model: str, *, workload: str = "support", requested: str | None = None,
         user: str | None = None, tags: dict[str, str] | None = None, tokens: int = 10) -> str | None:  # fmt: skip
    found = chooser.match(workload, requested or model, model, user, tags or {}, tokens)
    return None if found is None else found.compiled.rule.name


def plan_of(chooser: TableChooser, model: str, *, tokens: int = 10, tags: dict[str, str] | None = None,
            user: str | None = None, body: dict[str, object] | None = None) -> RoutePlan:  # fmt: skip
    found = chooser.match("support", model, model, user, tags or {}, tokens)
    orderer = found.orderer if found is not None else chooser.defaults[model]
    return orderer.plan(model, body or {}, tokens)


def test_conditions_on_model_prompt_size_tags_user_and_metadata(routed: Config) -> None:
    chooser = chooser_of(routed)
    assert pick(chooser, "gpt-4o", tokens=1001) == "long-prompts"
    assert pick(chooser, "gpt-4o", tokens=1000) is None  # over means over
    assert pick(chooser, "gpt-4o-mini", tokens=5000) is None  # another model
    assert pick(chooser, "gpt-4o-2024-08-06", requested="gpt-4o", tokens=5000) == "long-prompts"  # as requested
    assert pick(chooser, "gpt-4o", tags={"tier": "gold"}) == "gold"
    assert pick(chooser, "gpt-4o", tags={"tier": "silver"}) is None
    assert pick(chooser, "claude", user="alice") == "vip"
    assert pick(chooser, "claude", user="bob") is None
    assert pick(chooser, "gpt-4o-mini", tags={"channel": "web"}, tokens=49) == "web"
    assert pick(chooser, "gpt-4o-mini", tags={"channel": "web"}, tokens=50) is None  # under means under
    assert pick(chooser, "gpt-4o", tags={"tier": "gold"}, tokens=5000) == "long-prompts"  # the first match wins
    assert pick(chooser, "gpt-4o", workload="test", tokens=5000) is None  # another workload's rules
    assert pick(chooser, "no-such-model", user="alice") is None  # a rule without `model` never serves unknown names


def test_fallback_keeps_the_written_order_and_the_rule_policy(routed: Config) -> None:
    plan = plan_of(chooser_of(routed), "gpt-4o", tokens=2000)
    assert names(plan) == ["claude", "gpt-4o", "gpt-4o-cheap"]  # a public model expands to all its deployments
    assert (plan.rule, plan.strategy, plan.model, plan.policy.retries) == ("long-prompts", "fallback", "gpt-4o", 0)


def test_weighted_proportions_hold_and_the_rest_follow_as_fallbacks(tmp_path: Path) -> None:
    chooser = chooser_of(config_of(tmp_path, WEIGHTS), seed=12345)
    firsts: Counter[str] = Counter()
    for _ in range(10_000):
        plan = chooser.defaults["gpt-4o-mini"].plan("gpt-4o-mini", {}, 0)
        firsts[plan.deployments[0].name] += 1
        assert sorted(names(plan)) == ["gpt-4o-mini", "mini-b", "mini-c"] and plan.strategy == "weighted"
        assert plan.rule is None
    # weights 1 : 3 : 6 of 10,000; a binomial's 4 standard deviations are at most 200
    assert abs(firsts["gpt-4o-mini"] - 1000) < 200 and abs(firsts["mini-b"] - 3000) < 200
    assert abs(firsts["mini-c"] - 6000) < 200
    again = chooser_of(config_of(tmp_path, WEIGHTS), seed=12345)
    first_again = Counter(again.defaults["gpt-4o-mini"].plan("gpt-4o-mini", {}, 0).deployments[0].name
                          for _ in range(10_000))  # fmt: skip
    assert first_again == firsts  # a seed makes it reproducible


def test_a_weighted_rule_over_two_models(tmp_path: Path) -> None:
    chooser = chooser_of(config_of(tmp_path, WEIGHTS), seed=1)
    firsts = Counter(plan_of(chooser, "gpt-4o").deployments[0].name for _ in range(4000))
    assert set(firsts) == {"gpt-4o", "claude"} and abs(firsts["gpt-4o"] - 2000) < 200


def test_a_model_with_one_deployment_and_no_rule_gets_the_default_policy(routed: Config) -> None:
    plan = chooser_of(routed).defaults["claude"].plan("claude", {}, 0)
    assert names(plan) == ["claude"] and plan.rule is None and plan.strategy is None
    assert plan.policy.retries == 1 and plan.policy.total_timeout_s == 120.0


def test_least_latency_puts_the_fastest_first_and_explores_the_untried(routed: Config) -> None:
    health = Latencies({"gpt-4o": 300.0, "gpt-4o-cheap": 50.0})
    chooser = chooser_of(routed, health)
    orders = Counter(tuple(names(plan_of(chooser, "gpt-4o", tags={"tier": "gold"}))) for _ in range(4000))
    assert orders.most_common(1)[0][0] == ("gpt-4o-cheap", "gpt-4o", "claude")  # the untried claude goes last
    explored = orders[("claude", "gpt-4o-cheap", "gpt-4o")]
    assert explored > 0 and abs(explored - EXPLORE * 4000) < 100  # ... but is tried first now and then
    health.latencies["claude"] = 10.0
    assert names(plan_of(chooser, "gpt-4o", tags={"tier": "gold"})) == ["claude", "gpt-4o-cheap", "gpt-4o"]


def test_least_latency_without_measurements_keeps_the_written_order(routed: Config) -> None:
    plan = plan_of(chooser_of(routed), "gpt-4o", tags={"tier": "gold"})
    assert names(plan) == ["gpt-4o", "gpt-4o-cheap", "claude"] and plan.strategy == "least-latency"


def test_least_cost_orders_by_the_calls_estimated_price(routed: Config) -> None:
    plan = plan_of(chooser_of(routed), "gpt-4o", user="alice", tokens=500)
    assert names(plan) == ["gpt-4o-cheap", "gpt-4o", "claude"] and plan.strategy == "least-cost"


def test_choose_reads_the_call(routed: Config) -> None:
    chooser = chooser_of(routed)
    long_prompt = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * 8000}]}
    assert chooser.choose(call_context(long_prompt, "support"), "gpt-4o").rule == "long-prompts"  # type: ignore[union-attr]
    short = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    assert chooser.choose(call_context(short, "support", tags={"tier": "gold"}), "gpt-4o").rule == "gold"  # type: ignore[union-attr]
    assert chooser.choose(call_context(short, "test"), "gpt-4o").rule is None  # type: ignore[union-attr]
    assert chooser.choose(call_context(short, "support"), "no-such-model") is None
