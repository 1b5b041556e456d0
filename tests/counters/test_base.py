"""The counters interface (`counters/base.py`): both backends behave the same (sliding windows, atomic
all-or-nothing, budget holds), and the sliding-window arithmetic they share."""

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
    retry_after,
    sliding_count,
)
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


def test_a_window_two_windows_old_no_longer_counts(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        start = 60_000_000.0  # a window boundary
        assert await c.acquire([WindowUse("old", 3, 60, 3)], start + 10) is None
        assert await c.acquire([WindowUse("old", 3, 60)], start + 70) is not None  # the previous window still counts
        assert await c.current("old", 60, start + 125) == 0
        assert await c.acquire([WindowUse("old", 3, 60, 3)], start + 125) is None

    run(counters_config, body)


def test_a_refused_window_says_how_long_until_the_call_fits(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        start = 66_000_000.0
        assert await c.acquire([WindowUse("wait", 10, 60, 10)], start + 30) is None
        denied = await c.acquire([WindowUse("wait", 10, 60, 4)], start + 30)
        assert denied is not None and denied.current == 10
        # 30 s to the next window, then 4 of the 10 must have decayed away: 40% of the next window.
        assert denied.retry_after_s == pytest.approx(30 + 24)
        assert await c.acquire([WindowUse("wait", 10, 60, 4)], start + 30 + 53) is not None
        assert await c.acquire([WindowUse("wait", 10, 60, 4)], start + 30 + 54.5) is None

    run(counters_config, body)


def test_settling_more_than_was_held_releases_no_more_than_the_holds(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        assert await c.reserve([BudgetUse("budget:over:0", 100, 1000, 60)]) is None
        assert await c.settle([BudgetSettle("budget:over:0", 250, 40, 60)]) == [(0, 40)]
        assert (await c.budget_state(["budget:over:0"]))[0] == BudgetState(40, 0)

    run(counters_config, body)


def test_reconcile_raises_spend_to_the_log_never_lowers_it_and_releases_lost_holds(
    counters_config: CountersConfig,
) -> None:
    async def body(c: Counters) -> None:
        assert await c.reserve([BudgetUse("budget:rec:0", 300, None, 60)]) is None
        await c.settle([BudgetSettle("budget:rec:0", 0, 500, 60)])
        assert await c.reconcile_budget("budget:rec:0", 800, 100, 60) == BudgetState(800, 200)
        assert await c.reconcile_budget("budget:rec:0", 10, 1000, 60) == BudgetState(800, 0)
        assert await c.reconcile_budget("budget:fresh:0", 42, 0, 60) == BudgetState(42, 0)

    run(counters_config, body)


def test_admit_with_nothing_to_check_admits() -> None:
    async def body(c: Counters) -> None:
        assert await c.admit([], []) is None
        assert await c.finish([], []) == []

    run(CountersConfig(), body)


def test_sliding_count_weighs_the_previous_window_by_its_overlap() -> None:
    assert sliding_count(10, 4, 0.0) == 14
    assert sliding_count(10, 4, 0.25) == pytest.approx(11.5)
    assert sliding_count(10, 4, 1.0) == 4


@pytest.mark.parametrize(
    ("elapsed", "previous", "current", "amount", "expected"),
    [
        (15.0, 0.0, 5.0, 1, 0.0),  # room now
        (15.0, 10.0, 0.0, 1, 0.0),  # 10 * 0.75 = 7.5 + 1 fits under 10
        (15.0, 20.0, 0.0, 1, 33.0 - 15.0),  # 20 must decay to 9: 55% of the window (33 s), 15 s of it gone
        (45.0, 0.0, 10.0, 1, 15.0 + 6.0),  # full: the next window, then 10% of it
        (45.0, 0.0, 0.0, 20, 15.0),  # asks more than the limit: never fits; the next window is the best answer
    ],
)
def test_retry_after_is_the_time_until_the_amount_fits(
    elapsed: float, previous: float, current: float, amount: int, expected: float
) -> None:
    assert retry_after(60, elapsed, previous, current, amount, 10) == pytest.approx(expected)


def test_marks_only_rise_and_expire(counters_config: CountersConfig) -> None:
    async def body(c: Counters) -> None:
        assert await c.read_marks(["breaker:a", "breaker:b"]) == [None, None]
        await c.raise_marks([("breaker:a", 1700000000.5)], 60)
        await c.raise_marks([("breaker:a", 1600000000.0), ("breaker:b", 2.25)], 60)  # a lower value is ignored
        assert await c.read_marks(["breaker:a", "breaker:b", "breaker:c"]) == [1700000000.5, 2.25, None]
        await asyncio.gather(*(c.raise_marks([("breaker:c", float(i))], 60) for i in range(20)))
        assert await c.read_marks(["breaker:c"]) == [19.0]  # concurrent raises keep the largest
        await c.raise_marks([("breaker:short", 5.0)], 1)
        await asyncio.sleep(1.1)
        assert await c.read_marks(["breaker:short"]) == [None]

    run(counters_config, body)
