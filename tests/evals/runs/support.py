"""Shared pieces of the eval-run tests: a case source held in memory, and a run through a real gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from rungway.evals.runs.cache import ResponseCache
from rungway.evals.runs.gateway_client import GatewayClient, RetryPolicy
from rungway.evals.runs.runner import EvalCase, EvalRunner, RunOutcome, RunSettings
from rungway.evals.runs.sinks import ApiClient, HttpSink, RunStart
from rungway.evals.scorers.base import JsonValue
from tests.api.http import call
from tests.servers import Gateway

NEVER = "zq-never-said-zq"


class ListSource:
    """A dataset version's cases from a list, in pages of `page` (the runner's `CaseSource`)."""

    def __init__(
        self,
        cases: Sequence[EvalCase],
        defaults: Sequence[Mapping[str, JsonValue]] = (),
        page: int = 7,
        name: str = "faq",
        version: str = "1",
    ) -> None:
        self.cases = list(cases)
        self.default_assertions = list(defaults)
        self.page = page
        self.dataset = name
        self.version = version

    async def pages(self) -> AsyncIterator[Sequence[EvalCase]]:
        for start in range(0, len(self.cases), self.page):
            yield self.cases[start : start + self.page]


def cases(count: int, failing_every: int = 2) -> list[EvalCase]:
    """`count` cases; every `failing_every`-th asks for a word the simulator never says (so it fails)."""
    made = []
    for i in range(count):
        assertions: list[Mapping[str, JsonValue]] = [{"type": "length", "value": {"min": 1}}]
        if i % failing_every == 0:
            assertions.append({"type": "contains", "value": NEVER, "metric": "mentions-never"})
        made.append(EvalCase(f"case-{i:03d}", messages=[{"role": "user", "content": f"question {i}"}],
                             assertions=assertions))  # fmt: skip
    return made


def ensure_dataset(gw: Gateway, workload: str = "test", name: str = "faq") -> None:
    """Version 1 of a one-case dataset of `workload` (the same content posted again is the same version)."""
    case = {"key": "only", "messages": [{"role": "user", "content": "hi"}]}
    body = {"name": name, "workload": workload, "cases": [case]}
    status, made = call(gw, "POST", "/api/datasets", "admin-secret", body)
    assert status in (200, 201) and made["version"] == 1, made


def start_for(workload: str = "test", repeat: int = 1, version: str = "1") -> RunStart:
    return RunStart(workload=workload, dataset="faq", dataset_version=version, model="gpt-4o-mini", repeat=repeat)


def run(
    gw: Gateway,
    secret: str,
    source: ListSource,
    *,
    repeat: int = 1,
    cache_dir: Path | None = None,
    concurrency: int = 4,
    gateway_url: str | None = None,
    retry: RetryPolicy | None = None,
) -> RunOutcome:
    """One run of `source` through the gateway (or `gateway_url`), results to `gw`'s API."""

    ensure_dataset(gw)

    async def go() -> RunOutcome:
        api = ApiClient(gw.base_url, secret)
        client = GatewayClient(gateway_url or gw.base_url, secret, concurrency=concurrency, retry=retry)
        cache = ResponseCache(cache_dir) if cache_dir is not None else None
        settings = RunSettings(concurrency=concurrency, repeat=repeat, batch_size=5, model="gpt-4o-mini")
        try:
            return await EvalRunner(client, settings, cache).run(start_for(repeat=repeat), source, HttpSink(api))
        finally:
            if cache is not None:
                cache.close()
            await client.close()
            await api.close()

    return asyncio.run(go())


def run_json(gw: Gateway, run_id: str, key: str, **query: Any) -> tuple[int, Any]:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return call(gw, "GET", f"/api/eval-runs/{run_id}" + (f"?{suffix}" if suffix else ""), key)
