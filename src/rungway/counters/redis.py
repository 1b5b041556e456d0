"""Counters in Redis, shared by several gateway replicas.

Every check-and-add is one Lua script, so it is atomic on the Redis server: two replicas cannot
both take the last unit of a rate limit or the last dollar of a budget (scripts in
`redis_scripts.py`). Admissions and finishes of concurrent calls are batched (`redis_batch.py`).
Keys start with `counters.key_prefix` so that deployments (and tests) can share one Redis.
Windows are weighted exactly as `memory.py` weighs them.

This module does not decide what happens when Redis is unreachable: it raises, and the gateway
step fails open or closed as configured (counted in `rungway_counter_backend_errors`). A Redis that
refuses the configured credentials or TLS set-up is different: that is a configuration error, found
by one probe at start (`probe_at_start`) so that `serve` stops with a one-line fix.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from rungway.counters.base import (
    BudgetDenied,
    BudgetSettle,
    BudgetState,
    BudgetUse,
    Counters,
    Denied,
    WindowUse,
    sliding_count,
)
from rungway.counters.redis_batch import Batches, RedisKeys, as_int
from rungway.counters.redis_scripts import RAISE_MARKS, RECONCILE, SEED
from rungway.counters.registry import register_counters
from rungway.errors import ConfigError
from rungway.settings.config import CountersConfig
from rungway.wire.resp import RedisAddress, RedisAuthError, RedisReplyError, RespClient, Script


class RedisCounters(Counters):
    """The `redis` counters backend: atomic Lua scripts over one pipelined connection."""

    name = "redis"

    def __init__(self, url: str, key_prefix: str = "rungway:", ca_file: str | None = None) -> None:
        self.client = RespClient(url, ca_file=ca_file)
        self.prefix = key_prefix
        self.keys = RedisKeys(key_prefix)
        self._batches = Batches(self.client, self.keys)
        self._seed = Script(SEED)
        self._reconcile = Script(RECONCILE)
        self._raise_marks = Script(RAISE_MARKS)

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

    async def raise_marks(self, marks: Sequence[tuple[str, float]], ttl_s: int) -> None:
        if not marks:
            return
        keys = [f"{self.prefix}mark:{key}" for key, _ in marks]
        await self.client.run(self._raise_marks, keys, [max(1, ttl_s), *(repr(float(v)) for _, v in marks)])

    async def read_marks(self, keys: Sequence[str]) -> list[float | None]:
        if not keys:
            return []
        values = await self.client.call("MGET", *(f"{self.prefix}mark:{key}" for key in keys))
        return [None if v is None else float(v.decode() if isinstance(v, bytes) else v) for v in values]

    async def close(self) -> None:
        await self._batches.drain()
        await self.client.close()


log = logging.getLogger("rungway.counters")


def probe_at_start(config: CountersConfig) -> None:
    """Connect and PING once (blocking): refused credentials or TLS raise ConfigError; an unreachable
    Redis only logs, since the gateway serves on without it (fail-open) or refuses calls (fail-closed)."""
    assert config.redis_url is not None

    async def ping() -> None:
        client = RespClient(config.redis_url or "", ca_file=config.redis_ca_file)
        try:
            await client.call("PING")
        finally:
            await client.close()

    where = RedisAddress.parse(config.redis_url).shown
    fix_auth = "check the user and password in counters.redis_url (or RUNGWAY_REDIS_URL) and the user's ACL"
    try:
        with ThreadPoolExecutor(1) as pool:  # a thread of its own: the caller may be inside an event loop
            pool.submit(asyncio.run, ping()).result()
    except RedisAuthError as exc:
        raise ConfigError(f"counters.redis_url: {exc}. Fix: {fix_auth}") from None
    except RedisReplyError as exc:  # NOAUTH (a password is required), NOPERM
        raise ConfigError(f"counters.redis_url: redis at {where} answered {exc}. Fix: {fix_auth}") from None
    except ssl.SSLError as exc:
        raise ConfigError(
            f"counters.redis_url: TLS with redis at {where} failed: {exc.reason or exc}. Fix: set"
            " counters.redis_ca_file to the PEM of the CA that signed the server's certificate"
        ) from None
    except (OSError, TimeoutError) as exc:
        log.warning("redis at %s is unreachable at start (%s); counters %s until it answers", where, exc,
                    "fail open" if config.fail_open else "fail closed")  # fmt: skip


@register_counters("redis")
def create_redis_counters(config: CountersConfig) -> RedisCounters:
    if not config.redis_url:
        raise ConfigError("counters.redis_url: not set. Fix: set it or RUNGWAY_REDIS_URL=redis://host:6379/0")
    probe_at_start(config)
    return RedisCounters(config.redis_url, config.key_prefix, config.redis_ca_file)
