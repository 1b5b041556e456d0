"""What caching saved, next to what was spent, per workload or per model over a window of the request log.

Three layers save money, each measured from the request log's own columns:
- the exact and semantic answer caches: a hit replays a stored answer, and its row carries `cost_saved_nano`,
  what the call that produced the answer cost (the upstream call the hit avoided);
- the provider's prompt caching: a call that reached its upstream with `tokens_cached` prompt tokens paid the
  cached-input rate for them. The saving is tokens_cached x (input price - cached input price) of the call's
  model at today's price table (the configured `prices:` over the shipped table), not the rate of the day of
  the call. A cache hit's row repeats the usage of the call it replayed, so only calls that reached the
  upstream (`cache` NULL) count here.

Hit rates are of the window's successful chat calls (embeddings and moderations are no chat calls, though their
cost, e.g. the semantic layer's embeddings, is spend). `saved_share` = saved / (spend + saved): what share of
the bill without caching was not paid. One grouped query, bounded by `MAX_GROUPS` rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import Engine, and_, case, func, select

from rungway.domain.pricing import PriceTable, usd
from rungway.domain.records import NOT_CHAT_ENDPOINTS
from rungway.domain.timespec import TimeSpecError, parse_instant
from rungway.errors import InvalidRequest
from rungway.store.schema import requests as requests_table

__all__ = [
    "MAX_GROUPS",
    "SAVINGS_BY",
    "LayerSavings",
    "ModelCounts",
    "SavingsReport",
    "SavingsRow",
    "prompt_cache_saving",
    "savings",
]

SavingsBy = Literal["workload", "model"]
SAVINGS_BY: tuple[SavingsBy, ...] = ("workload", "model")
MAX_GROUPS = 10_000
"""At most this many (group, model) rows are read: a report is a summary, never a scan returned whole."""
_NANO_PER_USD_PER_MTOK = Decimal(1000)  # 1 USD per million tokens is 1,000 nano-dollars per token


@dataclass(frozen=True, slots=True)
class LayerSavings:
    """One answer-cache layer's hits and what they saved."""

    hits: int = 0
    saved_nano: int = 0

    def plus(self, other: LayerSavings) -> LayerSavings:
        return LayerSavings(self.hits + other.hits, self.saved_nano + other.saved_nano)


@dataclass(frozen=True, slots=True)
class SavingsRow:
    """One workload's (or model's) savings and spend in the window."""

    key: str | None
    chat_calls: int = 0
    exact: LayerSavings = field(default_factory=LayerSavings)
    semantic: LayerSavings = field(default_factory=LayerSavings)
    prompt_cache_tokens: int = 0
    prompt_cache_saved_nano: int = 0
    unpriced_prompt_cache_tokens: int = 0  # cached tokens of models the price table does not know
    spend_nano: int = 0

    @property
    def saved_nano(self) -> int:
        return self.exact.saved_nano + self.semantic.saved_nano + self.prompt_cache_saved_nano

    def hit_rate(self, layer: LayerSavings) -> float:
        return layer.hits / self.chat_calls if self.chat_calls else 0.0

    @property
    def saved_share(self) -> float:
        whole = self.spend_nano + self.saved_nano
        return self.saved_nano / whole if whole else 0.0

    def plus(self, other: SavingsRow) -> SavingsRow:
        return SavingsRow(
            key=self.key,
            chat_calls=self.chat_calls + other.chat_calls,
            exact=self.exact.plus(other.exact),
            semantic=self.semantic.plus(other.semantic),
            prompt_cache_tokens=self.prompt_cache_tokens + other.prompt_cache_tokens,
            prompt_cache_saved_nano=self.prompt_cache_saved_nano + other.prompt_cache_saved_nano,
            unpriced_prompt_cache_tokens=self.unpriced_prompt_cache_tokens + other.unpriced_prompt_cache_tokens,
            spend_nano=self.spend_nano + other.spend_nano,
        )

    def to_json(self) -> dict[str, Any]:
        def layer(found: LayerSavings) -> dict[str, Any]:
            return {
                "hits": found.hits,
                "hit_rate": round(self.hit_rate(found), 6),
                "saved_nano": found.saved_nano,
                "saved_usd": usd(found.saved_nano),
            }

        return {
            "key": self.key,
            "chat_calls": self.chat_calls,
            "exact": layer(self.exact),
            "semantic": layer(self.semantic),
            "prompt_cache": {
                "tokens": self.prompt_cache_tokens,
                "unpriced_tokens": self.unpriced_prompt_cache_tokens,
                "saved_nano": self.prompt_cache_saved_nano,
                "saved_usd": usd(self.prompt_cache_saved_nano),
            },
            "saved_nano": self.saved_nano,
            "saved_usd": usd(self.saved_nano),
            "spend_nano": self.spend_nano,
            "spend_usd": usd(self.spend_nano),
            "saved_share": round(self.saved_share, 6),
        }


@dataclass(frozen=True, slots=True)
class SavingsReport:
    """Rows by workload or model, biggest saving first, and their total."""

    by: SavingsBy
    since: float
    until: float
    rows: list[SavingsRow]
    total: SavingsRow
    prices_as_of: str

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "since": self.since,
            "until": self.until,
            "prices_as_of": self.prices_as_of,
            "rows": [r.to_json() for r in self.rows],
            "total": self.total.to_json(),
        }


@dataclass(frozen=True, slots=True)
class ModelCounts:
    """What one key's calls to one resolved model did in a window, before pricing: the grouped query's row,
    or the assessment's hourly facts summed (the `multi_layer_caching` check), priced the same way."""

    chat_calls: int = 0
    exact_hits: int = 0
    exact_saved: int = 0
    semantic_hits: int = 0
    semantic_saved: int = 0
    cached_tokens: int = 0  # on calls that reached the upstream
    spend_nano: int = 0

    def row(self, key: str | None, model: str | None, prices: PriceTable) -> SavingsRow:
        """The savings row, the prompt cache priced at today's price of `model`."""
        tokens = self.cached_tokens
        saved = prompt_cache_saving(prices, model, tokens) if tokens else 0
        return SavingsRow(
            key=key,
            chat_calls=self.chat_calls,
            exact=LayerSavings(self.exact_hits, self.exact_saved),
            semantic=LayerSavings(self.semantic_hits, self.semantic_saved),
            prompt_cache_tokens=tokens,
            prompt_cache_saved_nano=saved or 0,
            unpriced_prompt_cache_tokens=tokens if saved is None else 0,
            spend_nano=self.spend_nano,
        )


def prompt_cache_saving(prices: PriceTable, model: str | None, tokens: int) -> int | None:
    """What `tokens` prompt tokens read from the provider's cache saved at today's price of `model`, in
    nano-dollars (rounded half up); None when the table has no price for the model."""
    price = prices.price_of(model) if model else None
    if price is None:
        return None
    cached = price.cached_input if price.cached_input is not None else price.input
    saved = Decimal(tokens) * (price.input - cached) * _NANO_PER_USD_PER_MTOK
    return max(0, int(saved.to_integral_value(rounding=ROUND_HALF_UP)))


def _window(since: str | float | None, until: str | float | None, now: float) -> tuple[float, float]:
    def instant(value: str | float | None, default: float, param: str) -> float:
        if value is None or value == "":
            return default
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_instant(value, now)
        except TimeSpecError as exc:
            raise InvalidRequest(f"{param}: {exc}", param=param) from None

    start, end = instant(since, now - 30 * 86400, "since"), instant(until, now, "until")
    if start >= end:
        raise InvalidRequest("since must be before until. Fix: e.g. since=30d", param="since")
    return start, end


def savings(
    engine: Engine,
    prices: PriceTable,
    by: str = "workload",
    since: str | float | None = "30d",
    until: str | float | None = None,
    workloads: Sequence[str] | None = None,
    now: float | None = None,
) -> SavingsReport:
    """The window's savings grouped `by` workload or model; `workloads` limits the calls read (None: all).
    InvalidRequest names a bad `by`, `since` or `until`."""
    if by not in SAVINGS_BY:
        raise InvalidRequest(f"by {by!r} is not valid. Fix: use one of {', '.join(SAVINGS_BY)}", param="by")
    start, end = _window(since, until, time.time() if now is None else now)
    r = requests_table.c
    group = r.workload if by == "workload" else r.model_resolved
    chat = and_(r.status == 200, r.endpoint.not_in(NOT_CHAT_ENDPOINTS))

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def total(condition: Any, column: Any) -> Any:
        return func.coalesce(func.sum(case((condition, column), else_=0)), 0)

    query = (
        select(
            group.label("key"),
            r.model_resolved,
            count(chat),
            count(r.cache == "exact"),
            total(r.cache == "exact", r.cost_saved_nano),
            count(r.cache == "semantic"),
            total(r.cache == "semantic", r.cost_saved_nano),
            total(r.cache.is_(None), r.tokens_cached),
            func.coalesce(func.sum(r.cost_nano), 0),
        )
        .where(r.ts_start >= start, r.ts_start < end)
        .group_by(group, r.model_resolved)
        .limit(MAX_GROUPS)
    )
    if workloads is not None:
        query = query.where(r.workload.in_(list(workloads)))
    grouped: dict[str | None, SavingsRow] = {}
    with engine.connect() as conn:
        for key, model, chats, ex_hits, ex_saved, se_hits, se_saved, tokens, spend in conn.execute(query):
            counts = ModelCounts(int(chats), int(ex_hits), int(ex_saved), int(se_hits), int(se_saved), int(tokens),
                                 int(spend))  # fmt: skip
            part = counts.row(key, model, prices)
            grouped[key] = grouped[key].plus(part) if key in grouped else part
    rows = sorted(grouped.values(), key=lambda row: (-row.saved_nano, -row.spend_nano, row.key or ""))
    overall = SavingsRow(key=None)
    for row in rows:
        overall = overall.plus(row)
    return SavingsReport(by, start, end, rows, overall, prices.as_of)
