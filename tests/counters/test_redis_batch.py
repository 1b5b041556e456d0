"""Redis batching (`counters/redis_batch.py`): the calls of one event-loop turn go to Redis as one script
each for admissions and finishes, and every caller gets the answer it would have got alone; a failed
batch fails each of its callers, and the next batch works."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from rungway.counters.base import BudgetSettle, BudgetState, BudgetUse, Counters, Denied, WindowUse
from rungway.counters.redis import RedisCounters
from rungway.counters.redis_batch import MAX_WINDOWS_PER_SCRIPT
from rungway.counters.registry import create_counters
from rungway.settings.config import CountersConfig
from tests.budgets.redis_proxy import CuttableRedisProxy

pytestmark = pytest.mark.redis
NOW = 54_000_000.0  # a window boundary for 60 s windows


@pytest.fixture
def proxy(redis_url: str) -> Iterator[CuttableRedisProxy]:
    proxy = CuttableRedisProxy(redis_url)
    try:
        yield proxy
    finally:
        proxy.stop()


@asynccontextmanager
async def redis_counters(url: str) -> AsyncIterator[RedisCounters]:
    counters = RedisCounters(url, key_prefix=f"t:{secrets.token_hex(4)}:")
    try:
        yield counters
    finally:
        await counters.close()


def run(body: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(body())


def test_mixed_admits_and_finishes_of_one_loop_turn_go_as_one_script_each(proxy: CuttableRedisProxy) -> None:
    async def body() -> None:
        async with redis_counters(proxy.url) as c:
            assert await c.admit([WindowUse("rpm:warm", 10, 60)], [], NOW) is None  # connected, script loaded
            before = proxy.scripts_sent
            hold = BudgetUse("budget:mix:0", 100, 450, 3600)
            admits = [c.admit([WindowUse("rpm:mix", 100, 60)], [hold], NOW) for _ in range(6)]
            finishes = [c.finish([BudgetSettle("budget:fin:0", 0, 10 * (i + 1), 3600)], [], NOW) for i in range(4)]
            answers = await asyncio.gather(*admits, *finishes)  # all submitted in the same loop turn
            verdicts, moves = answers[:6], answers[6:]
            # The first admission left alone (nothing was in flight); the other five admissions went as one
            # script and the four finishes as another.
            assert proxy.scripts_sent - before == 3
            assert verdicts[:4] == [None] * 4
            assert [(type(v).__name__, v.spent, v.reserved) for v in verdicts[4:]] == [  # type: ignore[union-attr]
                ("BudgetDenied", 0, 400),
                ("BudgetDenied", 0, 400),
            ]
            # Each finish sees the spend the ones before it left, as if it had come alone.
            assert moves == [[(0, 10)], [(10, 30)], [(30, 60)], [(60, 100)]]
            assert await c.current("rpm:mix", 60, NOW) == 4
            assert await c.budget_state(["budget:mix:0", "budget:fin:0"]) == [BudgetState(0, 400), BudgetState(100, 0)]

    run(body)


def test_a_batch_admits_its_calls_in_arrival_order(redis_url: str) -> None:
    async def body() -> None:
        async with redis_counters(redis_url) as c:
            tokens = [WindowUse("tpm:order", 100, 60, amount) for amount in (30, 50, 40, 20, 10)]
            verdicts = await asyncio.gather(*(c.admit([use], [], NOW) for use in tokens))
            # 30 + 50 fit, 40 does not (120), 20 does (100), 10 does not (110): first come, first served.
            assert [v is None for v in verdicts] == [True, True, False, True, False]
            refused = verdicts[2]
            assert isinstance(refused, Denied) and refused.current == 80 and refused.use.amount == 40
            assert await c.current("tpm:order", 60, NOW) == 100

    run(body)


def test_calls_with_different_times_in_one_turn_are_each_weighed_at_their_own_time(redis_url: str) -> None:
    async def body() -> None:
        async with redis_counters(redis_url) as c:
            assert await c.acquire([WindowUse("rpm:t", 10, 60, 10)], NOW + 30) is None
            late, early = await asyncio.gather(
                c.acquire([WindowUse("rpm:t", 10, 60, 5)], NOW + 60 + 30),  # the previous window weighs 50%: 5 + 5
                c.acquire([WindowUse("rpm:t", 10, 60, 1)], NOW + 31),  # same window: full
            )
            assert late is None
            assert isinstance(early, Denied) and early.current == 10

    run(body)


def test_a_turn_with_more_window_uses_than_one_script_can_read_is_split_in_order(redis_url: str) -> None:
    """Lua unpacks at most ~8,000 values: 2,500 calls with 2 windows of their own each used to fail the whole
    turn (every call refused or failed open with `too many results to unpack`)."""

    async def body() -> None:
        async with redis_counters(redis_url) as c:
            calls = 2_500
            assert calls * 3 > MAX_WINDOWS_PER_SCRIPT

            def windows(i: int) -> list[WindowUse]:  # 5,001 distinct windows: 10,002 keys to read
                return [WindowUse("rpm:all", 2_200, 60), WindowUse(f"rpm:k{i}", 1, 60), WindowUse(f"tpm:k{i}", 9, 60)]

            verdicts = await asyncio.gather(*(c.admit(windows(i), [], NOW) for i in range(calls)))
            # The shared limit admits the first 2,200 in arrival order, across the scripts the turn was split into.
            assert [v is None for v in verdicts] == [True] * 2_200 + [False] * 300
            assert all(isinstance(v, Denied) and v.use.key == "rpm:all" for v in verdicts[2_200:])
            assert await c.current("rpm:all", 60, NOW) == 2_200
            assert await c.current("rpm:k2199", 60, NOW) == 1 and await c.current("rpm:k2200", 60, NOW) == 0

    run(body)


def test_a_batch_cut_in_flight_fails_each_of_its_callers_and_the_next_batch_works(
    proxy: CuttableRedisProxy,
) -> None:
    async def body() -> None:
        async with redis_counters(proxy.url) as c:
            hold = BudgetUse("budget:cut:0", 100, 1_000, 3600)
            assert await c.admit([WindowUse("rpm:cut", 10, 60)], [hold], NOW) is None
            before = proxy.scripts_sent
            proxy.hold()  # what is sent from now on reaches the proxy and never Redis
            calls = asyncio.gather(
                *(c.admit([WindowUse("rpm:cut", 10, 60)], [hold], NOW) for _ in range(4)),
                c.finish([BudgetSettle("budget:cut:0", 100, 70, 3600)], [WindowUse("tpm:cut", 100, 60, 5)], NOW),
                return_exceptions=True,
            )
            # Three scripts in flight (the lone first admission, the batch of three, the finish), then the cut.
            assert await asyncio.to_thread(proxy.wait_for_scripts, before + 3)
            proxy.cut()
            outcomes = await calls
            assert all(isinstance(o, ConnectionError) for o in outcomes), outcomes
            proxy.restore()
            # Redis never ran the cut batch: the next batch starts from the state before it, and answers right.
            again = await asyncio.gather(*(c.admit([WindowUse("rpm:cut", 10, 60)], [hold], NOW) for _ in range(3)))
            assert again == [None, None, None]
            assert await c.current("rpm:cut", 60, NOW) == 4
            assert await c.budget_state(["budget:cut:0"]) == [BudgetState(0, 400)]

    run(body)


def test_a_caller_cancelled_before_its_batch_left_holds_nothing(redis_url: str) -> None:
    async def body() -> None:
        async with redis_counters(redis_url) as c:
            hold = BudgetUse("budget:cancel:0", 5, 100, 3600)
            first = asyncio.ensure_future(c.admit([], [hold], NOW))
            second = asyncio.ensure_future(c.admit([], [hold], NOW))
            await asyncio.sleep(0)  # both submitted: the first left alone, the second waits for the end of the turn
            second.cancel()
            assert await first is None
            with pytest.raises(asyncio.CancelledError):
                await second
            assert await c.budget_state(["budget:cancel:0"]) == [BudgetState(0, 5)]

    run(body)


def _mixed_calls(i: int) -> tuple[list[WindowUse], list[BudgetUse]]:
    """Calls that share some counters and not others, so that a batch refuses some for each reason."""
    windows = [WindowUse("rpm:shared", 30, 60, 1), WindowUse(f"tpm:k{i % 3}", 500, 60, 40 + i)]
    budgets = [BudgetUse("budget:shared:0", 100 + 7 * i, 4000, 3600), BudgetUse(f"budget:k{i % 2}:0", 50, None, 3600)]
    return windows, budgets


@pytest.mark.redis
def test_redis_batches_answer_exactly_as_calls_made_one_by_one(redis_url: str) -> None:
    """Concurrent admissions and settles go to Redis as one script per loop iteration; each call's
    answer is the one it gets when the calls come one at a time (and the one the memory backend gives)."""

    async def answers(counters: Counters, concurrent: bool) -> tuple[list[object], list[object], list[object]]:
        now = 48_000_010.0
        calls = [_mixed_calls(i) for i in range(60)]
        if concurrent:
            verdicts = await asyncio.gather(*(counters.admit(w, b, now) for w, b in calls))
        else:
            verdicts = [await counters.admit(w, b, now) for w, b in calls]
        shown = [None if v is None else (type(v).__name__, v.use.key, *(
            (round(v.current, 6), round(v.retry_after_s, 6)) if isinstance(v, Denied) else (v.spent, v.reserved)))
            for v in verdicts]  # fmt: skip
        settles = [[BudgetSettle(h.key, h.amount, 60 + i, 3600) for h in calls[i][1]] for i in range(0, 60, 2)]
        fixes = [[WindowUse(f"tpm:k{i % 3}", 500, 60, -5)] for i in range(0, 60, 2)]
        if concurrent:
            moves = await asyncio.gather(*(counters.finish(s, f, now) for s, f in zip(settles, fixes, strict=True)))
        else:
            moves = [await counters.finish(s, f, now) for s, f in zip(settles, fixes, strict=True)]
        state = await counters.budget_state(["budget:shared:0", "budget:k0:0", "budget:k1:0"])
        totals = [await counters.current(k, 60, now) for k in ("rpm:shared", "tpm:k0", "tpm:k1", "tpm:k2")]
        return shown, list(moves), [*((s.spent, s.reserved) for s in state), *totals]

    async def body() -> None:
        results = []
        for backend, concurrent in (("memory", False), ("redis", False), ("redis", True)):
            prefix = f"t:{secrets.token_hex(4)}:"
            counters = create_counters(CountersConfig(backend, redis_url, key_prefix=prefix))
            try:
                results.append(await answers(counters, concurrent))
            finally:
                await counters.close()
        assert results[0] == results[1] == results[2]
        verdicts = results[0][0]
        assert {v[0] for v in verdicts if v is not None} == {"Denied", "BudgetDenied"} and None in verdicts

    asyncio.run(body())


@pytest.mark.redis
def test_redis_batch_survives_a_script_cache_flush_and_fails_whole_when_redis_is_gone(redis_url: str) -> None:
    async def body() -> None:
        counters = create_counters(CountersConfig("redis", redis_url, key_prefix=f"t:{secrets.token_hex(4)}:"))
        assert isinstance(counters, RedisCounters)
        try:
            assert await counters.admit([WindowUse("rpm:f", 10, 60)], []) is None
            await counters.client.call("SCRIPT", "FLUSH")
            results = await asyncio.gather(*(counters.admit([WindowUse("rpm:f", 10, 60)], []) for _ in range(12)))
            assert results.count(None) == 9 and all(isinstance(r, Denied) for r in results if r is not None)
        finally:
            await counters.close()
        gone = create_counters(CountersConfig("redis", "redis://127.0.0.1:1/0"))
        outcomes = await asyncio.gather(
            *(gone.admit([WindowUse("rpm:g", 10, 60)], [BudgetUse("budget:g:0", 1, 5, 60)]) for _ in range(5)),
            gone.finish([BudgetSettle("budget:g:0", 1, 1, 60)], []),
            return_exceptions=True,
        )
        assert all(isinstance(o, OSError) for o in outcomes), outcomes
        await gone.close()

    asyncio.run(body())


@pytest.mark.redis
def test_redis_close_sends_and_waits_for_the_pending_batch(redis_url: str) -> None:
    async def body() -> None:
        prefix = f"t:{secrets.token_hex(4)}:"
        counters = create_counters(CountersConfig("redis", redis_url, key_prefix=prefix))
        first = asyncio.ensure_future(counters.finish([BudgetSettle("budget:d:0", 0, 5, 60)], []))
        second = asyncio.ensure_future(counters.finish([BudgetSettle("budget:d:0", 0, 7, 60)], []))
        await asyncio.sleep(0)  # both submitted: the first left at once, the second waits for the end of the turn
        await counters.close()
        assert (await first, await second) == ([(0, 5)], [(5, 12)])
        await asyncio.sleep(0.05)
        assert isinstance(counters, RedisCounters) and not counters.client.connected  # nothing left to reconnect
        again = create_counters(CountersConfig("redis", redis_url, key_prefix=prefix))
        assert (await again.budget_state(["budget:d:0"]))[0].spent == 12
        await again.close()

    asyncio.run(body())
