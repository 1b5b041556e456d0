"""Savings per workload and per model on a seeded request log (SQLite and PostgreSQL), against hand-computed sums."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rungway.caching.savings import prompt_cache_saving, savings
from rungway.capability import migration_packages
from rungway.domain.pricing import Price, PriceTable
from rungway.errors import InvalidRequest
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from tests.caching.seeding import PRICES, seed_savings


@pytest.fixture
def engine(store_url: str):  # type: ignore[no-untyped-def]
    made = create_store_engine(store_url)
    upgrade(made, migration_packages())
    seed_savings(made)
    yield made
    made.dispose()


def test_savings_by_workload_sum_each_layer_and_price_provider_caching(engine) -> None:  # type: ignore[no-untyped-def]
    report = savings(engine, PRICES, "workload", "30d")
    rows = {r.key: r for r in report.rows}
    support = rows["support"]
    assert support.chat_calls == 5
    assert (support.exact.hits, support.exact.saved_nano) == (2, 8000)
    assert (support.semantic.hits, support.semantic.saved_nano) == (1, 7000)
    assert support.prompt_cache_tokens == 1000 and support.prompt_cache_saved_nano == 1_250_000
    assert support.spend_nano == 3000 + 20 + 10_000 + 100
    assert support.saved_nano == 1_265_000
    assert support.hit_rate(support.exact) == pytest.approx(0.4)
    assert support.saved_share == pytest.approx(1_265_000 / (1_265_000 + 13_120))
    other = rows["other"]
    assert (other.prompt_cache_tokens, other.prompt_cache_saved_nano, other.unpriced_prompt_cache_tokens) == (
        250,
        250_000,
        50,
    )
    assert [r.key for r in report.rows] == ["support", "other"]  # the biggest saving first
    assert report.total.saved_nano == 1_515_000 and report.total.spend_nano == 18_120
    assert report.to_json()["total"]["exact"]["hits"] == 2


def test_savings_by_model_and_for_one_workload(engine) -> None:  # type: ignore[no-untyped-def]
    by_model = {r.key: r for r in savings(engine, PRICES, "model", "30d").rows}
    assert set(by_model) == {"gpt-x", "emb", "mystery"}
    assert by_model["gpt-x"].chat_calls == 6 and by_model["gpt-x"].prompt_cache_saved_nano == 1_500_000
    assert by_model["emb"].chat_calls == 0 and by_model["emb"].spend_nano == 100
    only = savings(engine, PRICES, "workload", "30d", workloads=["other"])
    assert [r.key for r in only.rows] == ["other"]
    wider = savings(engine, PRICES, "workload", "60d")
    assert {r.key: r for r in wider.rows}["support"].exact.saved_nano == 8000 + 99_999


def test_savings_rejects_a_bad_grouping_or_window(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRequest, match="use one of workload, model"):
        savings(engine, PRICES, "team")
    with pytest.raises(InvalidRequest, match="since"):
        savings(engine, PRICES, "workload", "yesterday-ish")


def test_prompt_cache_saving_uses_the_cached_input_discount() -> None:
    table = PriceTable({"flat": Price(Decimal("1"), Decimal("2"))})
    assert prompt_cache_saving(table, "flat", 1000) == 0  # no cached-input price: no discount
    assert prompt_cache_saving(PRICES, "gpt-x-2025-01-01", 3) == 3750  # a snapshot priced as its family
    half = PriceTable({"tiny": Price(Decimal("0.0015"), Decimal("1"), Decimal("0.001"))})
    assert prompt_cache_saving(half, "tiny", 1) == 1  # half a nano-dollar rounds up
    assert prompt_cache_saving(PRICES, None, 10) is None
