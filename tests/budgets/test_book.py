"""After a counters outage, each budget counter is reconciled with the request log within a bounded time:
spend the counter lost is recovered and holds whose settle was given up are released."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import openai
import pytest

from rungway.budgets.steps import BUDGETS, BudgetHolds, BudgetRuntime
from rungway.counters.base import BudgetUse
from rungway.errors import ConfigError
from rungway.gateway.limits import settles_pending
from tests.budgets.redis_proxy import CuttableRedisProxy
from tests.budgets.support import (
    MESSAGES,
    api,
    burst,
    config_text,
    logged_spend,
    open_store,
    prespend,
    workload_budget,
)
from tests.servers import Gateway

LIMIT_NANO = 1_000_000  # $0.001
MAX_TOKENS = 20
LOST_SPEND = 950_000  # answered during the outage, in the request log, never added to the counter
LEAKED_HOLD = 40_000  # held before the outage, its settle given up


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def counters(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "memory":
        return {"counters": "memory"}
    return {"counters": "redis", "redis_url": str(request.getfixturevalue("redis_url"))}


def _wait_for_reconciliation(runtime: BudgetRuntime, after: int) -> None:
    deadline = time.monotonic() + 30
    while runtime.book.reconciliations <= after and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runtime.book.reconciliations > after, "no reconciliation round within 30 s"


def test_counter_that_lost_spend_and_leaked_holds_in_an_outage_is_exact_again_after_reconciliation(
    gateway_factory: Callable[..., Gateway], store_url: str, counters: dict[str, str]
) -> None:
    engine = open_store(store_url)
    budget = workload_budget(engine, "test-hard", "0.001")
    gw = gateway_factory(config_text(reconcile_ms=200, **counters), store_url=store_url)
    key = gw.create_key("test")
    runtime: BudgetRuntime = gw.state.slots[BUDGETS]
    holder = next(h for h in gw.state.budget_holders if isinstance(h, BudgetHolds))
    # What an outage longer than the settle retries leaves behind: calls answered fail-open are in the log
    # but not in the counter, and a call held before it never had its hold released.
    now = time.time()
    period = runtime.book.period(budget, now)
    leaked = BudgetUse(period.key, LEAKED_HOLD, LIMIT_NANO, period.ttl_s(now))
    assert gw.call(lambda: gw.state.counters.admit((), [leaked])) is None
    prespend(engine, LOST_SPEND)
    rounds = runtime.book.reconciliations
    gw.loops.run(_on_the_gateway_loop(lambda: holder.unsettled([leaked])))  # as the settle step calls it

    _wait_for_reconciliation(runtime, rounds)

    status, body = api(gw.base_url, "/api/budgets/test-hard")
    assert status == 200 and body["live"]
    live = gw.call(lambda: gw.state.counters.budget_state([period.key]))[0]
    assert (live.spent, live.reserved) == (LOST_SPEND, 0)
    assert body["spent_nano"] == body["logged_nano"] == LOST_SPEND and body["reserved_nano"] == 0
    # The budget is exact again: what is left (50,000) admits a few calls, and the hard limit holds.
    outcome = burst([gw.openai_base], key.secret, 20, max_tokens=MAX_TOKENS)
    gw.flush()
    spent, ok = logged_spend(engine)
    assert ok == outcome.ok >= 1 and outcome.budget_refusals and not outcome.other
    assert LOST_SPEND + spent <= LIMIT_NANO


async def _on_the_gateway_loop(step: Callable[[], None]) -> None:
    step()


def test_reconcile_interval_is_validated_naming_the_key_and_the_fix(
    gateway_factory: Callable[..., Gateway],
) -> None:
    with pytest.raises(ConfigError) as caught:
        gateway_factory(config_text(reconcile_ms=0))
    message = str(caught.value)
    assert "budgets.reconcile_ms" in message and "got 0" in message and "Fix: write e.g. 60000" in message


@pytest.mark.redis
def test_spend_answered_fail_open_during_a_redis_outage_is_back_in_the_counter_soon_after_redis_returns(
    gateway_factory: Callable[..., Gateway], sqlite_url: str, redis_url: str
) -> None:
    engine = open_store(sqlite_url)
    budget = workload_budget(engine, "test-hard", "0.001")
    proxy = CuttableRedisProxy(redis_url)
    try:
        # The scheduled reconciliation is an hour away: only the recovery after lost settles can fix the counter.
        text = config_text("redis", proxy.url, fail="fail-open", reconcile_ms=3_600_000, latency_ms=0)
        gw = gateway_factory(text, store_url=sqlite_url)
        key = gw.create_key("test")
        runtime: BudgetRuntime = gw.state.slots[BUDGETS]
        proxy.cut()
        during = burst([gw.openai_base], key.secret, 5, max_tokens=MAX_TOKENS)
        assert during.ok == 5  # fail-open: answered, in the log, their settles retried and then given up
        gw.flush()
        _wait_until(lambda: gw.call(_settles_pending) == 0, "settle retries still running after 60 s")
        rounds = runtime.book.reconciliations
        proxy.restore()

        _wait_for_reconciliation(runtime, rounds)

        spent, ok = logged_spend(engine)
        period = runtime.book.period(budget, time.time())
        live = gw.call(lambda: gw.state.counters.budget_state([period.key]))[0]
        assert ok == 5 and spent > 0
        assert (live.spent, live.reserved) == (spent, 0)
    finally:
        proxy.stop()


async def _settles_pending() -> int:
    return settles_pending()


def _wait_until(condition: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + 60
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert condition(), failure


def test_default_per_user_budget_gives_each_user_their_own_counter_through_the_gateway(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, counters: dict[str, str]
) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    engine = open_store(url)
    prespend(engine, 999_000, user="ann")  # ann has spent nearly all of her share; bob nothing
    gw = gateway_factory(config_text(latency_ms=0, **counters), store_url=url)
    body = {"name": "test-each", "scope": "user", "each_user": True, "workload": "test", "amount_usd": "0.001"}
    status, created = api(gw.base_url, "/api/budgets", "PUT", body)
    assert status == 200 and created["target"] == "each user in test" and created["each_user"] is True, created
    key = gw.create_key("test")
    client = openai.OpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0)

    def call(user: str) -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=20, user=user)

    with pytest.raises(openai.RateLimitError) as refused:
        call("ann")
    assert refused.value.body["code"] == "budget_exceeded"  # type: ignore[index]
    assert "'test-each'" in refused.value.body["message"] and "user ann" in refused.value.body["message"]  # type: ignore[index]
    call("bob")  # bob's own counter: ann's spend is not his
    call("bob")
    gw.flush()
    events = api(gw.base_url, "/api/budget-events?budget=test-each&kind=blocked")[1]["data"]
    assert [e["user_id"] for e in events] == ["ann"]
    # The budget's status shows its most-spending user (ann's seeded spend).
    assert api(gw.base_url, "/api/budgets/test-each")[1]["logged_nano"] == 999_000


def test_default_per_user_budget_is_refused_with_a_named_user_and_on_other_scopes(
    gateway_factory: Callable[..., Gateway], tmp_path: Path
) -> None:
    gw = gateway_factory(config_text(latency_ms=0), store_url=f"sqlite:///{tmp_path}/budget.db")
    both = {"name": "x", "scope": "user", "each_user": True, "user": "ann", "workload": "test", "amount_usd": "1"}
    status, refused = api(gw.base_url, "/api/budgets", "PUT", both)
    assert status == 400 and refused["error"]["param"] == "each_user"
    wrong_scope = {"name": "x", "scope": "workload", "each_user": True, "workload": "test", "amount_usd": "1"}
    assert api(gw.base_url, "/api/budgets", "PUT", wrong_scope)[0] == 400
    no_user = {"name": "x", "scope": "user", "workload": "test", "amount_usd": "1"}
    status, refused = api(gw.base_url, "/api/budgets", "PUT", no_user)
    assert status == 400 and "each_user" in refused["error"]["message"]


def test_cli_sets_a_default_per_user_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from rungway.cli.main import cli

    url = f"sqlite:///{tmp_path}/budget.db"
    open_store(url)
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", url)
    done = CliRunner().invoke(
        cli, ["budgets", "set", "test-each", "--workload", "test", "--each-user", "--amount", "2"]
    )
    assert done.exit_code == 0, done.output
    assert "each user in test" in done.output
