"""The guardrails capability is published like any other; without a policy it adds nothing to the gateway."""

from __future__ import annotations

from collections.abc import Callable

from rungway.capability import load_capabilities
from rungway.gateway.routes import PIPELINES
from rungway.guardrails.install import CAPABILITY
from rungway.guardrails.steps import filter_input
from tests.guardrails.conftest import SIMULATED
from tests.servers import Gateway


def test_guardrails_is_a_registered_capability_owning_its_section() -> None:
    assert CAPABILITY in load_capabilities()
    assert CAPABILITY.name == "guardrails" and [s.name for s in CAPABILITY.sections] == ["guardrails"]


def test_without_a_policy_the_gateway_has_no_filter_step_and_no_answer_guard(gateway: Gateway) -> None:
    assert gateway.state.output_guard is None


def test_with_a_policy_the_input_step_and_the_answer_guard_are_installed(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(SIMULATED)
    assert gw.state.output_guard is not None
    assert filter_input in gw.app[PIPELINES]["chat.completions"].before
