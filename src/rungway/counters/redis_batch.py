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
from rungway.counters.redis_scripts import ADMIT_MANY, FINISH_MANY
from rungway.wire.resp import Bulk, RedisReplyError, Reply, RespClient, Script

NAME_CACHE_SIZE = 10_000
TTL_CHECK_EVERY_S = 3600.0
# The admission script reads every window with one MGET of two keys each, and Lua unpacks at most
# ~8,000 values: a loop turn with more window uses than this is sent as several scripts, in order.
MAX_WINDOWS_PER_SCRIPT = 2000


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
            for part in _parts(live):
                self._send_admissions(part, time.time() if now is None else now)
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
        seeds: list[int] = []
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
                    seeds.append(hold.seed)
                else:
                    budget_ttls[index - 1] = max(budget_ttls[index - 1], hold.ttl_s)
                    seeds[index - 1] = max(seeds[index - 1], hold.seed)
                body += (index, hold.amount, -1 if hold.limit is None else hold.limit)
        keys = window_keys + [self._keys.budget(k) for k in budgets]
        ttls = [self._keys.ttl(k, t) for k, t in zip(budgets, budget_ttls, strict=True)]
        args = [len(window_secs), len(budget_ttls), repr(now), *window_secs, *ttls, *seeds, *body]

        def deliver(reply: Reply) -> None:
            for call, verdict in zip(calls, reply, strict=True):
                if not call.future.done():
                    call.future.set_result(_verdict(call, verdict, windows, fractions))

        self._send(self._admit_script, keys, args, deliver, partial(_fail, calls))

    def _send_finishes(self, calls: list[_Finish], now: float) -> None:
        budgets: dict[str, list[int]] = {}  # key -> [released, actual, ttl, seed]
        windows: dict[tuple[str, int], int] = {}  # (key, window seconds) -> amount
        for call in calls:
            for item in call.settles:
                entry = budgets.get(item.key)
                if entry is None:
                    budgets[item.key] = [item.reserved, item.actual, item.ttl_s, item.seed]
                else:
                    entry[0] += item.reserved
                    entry[1] += item.actual
                    entry[2] = max(entry[2], item.ttl_s)
                    entry[3] = max(entry[3], item.seed)
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
        for key, (released, actual, ttl_s, seed) in budgets.items():
            args += (-released, actual, self._keys.ttl(key, ttl_s), seed)
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


def _parts(calls: list[_Admission]) -> list[list[_Admission]]:
    """The calls split, in order, into scripts of at most `MAX_WINDOWS_PER_SCRIPT` window uses (a call is
    never split: each stays all or nothing)."""
    parts: list[list[_Admission]] = []
    part: list[_Admission] = []
    uses = 0
    for call in calls:
        if part and uses + len(call.windows) > MAX_WINDOWS_PER_SCRIPT:
            parts.append(part)
            part, uses = [], 0
        part.append(call)
        uses += len(call.windows)
    if part:
        parts.append(part)
    return parts


def _fail(calls: Sequence[_Admission] | Sequence[_Finish], error: BaseException) -> None:
    for call in calls:
        if not call.future.done():
            call.future.set_exception(error)
