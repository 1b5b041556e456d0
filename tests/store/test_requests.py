"""The request log on SQLite and PostgreSQL: N calls give N rows with exact attribution and cost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import openai
import pytest
from sqlalchemy import func, select

from rungway.domain.pricing import NANO_PER_USD
from rungway.store.requests import RequestFilter, query_requests, usage_by
from rungway.store.schema import requests
from tests.servers import Gateway


def test_n_calls_give_n_rows_with_cost_to_the_cent(store_url: str, gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(store_url=store_url)
    key = gw.create_key("support-bot", owner="owner@example.com")
    client = openai.AsyncOpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0)

    async def one(i: int) -> openai.types.chat.ChatCompletion:
        return await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"question {i}"}],
            user=f"user-{i % 3}",
            extra_headers={"x-rungway-tags": "feature=faq,env=test"},
        )

    async def run() -> list[openai.types.chat.ChatCompletion]:
        try:
            return await asyncio.gather(*(one(i) for i in range(40)))
        finally:
            await client.close()

    replies = asyncio.run(run())
    gw.flush()
    with gw.state.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(requests)).scalar_one()
        cost = conn.execute(select(func.sum(requests.c.cost_nano))).scalar_one()
    assert count == 40
    # gpt-4o-mini list price: $0.15 / M input, $0.60 / M output.
    expected = sum(
        Decimal(r.usage.prompt_tokens) * Decimal("0.15") + Decimal(r.usage.completion_tokens) * Decimal("0.60")
        for r in replies
        if r.usage is not None
    )
    assert int(cost) == int(expected * NANO_PER_USD / 1_000_000)
    rows = query_requests(gw.state.engine, RequestFilter(workload="support-bot", user="user-1", limit=100))
    assert len(rows) == 13  # i % 3 == 1 for i in 0..39
    row = rows[0]
    assert row["tags"] == {"feature": "faq", "env": "test"}
    assert row["model_requested"] == "gpt-4o-mini" and row["model_resolved"] == "gpt-4o-mini-2024-07-18"
    assert row["provider"] == "sim" and row["status"] == 200 and row["priced"]
    assert row["latency_ms"] > 0 and row["upstream_ms"] is not None and row["overhead_ms"] is not None
    by_user = {r["key"]: r for r in usage_by(gw.state.engine, "user", since=None)}
    assert sum(r["requests"] for r in by_user.values()) == 40
    assert sum(r["cost_nano"] for r in by_user.values()) == int(cost)


def test_failures_are_logged_with_their_error_type(store_url: str, gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(store_url=store_url)
    key = gw.create_key()
    client = openai.OpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0)
    messages: list[dict[str, str]] = [{"role": "user", "content": "x"}]
    for error in ("500", "timeout"):
        with pytest.raises(openai.APIStatusError):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, extra_headers={"x-simulator-error": error}
            )
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=messages)
    gw.flush()
    rows = query_requests(gw.state.engine, RequestFilter(errors_only=True))
    assert sorted((r["status"], r["error_type"]) for r in rows) == [
        (404, "not_found_error"),
        (502, "upstream_error"),
        (504, "timeout_error"),
    ]
    assert all(r["workload"] == "test" for r in rows)


def test_unpriced_model_is_logged_as_unpriced(gateway: Gateway) -> None:
    key = gateway.create_key()
    client = openai.OpenAI(base_url=gateway.openai_base, api_key=key.secret, max_retries=0)
    client.chat.completions.create(model="unpriced-model", messages=[{"role": "user", "content": "x"}])
    gateway.flush()
    (row,) = query_requests(gateway.state.engine, RequestFilter())
    assert row["priced"] is False or row["priced"] == 0
    assert row["cost_nano"] == 0 and row["tokens_in"] > 0
