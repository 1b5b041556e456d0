"""Shared pieces of the budget tests: a config with counters and a slow simulator, pre-spend, bursts."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openai
from sqlalchemy import Engine

from rungway.budgets.model import Budget
from rungway.budgets.service import BudgetRequest, set_budget
from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.domain.workloads import Workload
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from rungway.store.workloads import upsert_workload

CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
counters:
{counters}
budgets:
  default_max_tokens: {default_max_tokens}
  reconcile_ms: {reconcile_ms}
alerts:
  backoff_ms: 20
{alerts}
providers:
  sim:
    type: simulator
    latency_ms: {latency_ms}
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
workloads:
  test:
    team: qa
  limited:
    team: other
    rpm: {rpm}
"""

# gpt-4o-mini: 150 nano-dollars per input token, 600 per output token.
MESSAGES = [{"role": "user", "content": "Hello there"}]


def config_text(
    counters: str = "memory",
    redis_url: str = "",
    prefix: str = "",
    fail: str = "fail-open",
    latency_ms: int = 30,
    default_max_tokens: int = 4096,
    rpm: int = 1000,
    webhook_url: str | None = None,
    reconcile_ms: int = 60_000,
) -> str:
    if counters == "memory":
        block = "  backend: memory"
    else:
        prefix = prefix or f"test:{secrets.token_hex(6)}:"
        block = f"  backend: redis\n  redis_url: {redis_url}\n  key_prefix: '{prefix}'\n  on_error: {fail}"
    return CONFIG.format(
        store_url="{store_url}",
        counters=block,
        latency_ms=latency_ms,
        default_max_tokens=default_max_tokens,
        rpm=rpm,
        reconcile_ms=reconcile_ms,
        alerts=f"  webhook_url: {webhook_url}" if webhook_url else "",
    )


def open_store(url: str) -> Engine:
    """A migrated store holding CONFIG's workloads, so budgets can name them before a gateway starts."""
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    upsert_workload(engine, Workload(name="test", team="qa"))
    upsert_workload(engine, Workload(name="limited", team="other"))
    return engine


def prespend(engine: Engine, cost_nano: int, workload: str = "test", team: str = "qa", user: str | None = None) -> None:
    """A call already in the request log this period, so the budget starts nearly exhausted."""
    now = time.time()
    record = RequestRecord(
        id=f"req_seed{secrets.token_hex(8)}",
        ts_start=now - 1,
        ts_end=now - 1,
        workload=workload,
        key_id=None,
        user=user,
        team=team,
        cost_nano=cost_nano,
        priced=True,
    )
    insert_requests(engine, [record])


def workload_budget(engine: Engine, name: str, amount_usd: str, **kwargs: Any) -> Budget:
    return set_budget(
        engine, BudgetRequest(name=name, scope="workload", amount_usd=amount_usd, workload="test", **kwargs)
    )


@dataclass
class Outcome:
    ok: int
    budget_refusals: list[openai.RateLimitError]
    rate_refusals: list[openai.RateLimitError]
    other: list[Exception]


async def _burst(base_urls: Sequence[str], secret: str, n: int, **kwargs: Any) -> Outcome:
    clients = [openai.AsyncOpenAI(base_url=u, api_key=secret, max_retries=0, timeout=60) for u in base_urls]
    outcome = Outcome(0, [], [], [])

    async def one(i: int) -> None:
        try:
            await clients[i % len(clients)].chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **kwargs)
            outcome.ok += 1
        except openai.RateLimitError as exc:
            body = exc.body if isinstance(exc.body, dict) else {}
            bucket = outcome.budget_refusals if body.get("code") == "budget_exceeded" else outcome.rate_refusals
            bucket.append(exc)
        except Exception as exc:
            outcome.other.append(exc)

    try:
        await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        for c in clients:
            await c.close()
    return outcome


def burst(base_urls: Sequence[str], secret: str, n: int, **kwargs: Any) -> Outcome:
    """`n` concurrent chat calls with the official SDK, spread over the given gateways."""
    return asyncio.run(_burst(base_urls, secret, n, **kwargs))


def logged_spend(engine: Engine, workload: str = "test") -> tuple[int, int]:
    """(cost of successful gateway calls, number of them) for a workload, from the request log."""
    from sqlalchemy import func, select

    from rungway.store.schema import requests

    c = requests.c
    q = select(func.coalesce(func.sum(c.cost_nano), 0), func.count()).where(
        c.workload == workload, c.status == 200, c.key_id.is_not(None)
    )
    with engine.connect() as conn:
        row = conn.execute(q).one()
    return int(row[0]), int(row[1])


def api(base_url: str, path: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    """Call the management API as the admin; (status, parsed JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base_url + path,
        data=data,
        method=method,
        headers={"Authorization": "Bearer admin-secret", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.read().decode())


def forget_redis_counters(redis_url: str, prefix: str) -> int:
    """What a Redis restarted without persistence (or failed over to an empty replica) looks like to one
    deployment: every key under its prefix is gone. (Not FLUSHDB: other deployments share the server.)"""
    from rungway.wire.resp import RespClient

    async def forget() -> int:
        client = RespClient(redis_url)
        deleted, cursor = 0, "0"
        try:
            while True:
                cursor_reply, names = await client.call("SCAN", cursor, "MATCH", f"{prefix}*", "COUNT", 1000)
                cursor = cursor_reply.decode() if isinstance(cursor_reply, bytes) else str(cursor_reply)
                if names:
                    deleted += int(await client.call("DEL", *names))
                if cursor == "0":
                    return deleted
        finally:
            await client.close()

    return asyncio.run(forget())
