"""Routing through the real gateway with the openai SDK: calls spread across two simulator deployments by
weight (the request log's provider and resolved model say where each went), and a rule sends long prompts of
one workload elsewhere."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import text

from tests.models.routes.support import BASE
from tests.servers import Gateway

SPREAD = (
    BASE
    + """
deployments:
  gpt-4o-mini-eu: {serves: gpt-4o-mini, provider: sim-eu, model: gpt-4o-mini-eu-2024-07-18, weight: 3}
routing:
  workloads:
    support:
      - name: long-prompts
        when: {prompt_tokens_over: 500}
        targets: [claude]
      - name: web
        when: {metadata: {channel: web}, users: [alice]}
        targets: [claude]
"""
)


def _served(gw: Gateway, workload: str) -> Counter[tuple[str, str]]:
    gw.flush()
    with gw.state.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT provider, model_resolved FROM requests WHERE workload = :w"), {"w": workload}
        ).all()
    return Counter((str(r[0]), str(r[1])) for r in rows)


def test_calls_spread_across_deployments_by_weight(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SPREAD)
    client = gw.sdk(gw.create_key("test").secret)
    for _ in range(200):
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert answer.choices[0].message.content
    served = _served(gw, "test")
    assert set(served) == {("sim", "gpt-4o-mini-2024-07-18"), ("sim-eu", "gpt-4o-mini-eu-2024-07-18")}
    eu = served[("sim-eu", "gpt-4o-mini-eu-2024-07-18")]
    assert 110 <= eu <= 190  # 3 of 4 of 200 = 150; 4 standard deviations are about 25


def test_a_rule_routes_one_workloads_long_prompts(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SPREAD)
    support, other = gw.sdk(gw.create_key("support").secret), gw.sdk(gw.create_key("test").secret)
    long_prompt = [{"role": "user", "content": "word " * 1000}]
    for client in (support, other):
        client.chat.completions.create(model="gpt-4o", messages=long_prompt)  # type: ignore[arg-type]
    support.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "short"}])
    assert _served(gw, "support") == {("sim", "claude-3-5-sonnet-20241022"): 1, ("sim", "gpt-4o-2024-08-06"): 1}
    assert _served(gw, "test") == {("sim", "gpt-4o-2024-08-06"): 1}


def test_a_rule_on_metadata_and_user(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SPREAD)
    support = gw.sdk(gw.create_key("support").secret)
    short = [{"role": "user", "content": "short"}]
    support.chat.completions.create(model="gpt-4o", messages=short, user="alice", metadata={"channel": "web"})  # type: ignore[arg-type]
    support.chat.completions.create(model="gpt-4o", messages=short, user="bob", metadata={"channel": "web"})  # type: ignore[arg-type]
    support.chat.completions.create(model="gpt-4o", messages=short, user="alice")  # type: ignore[arg-type]
    assert _served(gw, "support") == {("sim", "claude-3-5-sonnet-20241022"): 1, ("sim", "gpt-4o-2024-08-06"): 2}
