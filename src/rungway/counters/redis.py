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
from rungway.counters.resp import Bulk, RespClient, Script
from rungway.errors import ConfigError
from rungway.settings.config import CountersConfig

# Scripts are run serially by Redis, so their cost adds to the latency of every call queued behind
# them: each reads with as few commands as it can (one MGET for all windows) and sets a TTL only
# where a key may be new. A window key gets its TTL when an INCRBY creates it (the result equals
# the amount); a budget hash when no hold was on it (it may be new), or when the TTL argument is
# positive, which the client sends about hourly per key so that periods longer than the TTL cap live on.

# One call's admission: rate-limit windows and budget holds, all or nothing across both.
# KEYS: (current window, previous window) per window use, then one budget hash per budget use.
# ARGV[1]: the number of window uses; ARGV[2]: the time (epoch seconds, to weigh the previous window);
# then per window use: limit, amount, window seconds; then per budget use: amount, limit (-1 = none),
# TTL (see above). Returns 0 when admitted, {1, i, previous, current} when window use i refused,
# {2, j, spent, reserved} when budget use j refused.
_ADMIT = """
local nw = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local nb = #KEYS - 2 * nw
local b0 = 2 + 3 * nw
if nw > 0 then
  local counts = redis.call('MGET', unpack(KEYS, 1, 2 * nw))
  for i = 1, nw do
    local a = 3 * i
    local w = tonumber(ARGV[a+2])
    local cur = tonumber(counts[2*i-1] or '0')
    local prev = tonumber(counts[2*i] or '0')
    if prev * (1 - (now % w) / w) + cur + tonumber(ARGV[a+1]) > tonumber(ARGV[a]) then
      return {1, i, prev, cur}
    end
  end
end
for j = 1, nb do
  local a = b0 + 3 * j - 2
  local limit = tonumber(ARGV[a+1])
  if limit >= 0 then
    local v = redis.call('HMGET', KEYS[2*nw+j], 's', 'r')
    local spent = tonumber(v[1] or '0')
    local reserved = tonumber(v[2] or '0')
    if spent + reserved + tonumber(ARGV[a]) > limit then
      return {2, j, spent, reserved}
    end
  end
end
for i = 1, nw do
  local amount = tonumber(ARGV[3*i+1])
  if redis.call('INCRBY', KEYS[2*i-1], amount) == amount then
    redis.call('EXPIRE', KEYS[2*i-1], 2 * tonumber(ARGV[3*i+2]) + 1)
  end
end
for j = 1, nb do
  local key = KEYS[2*nw+j]
  local a = b0 + 3 * j - 2
  local amount = tonumber(ARGV[a])
  local ttl = tonumber(ARGV[a+2])
  if redis.call('HINCRBY', key, 'r', amount) == amount or ttl > 0 then
    ttl = math.abs(ttl)
    if redis.call('TTL', key) < ttl then
      redis.call('EXPIRE', key, ttl)
    end
  end
end
return 0
"""

# After a call: settle budget holds and correct window counts, in one step.
# KEYS: budget hashes, then window keys. ARGV[1]: the number of budget hashes; then per budget:
# minus the reserved amount, actual cost, TTL (see above); then per window key: amount, window seconds.
# Returns the spend after, per budget. Lua numbers are doubles: integers are exact below 2^53
# nano-dollars (about 9 million USD per period).
_FINISH = """
local nb = tonumber(ARGV[1])
local out = {}
for j = 1, nb do
  local a = 3 * j - 1
  local ttl = tonumber(ARGV[a+2])
  local r = redis.call('HINCRBY', KEYS[j], 'r', ARGV[a])
  if r < 0 then
    redis.call('HSET', KEYS[j], 'r', 0)
  end
  out[j] = redis.call('HINCRBY', KEYS[j], 's', ARGV[a+1])
  if r <= 0 or ttl > 0 then
    ttl = math.abs(ttl)
    if redis.call('TTL', KEYS[j]) < ttl then
      redis.call('EXPIRE', KEYS[j], ttl)
    end
  end
end
local w0 = 3 * nb
for i = nb + 1, #KEYS do
  local a = w0 + 2 * (i - nb)
  local amount = tonumber(ARGV[a])
  if redis.call('INCRBY', KEYS[i], amount) == amount then
    redis.call('EXPIRE', KEYS[i], 2 * tonumber(ARGV[a+1]) + 1)
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


_NAME_CACHE_SIZE = 10_000
TTL_CHECK_EVERY_S = 3600.0


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
        self._admit = Script(_ADMIT)
        self._finish = Script(_FINISH)
        self._seed = Script(_SEED)
        # Redis key names, cached and RESP-encoded: (window key, seconds) -> (window index, current, previous);
        # budget key -> name.
        self._window_names: dict[tuple[str, int], tuple[int, Bulk, Bulk]] = {}
        self._budget_names: dict[str, Bulk] = {}
        self._ttl_checked: dict[str, float] = {}  # budget key -> monotonic time of the next forced TTL check

    def _window_keys(self, key: str, window_s: int, now: float) -> tuple[Bulk, Bulk, float]:
        index = int(now // window_s)
        fraction = (now - index * window_s) / window_s
        cached = self._window_names.get((key, window_s))
        if cached is not None and cached[0] == index:
            return cached[1], cached[2], fraction
        if len(self._window_names) > _NAME_CACHE_SIZE:
            self._window_names.clear()
        base = f"{self.prefix}w:{key}:"
        names = (index, Bulk.of(f"{base}{index}"), Bulk.of(f"{base}{index - 1}"))
        self._window_names[(key, window_s)] = names
        return names[1], names[2], fraction

    def _budget_key(self, key: str) -> Bulk:
        name = self._budget_names.get(key)
        if name is None:
            if len(self._budget_names) > _NAME_CACHE_SIZE:
                self._budget_names.clear()
            name = self._budget_names[key] = Bulk.of(f"{self.prefix}{key}")
        return name

    def _ttl(self, key: str, ttl_s: int) -> int:
        """The TTL argument for a budget hash: positive (check it now) about hourly, else negative."""
        ttl_s = max(1, ttl_s)
        now = time.monotonic()
        if now < self._ttl_checked.get(key, 0.0):
            return -ttl_s
        if len(self._ttl_checked) > _NAME_CACHE_SIZE:
            self._ttl_checked.clear()
        self._ttl_checked[key] = now + TTL_CHECK_EVERY_S
        return ttl_s

    async def admit(
        self, windows: Sequence[WindowUse], budgets: Sequence[BudgetUse], now: float | None = None
    ) -> Denied | BudgetDenied | None:
        now = time.time() if now is None else now
        keys: list[Bulk] = []
        args: list[Any] = [len(windows), repr(now)]
        fractions = []
        for use in windows:
            current, previous, fraction = self._window_keys(use.key, use.window_s, now)
            keys += (current, previous)
            args += (use.limit, use.amount, use.window_s)
            fractions.append(fraction)
        for budget in budgets:
            keys.append(self._budget_key(budget.key))
            args += (budget.amount, -1 if budget.limit is None else budget.limit, self._ttl(budget.key, budget.ttl_s))
        result = await self.client.run(self._admit, keys, args)
        if result == 0:
            return None
        kind, index, first, second = _int(result[0]), _int(result[1]) - 1, _int(result[2]), _int(result[3])
        if kind == 2:
            return BudgetDenied(budgets[index], first, second)
        use, fraction = windows[index], fractions[index]
        count = sliding_count(first, second, fraction)
        return Denied(
            use, count, retry_after(use.window_s, fraction * use.window_s, first, second, use.amount, use.limit)
        )

    async def finish(
        self, settles: Sequence[BudgetSettle], corrections: Sequence[WindowUse], now: float | None = None
    ) -> list[tuple[int, int]]:
        now = time.time() if now is None else now
        keys = [self._budget_key(s.key) for s in settles]
        args: list[Any] = [len(settles)]
        for item in settles:
            args += (-item.reserved, item.actual, self._ttl(item.key, item.ttl_s))
        for use in corrections:
            keys.append(self._window_keys(use.key, use.window_s, now)[0])
            args += (use.amount, use.window_s)
        result = await self.client.run(self._finish, keys, args)
        return [(int(after) - s.actual, int(after)) for s, after in zip(settles, result, strict=True)]

    async def acquire(self, uses: Sequence[WindowUse], now: float | None = None) -> Denied | None:
        denied = await self.admit(uses, (), now)
        return denied if isinstance(denied, Denied) else None

    async def add(self, key: str, window_s: int, amount: int, now: float | None = None) -> None:
        await self.finish((), [WindowUse(key, 0, window_s, amount)], now)

    async def add_many(self, uses: Sequence[WindowUse], now: float | None = None) -> None:
        await self.finish((), uses, now)

    async def current(self, key: str, window_s: int, now: float | None = None) -> float:
        current, previous, fraction = self._window_keys(key, window_s, time.time() if now is None else now)
        cur, prev = await self.client.call("MGET", current, previous)
        return sliding_count(_int(prev or 0), _int(cur or 0), fraction)

    async def reserve(self, uses: Sequence[BudgetUse]) -> BudgetDenied | None:
        denied = await self.admit((), uses)
        return denied if isinstance(denied, BudgetDenied) else None

    async def settle(self, settles: Sequence[BudgetSettle]) -> list[tuple[int, int]]:
        return await self.finish(settles, ())

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
