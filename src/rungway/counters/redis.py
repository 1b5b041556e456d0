"""Counters in Redis, shared by several gateway replicas.

Every check-and-add is one Lua script, so it is atomic on the Redis server: two replicas cannot
both take the last unit of a rate limit or the last dollar of a budget (scripts in
`redis_scripts.py`). Admissions and finishes of concurrent calls are batched (`redis_batch.py`).
Keys start with `counters.key_prefix` so that deployments (and tests) can share one Redis.
Windows are weighted exactly as `memory.py` weighs them.

This module does not decide what happens when Redis is unreachable: it raises, and the gateway
step fails open or closed as configured (counted in `rungway_counter_backend_errors`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from rungway.counters.base import (
    BudgetDenied,
    BudgetSettle,
    BudgetState,
    BudgetUse,
    Denied,
    WindowUse,
    sliding_count,
)
from rungway.counters.redis_batch import Batches, RedisKeys, as_int
from rungway.counters.redis_scripts import RECONCILE, SEED
from rungway.counters.registry import register_counters
from rungway.counters.resp import RespClient, Script
from rungway.errors import ConfigError
from rungway.settings.config import CountersConfig


class RedisCounters:
    """The `redis` counters backend: atomic Lua scripts over one pipelined connection."""

    name = "redis"

    def __init__(self, url: str, key_prefix: str = "rungway:") -> None:
        self.client = RespClient(url)
        self.prefix = key_prefix
        self.keys = RedisKeys(key_prefix)
        self._batches = Batches(self.client, self.keys)
        self._seed = Script(SEED)
        self._reconcile = Script(RECONCILE)

    async def admit(
        self, windows: Sequence[WindowUse], budgets: Sequence[BudgetUse], now: float | None = None
    ) -> Denied | BudgetDenied | None:
        if not windows and not budgets:
            return None
        return await self._batches.admit(windows, budgets, now)

    async def finish(
        self, settles: Sequence[BudgetSettle], corrections: Sequence[WindowUse], now: float | None = None
    ) -> list[tuple[int, int]]:
        if not settles and not corrections:
            return []
        return await self._batches.finish(settles, corrections, now)

    async def acquire(self, uses: Sequence[WindowUse], now: float | None = None) -> Denied | None:
        denied = await self.admit(uses, (), now)
        return denied if isinstance(denied, Denied) else None

    async def add(self, key: str, window_s: int, amount: int, now: float | None = None) -> None:
        await self.finish((), [WindowUse(key, 0, window_s, amount)], now)

    async def add_many(self, uses: Sequence[WindowUse], now: float | None = None) -> None:
        await self.finish((), uses, now)

    async def current(self, key: str, window_s: int, now: float | None = None) -> float:
        current, previous, fraction = self.keys.window(key, window_s, time.time() if now is None else now)
        cur, prev = await self.client.call("MGET", current, previous)
        return sliding_count(as_int(prev or 0), as_int(cur or 0), fraction)

    async def reserve(self, uses: Sequence[BudgetUse]) -> BudgetDenied | None:
        denied = await self.admit((), uses)
        return denied if isinstance(denied, BudgetDenied) else None

    async def settle(self, settles: Sequence[BudgetSettle]) -> list[tuple[int, int]]:
        return await self.finish(settles, ())

    async def budget_state(self, keys: Sequence[str]) -> list[BudgetState]:
        rows = await asyncio.gather(*(self.client.call("HMGET", self.keys.budget(k), "s", "r") for k in keys))
        return [BudgetState(as_int(s or 0), as_int(r or 0)) for s, r in rows]

    async def seed_budget(self, key: str, spent: int, ttl_s: int) -> bool:
        return bool(await self.client.run(self._seed, [self.keys.budget(key)], [spent, ttl_s]) == 1)

    async def reconcile_budget(self, key: str, logged: int, release: int, ttl_s: int) -> BudgetState:
        reply = await self.client.run(self._reconcile, [self.keys.budget(key)], [logged, -release, max(1, ttl_s)])
        spent, reserved = reply
        return BudgetState(as_int(spent), as_int(reserved))

    async def claim_once(self, key: str, ttl_s: int) -> bool:
        reply = await self.client.call("SET", f"{self.prefix}once:{key}", "1", "NX", "EX", max(1, ttl_s))
        return bool(reply == "OK")

    async def close(self) -> None:
        await self._batches.drain()
        await self.client.close()


@register_counters("redis")
def create_redis_counters(config: CountersConfig) -> RedisCounters:
    if not config.redis_url:
        raise ConfigError("counters.redis_url: not set. Fix: set it or RUNGWAY_REDIS_URL=redis://host:6379/0")
    return RedisCounters(config.redis_url, config.key_prefix)
