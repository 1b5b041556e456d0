"""Prices and costs are exact in nano-dollars."""

from __future__ import annotations

from decimal import Decimal

from rungway.domain.pricing import Price, PriceTable, usd
from rungway.domain.usage import Usage


def test_cost_counts_cached_input_at_its_own_price() -> None:
    price = Price(Decimal("2.50"), Decimal("10.00"), Decimal("1.25"))
    cost = price.cost_nano(Usage(input=1000, output=500, cached_input=400))
    # 600 * 2.50 + 400 * 1.25 + 500 * 10.00 = 7000 USD per million tokens -> 0.007 USD
    assert cost == 7_000_000
    assert usd(cost) == 0.007


def test_max_cost_bounds_any_real_cost() -> None:
    price = Price(Decimal("0.15"), Decimal("0.60"))
    assert price.max_cost_nano(100, 50) >= price.cost_nano(Usage(input=100, output=49))


def test_max_cost_is_the_cost_of_that_usage_on_both_pricing_paths() -> None:
    whole = Price(Decimal("0.15"), Decimal("0.60"), Decimal("0.075"))  # integer pico-dollars per token
    fine = Price(Decimal("0.1234567"), Decimal("0.7654321"))  # 7 decimals: the Decimal path
    for price in (whole, fine):
        for tokens_in, tokens_out in ((0, 0), (1, 1), (18, 20), (123_457, 4096)):
            assert price.max_cost_nano(tokens_in, tokens_out) == price.cost_nano(
                Usage(input=tokens_in, output=tokens_out)
            )


def test_snapshot_falls_back_to_longest_family_price() -> None:
    table = PriceTable({"gpt-4o": Price(Decimal(1), Decimal(2)), "gpt-4o-mini": Price(Decimal(3), Decimal(4))})
    assert table.price_of("gpt-4o-mini-2024-07-18") == table.prices["gpt-4o-mini"]
    assert table.price_of("gpt-4o-2024-08-06") == table.prices["gpt-4o"]
    assert table.price_of("llama3") is None
