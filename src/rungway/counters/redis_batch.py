"""Admissions and settles of concurrent calls, sent to Redis as one script per event-loop iteration.

Redis runs scripts one at a time, so under load a call's admission waits behind every script
queued before it: what a script costs on the server is latency for every call behind it (and
CPU taken from a machine the gateway may share). A call that finds nothing of ours on its way to
Redis leaves at once; otherwise the calls that reach the counters in the same loop iteration
(about 10 at 64 connections and 0 ms upstream) go out together: one script reads each
distinct counter once, admits the calls in arrival order, each all or nothing exactly as if it
had come alone, and writes each counter once; settles and token corrections are summed per
counter before they are sent, and each call gets back the (spend before, spend after) it would
have seen alone. A failed batch fails each of its calls, which the gateway then fails open or
closed one by one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from rungway.counters.base import (
    BudgetDenied,
    BudgetSettle,
    BudgetUse,
    Denied,
    WindowUse,
    retry_after,
    sliding_count,
)
from rungway.counters.resp import Bulk, RedisReplyError, Reply, RespClient, Script

# Scripts are run serially by Redis: each reads with as few commands as it can (one MGET for all
# windows) and sets a TTL only where a key may be new. A window key gets its TTL when an INCRBY
# creates it (the result equals the amount); a budget hash when no hold was on it (it may be new),
# or when its TTL argument is positive, which the client sends about hourly per key so that
# periods longer than the TTL cap live on.

# The admission of a batch of calls: rate-limit windows and budget holds, all or nothing per call.
# KEYS: (current, previous) window key per distinct window, then each distinct budget hash.
# ARGV: W (distinct windows), B (distinct budgets), the time (epoch seconds, to weigh previous
# windows), the seconds of each window, the TTL argument of each budget; then per call: its number
# of window uses and of budget uses, (window index, amount, limit) per window use and (budget
# index, amount, limit or -1) per budget use. Returns per call 0 (admitted), {1, k, previous,
# current} (its window use k refused) or {2, k, spent, reserved} (its budget use k refused).
ADMIT_MANY = """
local W, B = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cur, prev, keep, add = {}, {}, {}, {}
if W > 0 then
  local v = redis.call('MGET', unpack(KEYS, 1, 2 * W))
  for i = 1, W do
    local w = tonumber(ARGV[3 + i])
    cur[i] = tonumber(v[2*i-1] or '0')
    prev[i] = tonumber(v[2*i] or '0')
    keep[i] = 1 - (now % w) / w
    add[i] = 0
  end
end
local spent, held, hold = {}, {}, {}
for j = 1, B do
  local v = redis.call('HMGET', KEYS[2*W+j], 's', 'r')
  spent[j] = tonumber(v[1] or '0')
  held[j] = tonumber(v[2] or '0')
  hold[j] = 0
end
local out, n, a, last = {}, 0, 4 + W + B, #ARGV
while a <= last do
  n = n + 1
  local nw, nb = tonumber(ARGV[a]), tonumber(ARGV[a+1])
  local ws = a + 2
  local bs = ws + 3 * nw
  a = bs + 3 * nb
  local verdict = 0
  for k = 0, nw - 1 do
    local i = tonumber(ARGV[ws + 3*k])
    if prev[i] * keep[i] + cur[i] + tonumber(ARGV[ws + 3*k + 1]) > tonumber(ARGV[ws + 3*k + 2]) then
      verdict = {1, k + 1, prev[i], cur[i]}
      break
    end
  end
  if verdict == 0 then
    for k = 0, nb - 1 do
      local j, limit = tonumber(ARGV[bs + 3*k]), tonumber(ARGV[bs + 3*k + 2])
      if limit >= 0 and spent[j] + held[j] + tonumber(ARGV[bs + 3*k + 1]) > limit then
        verdict = {2, k + 1, spent[j], held[j]}
        break
      end
    end
  end
  if verdict == 0 then
    for k = 0, nw - 1 do
      local i, amount = tonumber(ARGV[ws + 3*k]), tonumber(ARGV[ws + 3*k + 1])
      cur[i] = cur[i] + amount
      add[i] = add[i] + amount
    end
    for k = 0, nb - 1 do
      local j, amount = tonumber(ARGV[bs + 3*k]), tonumber(ARGV[bs + 3*k + 1])
      held[j] = held[j] + amount
      hold[j] = hold[j] + amount
    end
  end
  out[n] = verdict
end
for i = 1, W do
  if add[i] ~= 0 and redis.call('INCRBY', KEYS[2*i-1], add[i]) == add[i] then
    redis.call('EXPIRE', KEYS[2*i-1], 2 * tonumber(ARGV[3 + i]) + 1)
  end
end
for j = 1, B do
  local key, ttl = KEYS[2*W+j], tonumber(ARGV[3 + W + j])
  if (hold[j] ~= 0 and redis.call('HINCRBY', key, 'r', hold[j]) == hold[j]) or ttl > 0 then
    ttl = math.abs(ttl)
    if redis.call('TTL', key) < ttl then
      redis.call('EXPIRE', key, ttl)
    end
  end
end
return out
"""

# Settles and corrections of a batch of calls, summed per counter.
# KEYS: budget hashes, then window keys. ARGV[1]: the number of budget hashes; then per budget:
# minus the reserved amount, actual cost, TTL argument; then per window key: amount, window seconds.
# Returns the spend after, per budget. Lua numbers are doubles: integers are exact below 2^53
# nano-dollars (about 9 million USD per period).
FINISH_MANY = """
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

NAME_CACHE_SIZE = 10_000
TTL_CHECK_EVERY_S = 3600.0


def as_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(float(value.decode() if isinstance(value, bytes) else value))


class RedisKeys:
    """Redis key names under the deployment's prefix, cached RESP-encoded, and budget TTL arguments."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._windows: dict[tuple[str, int], tuple[int, Bulk, Bulk]] = {}  # -> (window index, current, previous)
        self._budgets: dict[str, Bulk] = {}
        self._ttl_checked: dict[str, float] = {}  # budget key -> monotonic time of the next forced TTL check

    def window(self, key: str, window_s: int, now: float) -> tuple[Bulk, Bulk, float]:
        """(current window key, previous window key, elapsed fraction of the current window)."""
        index = int(now // window_s)
        fraction = (now - index * window_s) / window_s
        cached = self._windows.get((key, window_s))
        if cached is not None and cached[0] == index:
            return cached[1], cached[2], fraction
        if len(self._windows) > NAME_CACHE_SIZE:
            self._windows.clear()
        base = f"{self.prefix}w:{key}:"
        names = (index, Bulk.of(f"{base}{index}"), Bulk.of(f"{base}{index - 1}"))
        self._windows[(key, window_s)] = names
        return names[1], names[2], fraction

    def budget(self, key: str) -> Bulk:
        name = self._budgets.get(key)
        if name is None:
            if len(self._budgets) > NAME_CACHE_SIZE:
                self._budgets.clear()
            name = self._budgets[key] = Bulk.of(f"{self.prefix}{key}")
        return name

    def ttl(self, key: str, ttl_s: int) -> int:
        """The TTL argument for a budget hash: positive (check it now) about hourly, else negative."""
        ttl_s = max(1, ttl_s)
        now = time.monotonic()
        if now < self._ttl_checked.get(key, 0.0):
            return -ttl_s
        if len(self._ttl_checked) > NAME_CACHE_SIZE:
            self._ttl_checked.clear()
        self._ttl_checked[key] = now + TTL_CHECK_EVERY_S
        return ttl_s


@dataclass(slots=True)
class _Admission:
    windows: Sequence[WindowUse]
    budgets: Sequence[BudgetUse]
    future: asyncio.Future[Denied | BudgetDenied | None]


@dataclass(slots=True)
class _Finish:
    settles: Sequence[BudgetSettle]
    corrections: Sequence[WindowUse]
    future: asyncio.Future[list[tuple[int, int]]]


class Batches:
    """Sends admissions and finishes: at once while Redis has nothing of ours to answer, else batched.

    A call that finds no script on its way to Redis leaves at once, alone (no loop turn to wait);
    while one is, the calls of the current loop turn are sent together at the end of the turn."""

    def __init__(self, client: RespClient, keys: RedisKeys) -> None:
        self._client = client
        self._keys = keys
        self._admit_script = Script(ADMIT_MANY)
        self._finish_script = Script(FINISH_MANY)
        # Keyed by the caller's `now` (None: the time the batch leaves); one script per distinct value.
        self._admissions: dict[float | None, list[_Admission]] = {}
        self._finishes: dict[float | None, list[_Finish]] = {}
        self._scheduled = False
        self._in_flight = 0  # scripts sent and not answered yet

    def admit(
        self, windows: Sequence[WindowUse], budgets: Sequence[BudgetUse], now: float | None
    ) -> asyncio.Future[Denied | BudgetDenied | None]:
        call = _Admission(windows, budgets, asyncio.get_running_loop().create_future())
        if self._now_or_later():
            self._send_admissions([call], time.time() if now is None else now)
        else:
            self._admissions.setdefault(now, []).append(call)
        return call.future

    def finish(
        self, settles: Sequence[BudgetSettle], corrections: Sequence[WindowUse], now: float | None
    ) -> asyncio.Future[list[tuple[int, int]]]:
        call = _Finish(settles, corrections, asyncio.get_running_loop().create_future())
        if self._now_or_later():
            self._send_finishes([call], time.time() if now is None else now)
        else:
            self._finishes.setdefault(now, []).append(call)
        return call.future

    def _now_or_later(self) -> bool:
        """True: send now. False: a batch leaves at the end of this loop turn (scheduled here)."""
        if not self._in_flight and not self._scheduled:
            return True
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return False

    async def drain(self, timeout_s: float = 2.0) -> None:
        """Send what waits for the end of this loop turn and wait (bounded) for every answer, so that the
        last settles before a shutdown are not lost."""
        self._flush()
        deadline = time.monotonic() + timeout_s
        while self._in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    def _flush(self) -> None:
        self._scheduled = False
        admissions, self._admissions = self._admissions, {}
        finishes, self._finishes = self._finishes, {}
        for now, calls in admissions.items():
            live = [c for c in calls if not c.future.done()]  # a caller cancelled before it left holds nothing
            if live:
                self._send_admissions(live, time.time() if now is None else now)
        for now, finished in finishes.items():
            self._send_finishes(finished, time.time() if now is None else now)

    def _send(self, script: Script, keys: list[Any], args: list[Any], deliver: Callable[[Reply], None],
              fail: Callable[[BaseException], None], retried: bool = False) -> None:  # fmt: skip
        """Run the script; deliver its reply, or fail the batch (loading the script once if Redis lost it)."""

        self._in_flight += 1

        def reply(value: Reply, error: BaseException | None) -> None:
            self._in_flight -= 1
            if error is None:
                try:
                    deliver(value)
                except Exception as exc:  # noqa: BLE001 - an unexpected reply fails the batch's calls, not the connection
                    fail(exc)
            elif isinstance(error, RedisReplyError) and str(error).startswith("NOSCRIPT") and not retried:
                self._send(script, keys, args, deliver, fail, retried=True)
            else:
                fail(error)

        self._client.run_now(script, keys, args, reply, load=retried)

    def _send_admissions(self, calls: list[_Admission], now: float) -> None:
        windows: dict[tuple[str, int], int] = {}
        budgets: dict[str, int] = {}
        window_keys: list[Bulk] = []
        window_secs: list[int] = []
        fractions: list[float] = []
        budget_ttls: list[int] = []
        body: list[Any] = []
        for call in calls:
            body += (len(call.windows), len(call.budgets))
            for use in call.windows:
                index = windows.get((use.key, use.window_s))
                if index is None:
                    current, previous, fraction = self._keys.window(use.key, use.window_s, now)
                    index = windows[(use.key, use.window_s)] = len(window_secs) + 1
                    window_keys += (current, previous)
                    window_secs.append(use.window_s)
                    fractions.append(fraction)
                body += (index, use.amount, use.limit)
            for hold in call.budgets:
                index = budgets.get(hold.key)
                if index is None:
                    index = budgets[hold.key] = len(budget_ttls) + 1
                    budget_ttls.append(hold.ttl_s)
                elif hold.ttl_s > budget_ttls[index - 1]:
                    budget_ttls[index - 1] = hold.ttl_s
                body += (index, hold.amount, -1 if hold.limit is None else hold.limit)
        keys = window_keys + [self._keys.budget(k) for k in budgets]
        ttls = [self._keys.ttl(k, t) for k, t in zip(budgets, budget_ttls, strict=True)]
        args = [len(window_secs), len(budget_ttls), repr(now), *window_secs, *ttls, *body]

        def deliver(reply: Reply) -> None:
            for call, verdict in zip(calls, reply, strict=True):
                if not call.future.done():
                    call.future.set_result(_verdict(call, verdict, windows, fractions))

        self._send(self._admit_script, keys, args, deliver, partial(_fail, calls))

    def _send_finishes(self, calls: list[_Finish], now: float) -> None:
        budgets: dict[str, list[int]] = {}  # key -> [released, actual, ttl]
        windows: dict[tuple[str, int], int] = {}  # (key, window seconds) -> amount
        for call in calls:
            for item in call.settles:
                entry = budgets.get(item.key)
                if entry is None:
                    budgets[item.key] = [item.reserved, item.actual, item.ttl_s]
                else:
                    entry[0] += item.reserved
                    entry[1] += item.actual
                    entry[2] = max(entry[2], item.ttl_s)
            for use in call.corrections:
                windows[(use.key, use.window_s)] = windows.get((use.key, use.window_s), 0) + use.amount
        corrections = [(ident, amount) for ident, amount in windows.items() if amount]
        if not budgets and not corrections:
            for call in calls:
                if not call.future.done():
                    call.future.set_result([])
            return
        keys: list[Any] = [self._keys.budget(k) for k in budgets]
        args: list[Any] = [len(budgets)]
        for key, (released, actual, ttl_s) in budgets.items():
            args += (-released, actual, self._keys.ttl(key, ttl_s))
        for (key, window_s), amount in corrections:
            keys.append(self._keys.window(key, window_s, now)[0])
            args += (amount, window_s)

        def deliver(reply: Reply) -> None:
            # Spend before each call = the batch's spend after, minus what this and later calls added.
            running = {
                key: as_int(after) - entry[1] for (key, entry), after in zip(budgets.items(), reply, strict=True)
            }
            for call in calls:
                moves = []
                for item in call.settles:
                    before = running[item.key]
                    running[item.key] = before + item.actual
                    moves.append((before, before + item.actual))
                if not call.future.done():
                    call.future.set_result(moves)

        self._send(self._finish_script, keys, args, deliver, partial(_fail, calls))


def _verdict(
    call: _Admission, verdict: Any, windows: dict[tuple[str, int], int], fractions: list[float]
) -> Denied | BudgetDenied | None:
    if verdict == 0:
        return None
    kind, k, first, second = (as_int(v) for v in verdict)
    if kind == 2:
        return BudgetDenied(call.budgets[k - 1], first, second)
    use = call.windows[k - 1]
    fraction = fractions[windows[(use.key, use.window_s)] - 1]
    wait = retry_after(use.window_s, fraction * use.window_s, first, second, use.amount, use.limit)
    return Denied(use, sliding_count(first, second, fraction), wait)


def _fail(calls: Sequence[_Admission] | Sequence[_Finish], error: BaseException) -> None:
    for call in calls:
        if not call.future.done():
            call.future.set_exception(error)
