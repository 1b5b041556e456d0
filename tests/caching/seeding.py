"""Seeding a real store's request log with cache hits, misses and provider prompt caching, for the caching tests."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from rungway.domain.pricing import Price, PriceTable
from rungway.domain.records import RequestRecord
from rungway.store.requests import insert_requests

PRICES = PriceTable({"gpt-x": Price(Decimal("2.50"), Decimal("10"), Decimal("1.25"))}, as_of="2025-01-01")
"""gpt-x: a cached prompt token saves 1.25 USD per million tokens, 1,250 nano-dollars per thousand."""

_ids = itertools.count()


def call(
    workload: str,
    *,
    model: str = "gpt-x",
    cache: str | None = None,
    cost: int = 0,
    saved: int = 0,
    tokens_cached: int = 0,
    endpoint: str = "chat.completions",
    status: int = 200,
    ago_s: float = 3600.0,
    similarity: float | None = None,
) -> RequestRecord:
    at = time.time() - ago_s
    return RequestRecord(
        id=f"req_seed{next(_ids):08d}", ts_start=at, ts_end=at + 0.1, workload=workload, key_id=None, user=None,
        team=None, endpoint=endpoint, model_requested=model, model_resolved=model, status=status,
        tokens_in=1000, tokens_out=50, tokens_cached=tokens_cached, cost_nano=cost, priced=True, cache=cache,
        cache_similarity=similarity if cache == "semantic" else None, cost_saved_nano=saved,
    )  # fmt: skip


def seed_savings(engine: Engine) -> None:
    """support: 5 chat calls (2 exact hits saving 8,000, 1 semantic hit saving 7,000, 1,000 provider-cached tokens),
    an embedding call, a failed call and an old hit outside the window; other: 2 calls, 200 priced cached tokens
    and 50 of a model without a price."""
    insert_requests(engine, [
        call("support", cost=3000),
        call("support", cache="exact", saved=3000, tokens_cached=400),  # the replayed usage: no provider saving
        call("support", cache="exact", saved=5000),
        call("support", cache="semantic", cost=20, saved=7000, similarity=0.95),
        call("support", cost=10_000, tokens_cached=1000),
        call("support", model="emb", endpoint="embeddings", cost=100),
        call("support", status=500),
        call("support", cache="exact", saved=99_999, ago_s=40 * 86400),
        call("other", cost=4000, tokens_cached=200),
        call("other", model="mystery", cost=1000, tokens_cached=50),
    ])  # fmt: skip


CACHE_CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  sim:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
workloads:
  test:
    team: qa
  other:
    team: qa
cache:
  refresh_s: 60
  workloads:
    test: {ttl_s: 3600}
    other: {ttl_s: 3600}
"""


def ask(gateway: Any, secret: str, text: str) -> str:
    """One chat call; the answer's `x-rungway-cache` header."""
    answer = gateway.sdk(secret).chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}], temperature=0
    )
    return str(answer.headers.get("x-rungway-cache"))
