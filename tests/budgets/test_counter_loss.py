"""A budget counter that Redis lost (restart without persistence, failover, eviction) is re-created from the
spend the gateway knows, and the status API reports spend and overspend from the request log."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from tests.budgets.support import (
    api,
    burst,
    config_text,
    forget_redis_counters,
    logged_spend,
    open_store,
    prespend,
    workload_budget,
)
from tests.servers import Gateway

pytestmark = pytest.mark.redis

LIMIT_NANO = 1_000_000  # $0.001
MAX_TOKENS = 20


def test_hard_budget_still_refuses_at_its_limit_after_redis_loses_every_counter_mid_period(
    gateway_factory: Callable[..., Gateway], store_url: str, redis_url: str
) -> None:
    engine = open_store(store_url)
    prespend(engine, 900_000)
    workload_budget(engine, "test-hard", "0.001")
    prefix = f"test:{secrets.token_hex(6)}:"
    gw = gateway_factory(config_text("redis", redis_url, prefix=prefix), store_url=store_url)
    key = gw.create_key("test")
    first = burst([gw.openai_base], key.secret, 60, max_tokens=MAX_TOKENS)
    assert first.budget_refusals and not first.other
    gw.flush()

    assert forget_redis_counters(redis_url, prefix) > 0
    second = burst([gw.openai_base], key.secret, 60, max_tokens=MAX_TOKENS)

    gw.flush()
    spent, _ = logged_spend(engine)
    assert not second.other and len(second.budget_refusals) == 60 - second.ok
    assert 900_000 + spent <= LIMIT_NANO  # not spent again from zero
    status, body = api(gw.base_url, "/api/budgets/test-hard")
    assert status == 200 and body["spent_nano"] == body["logged_nano"] == 900_000 + spent


def test_status_reports_spend_and_overspend_from_the_request_log_when_the_counter_knows_less(
    gateway_factory: Callable[..., Gateway], store_url: str, redis_url: str
) -> None:
    engine = open_store(store_url)
    workload_budget(engine, "test-hard", "0.001")
    prefix = f"test:{secrets.token_hex(6)}:"
    gw = gateway_factory(config_text("redis", redis_url, prefix=prefix), store_url=store_url)
    forget_redis_counters(redis_url, prefix)
    prespend(engine, 1_500_000)  # in the log (e.g. written by calls the lost counter had counted)

    status, body = api(gw.base_url, "/api/budgets/test-hard")

    assert status == 200 and body["live"]
    assert body["spent_nano"] == body["logged_nano"] == 1_500_000
    assert body["overspend_nano"] == 500_000
    assert body["remaining_nano"] < 0
