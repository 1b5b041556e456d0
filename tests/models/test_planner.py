"""The models planner (models/planner.py): the requested name is resolved for the workload, the lifecycle
admits it (headers onto the answer, or a refusal), the chooser plans it, and a model no rule serves falls back
to its `models:` entry; an unknown name is the OpenAI-style 404."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from rungway.errors import NotFound, PermissionDenied
from rungway.gateway.context import CallContext
from rungway.gateway.routing import RoutePlan
from rungway.models.planner import RESOLUTION, ModelsPlanner
from rungway.models.ports import Resolution
from tests.models.routes.calls import call_context
from tests.models.routes.support import ROUTED, chooser_of
from tests.servers import Gateway


class Pins:
    """A resolver that maps one workload's alias to a snapshot name."""

    def __init__(self, pins: Mapping[tuple[str, str], str]) -> None:
        self.pins = pins
        self.asked: list[tuple[str | None, str]] = []

    def resolve(self, workload: str | None, requested: str) -> Resolution:
        self.asked.append((workload, requested))
        model = self.pins.get((workload or "", requested))
        return Resolution(requested, model or requested, pinned_by="pin" if model else None)


class Lifecycle:
    """Headers for a deprecated model; a refusal for a blocked one."""

    def __init__(self) -> None:
        self.admitted: list[str] = []

    def admit(self, model: str, now: float) -> Mapping[str, str]:
        self.admitted.append(model)
        if model == "claude":
            raise PermissionDenied("The model `claude` is blocked; use `gpt-4o`.", code="model_blocked")
        return {"Deprecation": "@1767225600"} if model == "gpt-4o-mini" else {}


class NoRoutes:
    def choose(self, ctx: CallContext, model: str) -> RoutePlan | None:
        return None


def _chat(model: str, workload: str = "support", content: str = "hi") -> CallContext:
    return call_context({"model": model, "messages": [{"role": "user", "content": content}]}, workload)


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway]) -> Gateway:
    return gateway_factory(ROUTED)


def test_resolution_then_lifecycle_then_the_chooser(gw: Gateway) -> None:
    pins, lifecycle = Pins({("support", "fast"): "gpt-4o"}), Lifecycle()
    planner = ModelsPlanner(pins, lifecycle, chooser_of(gw.config))
    ctx = _chat("fast", content="x" * 8000)  # a long prompt: the support workload's first rule
    plan = planner.plan(gw.state, ctx)
    assert pins.asked == [("support", "fast")] and lifecycle.admitted == ["gpt-4o"]
    assert ctx.slots[RESOLUTION] == Resolution("fast", "gpt-4o", pinned_by="pin")
    assert plan is not None and plan.model == "gpt-4o" and plan.rule == "long-prompts"
    assert [d.name for d in plan.deployments] == ["claude", "gpt-4o", "gpt-4o-cheap"]


def test_lifecycle_headers_reach_the_answer_and_a_refusal_stops_the_plan(gw: Gateway) -> None:
    planner = ModelsPlanner(Pins({}), Lifecycle(), chooser_of(gw.config))
    ctx = _chat("gpt-4o-mini")
    plan = planner.plan(gw.state, ctx)
    assert ctx.answer_headers == {"Deprecation": "@1767225600"}
    assert plan is not None and plan.strategy == "weighted"  # two deployments, no rule: balanced by weight
    with pytest.raises(PermissionDenied):
        planner.plan(gw.state, _chat("claude"))


def test_without_a_plan_the_models_entry_serves_and_an_unknown_name_is_404(gw: Gateway) -> None:
    planner = ModelsPlanner(Pins({("test", "alias"): "gpt-4o"}), Lifecycle(), NoRoutes())
    plan = planner.plan(gw.state, _chat("alias", workload="test"))
    assert plan is not None and [d.name for d in plan.deployments] == ["gpt-4o"] and plan.rule is None
    with pytest.raises(NotFound) as caught:
        planner.plan(gw.state, _chat("no-such-model", workload="test"))
    assert caught.value.code == "model_not_found" and "no-such-model" in str(caught.value)


def test_the_installed_planner_routes_with_the_configured_chooser(gw: Gateway) -> None:
    planner = gw.state.route_planner
    assert isinstance(planner, ModelsPlanner)
    plan = planner.plan(gw.state, _chat("gpt-4o", content="x" * 8000))
    assert plan is not None and plan.rule == "long-prompts" and plan.policy.retries == 0
    assert gw.state.prices["gpt-4o-cheap"] is not None  # an extra deployment is priced for the meter
