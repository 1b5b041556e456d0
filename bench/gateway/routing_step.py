"""CPU per call that routing adds to the gateway's route step, in process (no server, no network).

    .venv/bin/python bench/gateway/routing_step.py [--rounds 7] [--calls 20000]

`resolve_route` (gateway/route.py) as the core runs it (no planner: the `models:` entry) and with the
models capability's planner over a realistic routing configuration: 5 workloads of 4 rules each
(requested model, prompt size, tags, users; fallback, weighted, least-latency and least-cost), 6
public models of 3 deployments each. The calls cycle through the workloads with a mix of bodies:
some match a rule early, some late, most none (they take the model's default weighted plan after
trying every rule: the longest path). Each round runs both A and B on the same calls; the result
is the median of the per-round differences of CPU time (process_time), so drift between rounds
cancels. Health is a table of latencies (the failover slice's book reads its windows the same way).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

from aiohttp.test_utils import make_mocked_request

from rungway.capability import registered_sections
from rungway.domain.keys import ApiKey
from rungway.gateway.context import CallContext
from rungway.gateway.route import resolve_route
from rungway.models.planner import ModelsPlanner
from rungway.models.ports import Resolution
from rungway.models.routes.chooser import TableChooser
from rungway.models.routes.config import DEPLOYMENTS_SECTION, ROUTING_SECTION
from rungway.models.routes.table import build_table
from rungway.settings.config import parse_config
from rungway.settings.env import Environment
from rungway.settings.yaml_source import load_yaml

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet", "claude-haiku", "gemini-pro", "mistral-large"]
WORKLOADS = ["support", "search", "billing", "triage", "docs"]


def config_text() -> str:
    lines = ["providers:"] + [f"  p{i}: {{type: simulator}}" for i in range(3)]
    lines += ["models:"] + [f"  {m}: {{provider: p0, model: {m}-2024-08-06}}" for m in MODELS]
    lines += ["deployments:"]
    for m in MODELS:
        lines += [f"  {m}-r{i}: {{serves: {m}, provider: p{i}, weight: {i + 1}}}" for i in (1, 2)]
    lines += ["workloads:"] + [f"  {w}: {{}}" for w in WORKLOADS]
    lines += ["routing:", "  defaults: {retries: 1, attempt_timeout: 30s}", "  workloads:"]
    for w in WORKLOADS:
        lines += [
            f"    {w}:",
            "      - {name: long, when: {model: gpt-4o, prompt_tokens_over: 4000}, targets: [claude-sonnet, gpt-4o]}",
            "      - {name: gold, when: {tags: {tier: gold}}, strategy: least-latency, targets: [gpt-4o, gemini-pro]}",
            "      - {name: batch, when: {users: [batch-1, batch-2]}, strategy: least-cost, targets: [gpt-4o-mini, "
            "claude-haiku]}",
            "      - {name: split, when: {model: [mistral-large, gemini-pro]}, strategy: weighted, targets: "
            "[mistral-large, gemini-pro]}",
        ]
    return "\n".join(lines) + "\n"


class AsRequested:
    def resolve(self, workload: str | None, requested: str) -> Resolution:
        return Resolution(requested=requested, model=requested)


class NoLifecycle:
    def admit(self, model: str, now: float) -> dict[str, str]:
        return {}


class Health:
    def __init__(self) -> None:
        self.ms = {f"{m}-r{i}": 100.0 + 10 * i for m in MODELS for i in (1, 2)}

    def latency_ms(self, deployment: str) -> float | None:
        return self.ms.get(deployment)


class State:
    """What resolve_route reads of GatewayState."""

    def __init__(self, config: Any, planner: Any) -> None:
        self.config = config
        self.route_planner = planner
        self.providers = {name: object() for name in config.providers}


def calls() -> list[tuple[str, dict[str, Any], str | None, dict[str, str]]]:
    """(workload, body, user, tags): 20 calls, cycled."""
    short = [{"role": "user", "content": "Summarise in one sentence why gateways meter tokens per request."}]
    long = [{"role": "user", "content": "x " * 9000}]
    out = []
    for i in range(20):
        workload = WORKLOADS[i % len(WORKLOADS)]
        model = MODELS[i % len(MODELS)]
        messages = long if i % 10 == 0 else short
        user = "batch-1" if i % 7 == 0 else f"user-{i}"
        tags = {"tier": "gold"} if i % 9 == 0 else {"team": "a"}
        out.append((workload, {"model": model, "messages": messages, "max_tokens": 64}, user, tags))
    return out


async def per_call_us(state: State, batch: list[Any], keys: dict[str, ApiKey], n: int) -> float:
    request = make_mocked_request("POST", "/v1/chat/completions")
    start = time.process_time()
    for i in range(n):
        workload, body, user, tags = batch[i % len(batch)]
        ctx = CallContext(request=request, endpoint="chat.completions", id="req_x", body=dict(body))
        ctx.key = keys[workload]
        ctx.model_requested = body["model"]
        ctx.user = user
        ctx.tags = tags
        await resolve_route(state, ctx)  # type: ignore[arg-type]
    return (time.process_time() - start) / n * 1e6


async def main(rounds: int, n: int) -> None:
    env = Environment(config_path=None, database_url=None, redis_url=None, admin_key=None, ci=False, variables={})
    config = parse_config(load_yaml("bench.yaml", config_text(), {}), env, registered_sections())
    table = build_table(config, config.section(DEPLOYMENTS_SECTION), config.section(ROUTING_SECTION))
    planner = ModelsPlanner(AsRequested(), NoLifecycle(), TableChooser(table, Health(), seed=1))
    core, routed = State(config, None), State(config, planner)
    keys = {w: ApiKey(f"key_{w}", "rw", "h", "app", w) for w in WORKLOADS}
    batch = calls()
    await per_call_us(routed, batch, keys, 2000)  # warm-up
    await per_call_us(core, batch, keys, 2000)
    a, b = [], []
    for _ in range(rounds):
        a.append(await per_call_us(core, batch, keys, n))
        b.append(await per_call_us(routed, batch, keys, n))
    added = statistics.median(y - x for x, y in zip(a, b, strict=True))
    print(
        f"resolve_route: core {statistics.median(a):.2f} µs, models planner {statistics.median(b):.2f} µs CPU per call;"
        f" routing adds {added:+.2f} µs (median of {rounds} paired rounds of {n} calls; load {os.getloadavg()[0]:.2f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.calls))
