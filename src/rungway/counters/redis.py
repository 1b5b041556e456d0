"""Counters in Redis, shared by several gateway replicas.

Every check-and-add is one Lua script, so it is atomic on the Redis server: two replicas cannot
both take the last unit of a rate limit or the last dollar of a budget. Keys start with
`counters.key_prefix` so that deployments (and tests) can share one Redis.

Rate limits use two fixed-window keys per limit (`w:<key>:<window index>`) weighted into a
sliding window, exactly as `memory.py` does; budgets use one hash per budget period with the
fields `s` (spent) and `r` (reserved), in integer nano-dollars.

This module does not decide what happens when Redis is unreachable: it raises, and the gateway
step fails open or closed as configured (counted in `rungway_counter_backend_errors`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from rungway.counters.base import (
    BudgetDenied,
    BudgetSettle,
    BudgetState,
    BudgetUse,
    Denied,
    WindowUse,
    retry_after,
    sliding_count,
)
from rungway.counters.registry import register_counters
from rungway.counters.resp import RespClient, Script
from rungway.errors import ConfigError
from rungway.settings.config import CountersConfig

# KEYS: (current window, previous window) per use. ARGV: per use: limit, amount, elapsed fraction, ttl.
_ACQUIRE = """
local n = #KEYS / 2
for i = 1, n do
  local limit = tonumber(ARGV[4*i-3])
  local amount = tonumber(ARGV[4*i-2])
  local fraction = tonumber(ARGV[4*i-1])
  local cur = tonumber(redis.call('GET', KEYS[2*i-1]) or '0')
  local prev = tonumber(redis.call('GET', KEYS[2*i]) or '0')
  if prev * (1 - fraction) + cur + amount > limit then
    return {i, prev, cur}
  end
end
for i = 1, n do
  redis.call('INCRBY', KEYS[2*i-1], ARGV[4*i-2])
  redis.call('EXPIRE', KEYS[2*i-1], ARGV[4*i])
end
return 0
"""

# KEYS[1]: window key. ARGV: amount, ttl.
_ADD = """
redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: window keys. ARGV: per key: amount, ttl.
_ADD_MANY = """
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2*i-1])
  redis.call('EXPIRE', KEYS[i], ARGV[2*i])
end
return #KEYS
"""

# KEYS: budget hashes. ARGV: per key: amount, limit (-1 = none), ttl.
_RESERVE = """
for i = 1, #KEYS do
  local limit = tonumber(ARGV[3*i-1])
  if limit >= 0 then
    local v = redis.call('HMGET', KEYS[i], 's', 'r')
    local spent = tonumber(v[1] or '0')
    local reserved = tonumber(v[2] or '0')
    if spent + reserved + tonumber(ARGV[3*i-2]) > limit then
      return {i, spent, reserved}
    end
  end
end
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'r', ARGV[3*i-2])
  if redis.call('TTL', KEYS[i]) < tonumber(ARGV[3*i]) then
    redis.call('EXPIRE', KEYS[i], ARGV[3*i])
  end
end
return 0
"""

# KEYS: budget hashes. ARGV: per key: minus the reserved amount, actual cost, ttl. Returns spend after.
# Lua numbers are doubles: integers are exact below 2^53 nano-dollars (about 9 million USD per period).
_SETTLE = """
local out = {}
for i = 1, #KEYS do
  local r = redis.call('HINCRBY', KEYS[i], 'r', ARGV[3*i-2])
  if r < 0 then
    redis.call('HSET', KEYS[i], 'r', 0)
  end
  out[i] = redis.call('HINCRBY', KEYS[i], 's', ARGV[3*i-1])
  if redis.call('TTL', KEYS[i]) < tonumber(ARGV[3*i]) then
    redis.call('EXPIRE', KEYS[i], ARGV[3*i])
  end
end
return out
"""

# KEYS[1]: budget hash. ARGV: spent, ttl.
_SEED = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'r', 0)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(float(value.decode() if isinstance(value, bytes) else value))


class RedisCounters:
    """The `redis` counters backend: atomic Lua scripts over one pipelined connection."""

    name = "redis"

    def __init__(self, url: str, key_prefix: str = "rungway:") -> None:
        self.client = RespClient(url)
        self.prefix = key_prefix
        self._acquire = Script(_ACQUIRE)
        self._add = Script(_ADD)
        self._add_many = Script(_ADD_MANY)
        self._reserve = Script(_RESERVE)
        self._settle = Script(_SETTLE)
        self._seed = Script(_SEED)

    def _window_keys(self, key: str, window_s: int, now: float) -> tuple[str, str, float]:
        index = int(now // window_s)
        fraction = (now - index * window_s) / window_s
        base = f"{self.prefix}w:{key}:"
        return f"{base}{index}", f"{base}{index - 1}", fraction

    async def acquire(self, uses: Sequence[WindowUse], now: float | None = None) -> Denied | None:
        now = time.time() if now is None else now
        keys: list[str] = []
        args: list[Any] = []
        fractions = []
        for use in uses:
            current, previous, fraction = self._window_keys(use.key, use.window_s, now)
            keys += [current, previous]
            args += [use.limit, use.amount, repr(fraction), 2 * use.window_s + 1]
            fractions.append(fraction)
        result = await self.client.run(self._acquire, keys, args)
        if result == 0:
            return None
        index, previous_count, current_count = _int(result[0]) - 1, _int(result[1]), _int(result[2])
        use = uses[index]
        count = sliding_count(previous_count, current_count, fractions[index])
        wait = retry_after(
            use.window_s, fractions[index] * use.window_s, previous_count, current_count, use.amount, use.limit
        )
        return Denied(use, count, wait)

    async def add(self, key: str, window_s: int, amount: int, now: float | None = None) -> None:
        current, _, _ = self._window_keys(key, window_s, time.time() if now is None else now)
        await self.client.run(self._add, [current], [amount, 2 * window_s + 1])

    async def add_many(self, uses: Sequence[WindowUse], now: float | None = None) -> None:
        now = time.time() if now is None else now
        keys: list[str] = []
        args: list[Any] = []
        for use in uses:
            keys.append(self._window_keys(use.key, use.window_s, now)[0])
            args += [use.amount, 2 * use.window_s + 1]
        await self.client.run(self._add_many, keys, args)

    async def current(self, key: str, window_s: int, now: float | None = None) -> float:
        current, previous, fraction = self._window_keys(key, window_s, time.time() if now is None else now)
        cur, prev = await self.client.call("MGET", current, previous)
        return sliding_count(_int(prev or 0), _int(cur or 0), fraction)

    def _budget_key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    async def reserve(self, uses: Sequence[BudgetUse]) -> BudgetDenied | None:
        args: list[Any] = []
        for use in uses:
            args += [use.amount, -1 if use.limit is None else use.limit, use.ttl_s]
        result = await self.client.run(self._reserve, [self._budget_key(u.key) for u in uses], args)
        if result == 0:
            return None
        return BudgetDenied(uses[_int(result[0]) - 1], _int(result[1]), _int(result[2]))

    async def settle(self, settles: Sequence[BudgetSettle]) -> list[tuple[int, int]]:
        args: list[Any] = []
        for item in settles:
            args += [str(-item.reserved), item.actual, item.ttl_s]
        result = await self.client.run(self._settle, [self._budget_key(s.key) for s in settles], args)
        return [(int(after) - s.actual, int(after)) for s, after in zip(settles, result, strict=True)]

    async def budget_state(self, keys: Sequence[str]) -> list[BudgetState]:
        rows = await asyncio.gather(*(self.client.call("HMGET", self._budget_key(k), "s", "r") for k in keys))
        return [BudgetState(_int(s or 0), _int(r or 0)) for s, r in rows]

    async def seed_budget(self, key: str, spent: int, ttl_s: int) -> bool:
        return bool(await self.client.run(self._seed, [self._budget_key(key)], [spent, ttl_s]) == 1)

    async def claim_once(self, key: str, ttl_s: int) -> bool:
        reply = await self.client.call("SET", f"{self.prefix}once:{key}", "1", "NX", "EX", max(1, ttl_s))
        return bool(reply == "OK")

    async def close(self) -> None:
        await self.client.close()


@register_counters("redis")
def create_redis_counters(config: CountersConfig) -> RedisCounters:
    if not config.redis_url:
        raise ConfigError("counters.redis_url: not set. Fix: set it or RUNGWAY_REDIS_URL=redis://host:6379/0")
    return RedisCounters(config.redis_url, config.key_prefix)
