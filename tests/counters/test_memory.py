"""The in-process counters backend (`counters/memory.py`): what only it does (the behaviour both backends
share is in test_base.py): budget periods and claims that end on the wall clock, and `close`."""

from __future__ import annotations

import asyncio

from rungway.counters.base import BudgetSettle, BudgetState, BudgetUse, WindowUse
from rungway.counters.memory import MemoryCounters
from rungway.counters.registry import create_counters
from rungway.settings.config import CountersConfig


def test_the_memory_backend_is_the_default() -> None:
    counters = create_counters(CountersConfig())
    assert isinstance(counters, MemoryCounters) and counters.name == "memory"


def test_a_budget_counter_whose_period_is_over_reads_as_empty_and_starts_again() -> None:
    async def body() -> None:
        c = MemoryCounters()
        assert await c.seed_budget("budget:gone:0", 900, ttl_s=0)  # its period ends at once
        assert await c.budget_state(["budget:gone:0"]) == [BudgetState(0, 0)]
        assert await c.seed_budget("budget:gone:0", 5, ttl_s=3600)  # an ended counter can be seeded again
        assert await c.budget_state(["budget:gone:0"]) == [BudgetState(5, 0)]

    asyncio.run(body())


def test_a_hold_on_an_ended_period_starts_a_new_counter_from_its_seed() -> None:
    async def body() -> None:
        c = MemoryCounters()
        await c.seed_budget("budget:p:0", 990, ttl_s=0)
        assert await c.admit([], [BudgetUse("budget:p:0", 100, 1000, 3600, seed=20)]) is None
        assert await c.budget_state(["budget:p:0"]) == [BudgetState(20, 100)]

    asyncio.run(body())


def test_a_claim_can_be_taken_again_once_its_time_is_over() -> None:
    async def body() -> None:
        c = MemoryCounters()
        assert await c.claim_once("alert:a", 0)
        assert await c.claim_once("alert:a", 3600)
        assert not await c.claim_once("alert:a", 3600)

    asyncio.run(body())


def test_close_forgets_every_counter() -> None:
    async def body() -> None:
        c = MemoryCounters()
        await c.add("rpm:x", 60, 3, now=1_000.0)
        await c.settle([BudgetSettle("budget:x:0", 0, 7, 60)])
        await c.claim_once("once", 60)
        await c.close()
        assert await c.current("rpm:x", 60, now=1_000.0) == 0
        assert await c.budget_state(["budget:x:0"]) == [BudgetState(0, 0)]
        assert await c.claim_once("once", 60)

    asyncio.run(body())


def test_a_negative_correction_can_take_a_window_below_what_was_admitted() -> None:
    async def body() -> None:
        c = MemoryCounters()
        assert await c.acquire([WindowUse("tpm:x", 100, 60, 80)], now=6_000.0) is None
        await c.add_many([WindowUse("tpm:x", 100, 60, -70)], now=6_000.0)  # the call used 10, not 80
        assert await c.current("tpm:x", 60, now=6_000.0) == 10
        assert await c.acquire([WindowUse("tpm:x", 100, 60, 90)], now=6_000.0) is None

    asyncio.run(body())
