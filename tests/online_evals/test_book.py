"""The scorer book: pending counts are stored at each refresh and read back as today's spend of every replica;
the cap compares stored plus not-yet-stored spend; a failed refresh keeps the counts for the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from rungway.evals.public import ScorerContext
from rungway.online_evals.book import ScorerBook, day_start_hour
from rungway.online_evals.config import OnlineEvalsConfig
from rungway.online_evals.model import CallFilter, OnlineScorer
from rungway.online_evals.store import Counts, add_counts, insert_scorer
from tests.servers import Gateway

NOW = 1_764_500_000.0  # 2025-11-30 10:53 UTC


def test_spend_is_stored_shared_and_capped(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    engine = gateway_factory(store_url=store_url).state.engine
    config = OnlineEvalsConfig(daily_cost_cap_usd=1e-6)  # 1,000 nano-dollars
    book = ScorerBook(engine, config, ScorerContext(), clock=lambda: NOW)
    insert_scorer(engine, OnlineScorer("ons_1", "test", "json", {"type": "is-json"}, 1.0, CallFilter(), "api", NOW))
    hour = int(NOW // 3600)
    add_counts(engine, {("test", "other-replica", hour): Counts(cost_nano=600),
                        ("test", "yesterday", day_start_hour(NOW) - 1): Counts(cost_nano=10_000)})  # fmt: skip

    async def run() -> None:
        await book.refresh()
        assert [s.scorer.name for s in book.live["test"]] == ["json"]
        assert book.spent_nano("test") == 600 and not book.capped("test")  # yesterday's spend does not count
        book.counts("test", "ons_1", hour).cost_nano += 400  # this replica, not stored yet
        assert book.spent_nano("test") == 1_000 and book.capped("test")
        await book.refresh()
        assert book.pending == {} and book.spent_nano("test") == 1_000 and book.capped("test")

    asyncio.run(run())


def test_a_failed_refresh_keeps_the_counts(tmp_path: Path) -> None:
    away = create_engine(f"sqlite:///{tmp_path}/missing-folder/rungway.db")  # every store call fails
    book = ScorerBook(away, OnlineEvalsConfig(), ScorerContext(), clock=lambda: NOW)
    book.counts("test", "ons_1", 1).matched += 2

    async def run() -> None:
        with pytest.raises(OperationalError):
            await book.refresh()

    asyncio.run(run())
    assert book.pending[("test", "ons_1", 1)].matched == 2
