"""Prices and the cost of a call.

Costs are integers in nano-dollars (1e-9 USD) so that sums over millions of calls reconcile
exactly; prices are Decimal USD per million tokens, as providers publish them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rungway.domain.usage import Usage

NANO_PER_USD = 1_000_000_000
_NANO_PER_USD_PER_MTOK = Decimal(NANO_PER_USD) / Decimal(1_000_000)
_PICO_PER_USD_PER_MTOK = Decimal(1_000_000)  # 1e12 pico-dollars per USD / 1e6 tokens per Mtok


def _pico_per_token(usd_per_mtok: Decimal) -> int | None:
    """The price in pico-dollars per token when that is a whole number (prices with up to 6 decimals)."""
    scaled = usd_per_mtok * _PICO_PER_USD_PER_MTOK
    return int(scaled) if scaled == scaled.to_integral_value() else None


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens. `cached_input` defaults to `input` when a model has no cache discount."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    # (input, output, cached input) in whole pico-dollars per token, computed once, so that pricing
    # a call is integer arithmetic (exact, and ~10x cheaper than Decimal on the hot path); None
    # when a price has more than 6 decimals, which falls back to Decimal.
    _pico: tuple[int, int, int] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        cached_price = self.cached_input if self.cached_input is not None else self.input
        parts = (_pico_per_token(self.input), _pico_per_token(self.output), _pico_per_token(cached_price))
        if None not in parts:
            object.__setattr__(self, "_pico", parts)

    def cost_nano(self, usage: Usage) -> int:
        """The cost of `usage` in nano-dollars, rounded half-up once at the end."""
        cached = min(usage.cached_input, usage.input)
        pico = self._pico
        if pico is not None:
            total_pico = (usage.input - cached) * pico[0] + cached * pico[2] + usage.output * pico[1]
            # Token counts are never negative, so floor((x + 500) / 1000) is ROUND_HALF_UP, exactly.
            return (total_pico + 500) // 1000
        cached_price = self.cached_input if self.cached_input is not None else self.input
        total = (
            (usage.input - cached) * self.input + cached * cached_price + usage.output * self.output
        ) * _NANO_PER_USD_PER_MTOK
        return int(total.to_integral_value(rounding="ROUND_HALF_UP"))

    def max_cost_nano(self, input_tokens: int, max_output_tokens: int) -> int:
        """An upper bound for a call's cost, used to reserve budget before the call."""
        pico = self._pico
        if pico is not None:  # `cost_nano` without cached input, without building a Usage (once per call)
            return (input_tokens * pico[0] + max_output_tokens * pico[1] + 500) // 1000
        return self.cost_nano(Usage(input=input_tokens, output=max_output_tokens))


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Prices by model id, dated, with an optional fallback for unknown models."""

    prices: dict[str, Price]
    as_of: str = ""

    def price_of(self, model: str) -> Price | None:
        found = self.prices.get(model)
        if found is not None:
            return found
        # Snapshot ids ("gpt-4o-2024-08-06") fall back to their family's price ("gpt-4o").
        best: str | None = None
        for name in self.prices:
            if model.startswith(name + "-") and (best is None or len(name) > len(best)):
                best = name
        return self.prices[best] if best is not None else None

    def with_overrides(self, overrides: dict[str, Price]) -> PriceTable:
        return PriceTable({**self.prices, **overrides}, self.as_of)


def usd(nano: int) -> float:
    """Nano-dollars as a float USD for display."""
    return nano / NANO_PER_USD
