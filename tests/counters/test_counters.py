"""Both counters backends behave the same: sliding windows, atomic all-or-nothing, budget holds."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from rungway.counters.base import (
    BudgetDenied,
    BudgetSettle,
    BudgetState,
    BudgetUse,
    Counters,
    Denied,
    WindowUse,
)
from rungway.counters.redis import RedisCounters
from rungway.counters.registry import create_counters
from rungway.settings.config import CountersConfig


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def counters_config(request: pytest.FixtureRequest) -> CountersConfig:
    if request.param == "memory":
        return CountersConfig()
    url = str(request.getfixturevalue("redis_url"))
    return CountersConfig("redis", url, key_prefix=f"test:{secrets.token_hex(6)}:")


def run(config: CountersConfig, body: object) -> None:
    async def main() -> None:
        counters = create_counters(config)
        try:
            await body(counters)  # type: ignore[operator]
        finally:
            await counters.close()

    asyncio.run(main())


def test_acquire_is_all_or_nothing(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        now = 1_000_000.0
        a, b = WindowUse("a", 3, 60, 2), WindowUse("b", 1, 60, 1)
        assert await c.acquire([a, b], now) is None
        denied = await c.acquire([a, b], now)
        assert denied is not None and denied.use.key == "a" and denied.retry_after_s > 0
        assert await c.current("a", 60, now) == 2
        assert await c.current("b", 60, now) == 1  # b was not added when a refused

    run(counters_config, body)


def test_sliding_window_weights_previous_window(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        start = 6_000_000.0  # a window boundary for 60 s windows
        for _ in range(10):
            assert await c.acquire([WindowUse("k", 10, 60)], start + 1) is None
        assert await c.acquire([WindowUse("k", 10, 60)], start + 2) is not None
        # Half-way through the next window, half of the previous window still counts.
        assert await c.current("k", 60, start + 90) == pytest.approx(5)
        await c.add("k", 60, -1, start + 90)
        assert await c.current("k", 60, start + 90) == pytest.approx(4)

    run(counters_config, body)


def test_concurrent_acquires_never_exceed_the_limit(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        now = 12_000_000.0
        results = await asyncio.gather(*(c.acquire([WindowUse("burst", 37, 60)], now) for _ in range(200)))
        assert sum(r is None for r in results) == 37

    run(counters_config, body)


def test_budget_reserve_refuses_past_hard_limit_and_settle_releases(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        hard = BudgetUse("budget:b1:0", amount=400, limit=1000, ttl_s=3600)
        soft = BudgetUse("budget:b2:0", amount=400, limit=None, ttl_s=3600)
        assert await c.reserve([hard, soft]) is None
        assert await c.reserve([hard, soft]) is None
        denied = await c.reserve([soft, hard])
        assert denied is not None and denied.use.key == "budget:b1:0"
        assert (denied.spent, denied.reserved) == (0, 800)
        states = await c.budget_state(["budget:b1:0", "budget:b2:0", "budget:none:0"])
        assert [(s.spent, s.reserved) for s in states] == [(0, 800), (0, 800), (0, 0)]
        moves = await c.settle(
            [BudgetSettle("budget:b1:0", 400, 150, 3600), BudgetSettle("budget:b2:0", 400, 150, 3600)]
        )
        assert moves == [(0, 150), (0, 150)]
        state = (await c.budget_state(["budget:b1:0"]))[0]
        assert (state.spent, state.reserved) == (150, 400)
        assert await c.reserve([BudgetUse("budget:b1:0", 450, 1000, 3600)]) is None
        assert await c.reserve([BudgetUse("budget:b1:0", 1, 1000, 3600)]) is not None

    run(counters_config, body)


def test_concurrent_reservations_never_pass_the_hard_limit(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        use = BudgetUse("budget:race:0", amount=7, limit=1000, ttl_s=60)
        results = await asyncio.gather(*(c.reserve([use]) for _ in range(300)))
        assert sum(r is None for r in results) == 1000 // 7
        state = (await c.budget_state([use.key]))[0]
        assert state.reserved == (1000 // 7) * 7

    run(counters_config, body)


def test_admit_budget_refusal_leaves_no_rate_limit_count(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        now = 18_000_000.0
        window = WindowUse("rpm:a", 10, 60, 1)
        tokens = WindowUse("tpm:a", 1000, 60, 40)
        soft = BudgetUse("budget:soft:0", amount=500, limit=None, ttl_s=60)
        hard = BudgetUse("budget:hard:0", amount=500, limit=900, ttl_s=60)
        assert await c.admit([window, tokens], [soft, hard], now) is None
        denied = await c.admit([window, tokens], [soft, hard], now)
        assert isinstance(denied, BudgetDenied) and denied.use.key == "budget:hard:0"
        assert (denied.spent, denied.reserved) == (0, 500)
        # Neither the rate limits nor the other budget kept anything from the refused call.
        assert await c.current("rpm:a", 60, now) == 1
        assert await c.current("tpm:a", 60, now) == 40
        states = await c.budget_state(["budget:soft:0", "budget:hard:0"])
        assert [s.reserved for s in states] == [500, 500]

    run(counters_config, body)


def test_admit_rate_limit_refusal_places_no_budget_hold(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        now = 24_000_000.0
        rpm, tpm = WindowUse("rpm:b", 5, 60, 1), WindowUse("tpm:b", 100, 60, 60)
        budget = BudgetUse("budget:b:0", amount=10, limit=1000, ttl_s=60)
        assert await c.admit([rpm, tpm], [budget], now) is None
        denied = await c.admit([rpm, tpm], [budget], now)
        assert isinstance(denied, Denied) and denied.use.key == "tpm:b" and denied.retry_after_s > 0
        assert (await c.budget_state(["budget:b:0"]))[0].reserved == 10
        assert await c.current("rpm:b", 60, now) == 1  # the earlier window of the same call was not added either

    run(counters_config, body)


def test_concurrent_admissions_hold_both_limits(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        now = 30_000_000.0
        rpm = WindowUse("rpm:race", 50, 60, 1)
        budget = BudgetUse("budget:race2:0", amount=7, limit=210, ttl_s=60)  # room for 30 holds
        results = await asyncio.gather(*(c.admit([rpm], [budget], now) for _ in range(100)))
        assert sum(r is None for r in results) == 30
        assert all(isinstance(r, BudgetDenied) for r in results if r is not None)
        assert await c.current("rpm:race", 60, now) == 30
        assert (await c.budget_state([budget.key]))[0].reserved == 210

    run(counters_config, body)


def test_finish_settles_holds_and_corrects_windows_in_one_step(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        now = 36_000_000.0
        tpm = WindowUse("tpm:c", 1000, 60, 40)
        holds = [BudgetUse("budget:c1:0", 300, 1000, 60), BudgetUse("budget:c2:0", 300, None, 60)]
        assert await c.admit([tpm], holds, now) is None
        settles = [BudgetSettle(h.key, 300, 120, 60) for h in holds]
        moves = await c.finish(settles, [WindowUse("tpm:c", 1000, 60, -15)], now)
        assert moves == [(0, 120), (0, 120)]
        assert [(s.spent, s.reserved) for s in await c.budget_state([h.key for h in holds])] == [(120, 0), (120, 0)]
        assert await c.current("tpm:c", 60, now) == 25
        assert await c.finish([], [WindowUse("tpm:c", 1000, 60, 5)], now) == []
        assert await c.current("tpm:c", 60, now) == 30

    run(counters_config, body)


def test_seed_sets_spend_only_once(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        assert await c.seed_budget("budget:s:0", 12_345, 60)
        assert not await c.seed_budget("budget:s:0", 99, 60)
        assert (await c.budget_state(["budget:s:0"]))[0].spent == 12_345
        assert await c.settle([BudgetSettle("budget:s:0", 0, 5, 60)]) == [(12_345, 12_350)]

    run(counters_config, body)


def test_a_missing_budget_counter_starts_from_the_seed_its_hold_or_settle_carries(
    counters_config: CountersConfig,
) -> None:
    async def body(c: Counters) -> None:
        # Admission: the missing counter is created at its seed before the hold is checked against the limit.
        assert await c.admit((), [BudgetUse("b1", 100, 1000, 3600, seed=950)]) is not None
        assert (await c.budget_state(["b1"]))[0] == BudgetState(950, 0)
        assert await c.admit((), [BudgetUse("b1", 50, 1000, 3600, seed=0)]) is None  # the counter exists now
        assert (await c.budget_state(["b1"]))[0] == BudgetState(950, 50)
        # Settle: a counter lost between hold and settle starts from the seed, then gets the real cost.
        assert await c.finish([BudgetSettle("b2", 50, 30, 3600, seed=700)], ()) == [(700, 730)]
        assert (await c.budget_state(["b2"]))[0] == BudgetState(730, 0)

    run(counters_config, body)


def test_claim_once_is_true_for_the_first_caller_only(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        claims = await asyncio.gather(*(c.claim_once("alert:x:50", 60) for _ in range(20)))
        assert claims.count(True) == 1
        assert await c.claim_once("alert:x:80", 60)

    run(counters_config, body)


@pytest.mark.redis
def test_redis_key_prefix_isolates_deployments(redis_url: str) -> None:
    async def body() -> None:
        one = create_counters(CountersConfig("redis", redis_url, key_prefix=f"t:{secrets.token_hex(4)}:"))
        two = create_counters(CountersConfig("redis", redis_url, key_prefix=f"t:{secrets.token_hex(4)}:"))
        try:
            await one.reserve([BudgetUse("budget:shared:0", 10, None, 60)])
            assert (await two.budget_state(["budget:shared:0"]))[0].reserved == 0
            assert (await one.budget_state(["budget:shared:0"]))[0].reserved == 10
        finally:
            await one.close()
            await two.close()

    asyncio.run(body())


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


@pytest.mark.redis
def test_redis_keys_get_their_ttl_when_created_and_long_periods_are_extended(redis_url: str) -> None:
    async def body() -> None:
        prefix = f"t:{secrets.token_hex(4)}:"
        counters = create_counters(CountersConfig("redis", redis_url, key_prefix=prefix))
        assert isinstance(counters, RedisCounters)
        client = counters.client
        try:
            now = 42_000_030.0
            assert (
                await counters.admit([WindowUse("rpm:t", 10, 60)], [BudgetUse("budget:t:0", 5, 100, 3600)], now) is None
            )
            assert 0 < await client.call("TTL", f"{prefix}w:rpm:t:700000") <= 121
            assert 3500 < await client.call("TTL", f"{prefix}budget:t:0") <= 3600
            # A settle that creates its hash (the admission had failed open) gives it a TTL too.
            await counters.finish([BudgetSettle("budget:new:0", 0, 7, 3600)], [WindowUse("tpm:t", 10, 60, -3)], now)
            assert 3500 < await client.call("TTL", f"{prefix}budget:new:0") <= 3600
            assert 0 < await client.call("TTL", f"{prefix}w:tpm:t:700000") <= 121
            # A process checks each hash's TTL at its first use (and hourly), so long periods are extended.
            await client.call("EXPIRE", f"{prefix}budget:t:0", 50)
            again = create_counters(CountersConfig("redis", redis_url, key_prefix=prefix))
            assert await again.admit([], [BudgetUse("budget:t:0", 5, 100, 3600)]) is None
            assert await client.call("TTL", f"{prefix}budget:t:0") > 3500
            await again.close()
        finally:
            await counters.close()

    asyncio.run(body())


def test_unreachable_redis_raises_for_the_gateway_to_decide() -> None:
    async def body() -> None:
        counters = create_counters(CountersConfig("redis", "redis://127.0.0.1:1/0"))
        try:
            with pytest.raises(Exception) as failure:
                await counters.reserve([BudgetUse("budget:x:0", 1, 10, 60)])
            assert "connect" in str(failure.value).lower()
        finally:
            await counters.close()

    asyncio.run(body())
