"""Breakers shared across replicas through the counters backend: two books (two replicas) over one memory
backend, and over Redis with a client each."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest

from rungway.counters.base import Counters
from rungway.counters.registry import create_counters
from rungway.gateway.routing import Attempt
from rungway.models.health.book import HealthBook
from rungway.models.health.config import BreakerSettings
from rungway.models.health.sharing import SharedBreakers
from rungway.settings.config import CountersConfig, ModelRoute

PRIMARY = ModelRoute(name="primary", provider="sim", upstream_model="m-1")
SETTINGS = BreakerSettings(window_s=30.0, min_calls=4, failure_rate=0.5, cooldown_s=30.0)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backends(request: pytest.FixtureRequest) -> tuple[CountersConfig, bool]:
    """The counters configuration, and whether each replica gets its own client (Redis) or one shared one."""
    if request.param == "memory":
        return CountersConfig(), False
    url = str(request.getfixturevalue("redis_url"))
    return CountersConfig("redis", url, key_prefix=f"test:{secrets.token_hex(6)}:"), True


def _fail(book: HealthBook, n: int, outcome: str = "5xx") -> None:
    ctx: Any = None
    for _ in range(n):
        book.finished(ctx, Attempt(deployment=PRIMARY, index=0, started=0.0, latency_ms=5.0, outcome=outcome))


def _replicas(config: CountersConfig, separate: bool) -> tuple[list[HealthBook], list[SharedBreakers], list[Counters]]:
    first = create_counters(config)
    counters = [first, create_counters(config) if separate else first]
    books = [HealthBook(SETTINGS), HealthBook(SETTINGS)]
    for book in books:
        book.breaker("primary")  # known from the configuration
    return books, [SharedBreakers(b, c) for b, c in zip(books, counters, strict=True)], counters


def test_a_circuit_opened_on_one_replica_opens_on_the_other(backends: tuple[CountersConfig, bool]) -> None:
    async def main() -> None:
        books, shared, counters = _replicas(*backends)
        try:
            _fail(books[0], 4)
            assert books[0].state("primary") == "open" and books[1].state("primary") == "closed"
            await shared[0].sync_once()
            await shared[1].sync_once()
            assert books[1].state("primary") == "open"
            assert not books[1].admit("primary", 0.0)
            assert 25 < books[1].open_remaining_s("primary") <= 30
        finally:
            for c in set(counters):
                await c.close()

    asyncio.run(main())


def test_combined_failures_open_circuits_no_replica_saw_alone(backends: tuple[CountersConfig, bool]) -> None:
    async def main() -> None:
        books, shared, counters = _replicas(*backends)
        try:
            _fail(books[0], 2)
            _fail(books[1], 2)
            assert books[0].state("primary") == books[1].state("primary") == "closed"  # 2 < min_calls each
            await shared[0].sync_once()
            await shared[1].sync_once()
            assert books[1].state("primary") == "open"
            await shared[1].sync_once()  # publishes its opening
            await shared[0].sync_once()
            assert books[0].state("primary") == "open"
        finally:
            for c in set(counters):
                await c.close()

    asyncio.run(main())


def test_healthy_traffic_opens_nothing(backends: tuple[CountersConfig, bool]) -> None:
    async def main() -> None:
        books, shared, counters = _replicas(*backends)
        try:
            _fail(books[0], 10, "ok")
            _fail(books[1], 1)
            for s in shared:
                await s.sync_once()
            assert books[0].state("primary") == books[1].state("primary") == "closed"
        finally:
            for c in set(counters):
                await c.close()

    asyncio.run(main())
