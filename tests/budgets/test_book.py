"""The budget book (`budgets/book.py`): which budgets cover a call, their periods and counters on an
injected clock, seeding from the request log, known spend, and reconciliation: after a counters outage,
each budget counter is reconciled with the request log within a bounded time (spend the counter lost is
recovered and holds whose settle was given up are released)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import openai
import pytest
from sqlalchemy import Engine

from rungway.alerts.public import Alerts, AlertSettings
from rungway.budgets.alerts import BudgetAlerts
from rungway.budgets.book import BudgetBook
from rungway.budgets.model import KEEP_AFTER_PERIOD_S, MAX_SPEND_NANO, MAX_TTL_S, Budget
from rungway.budgets.service import BudgetRequest, set_budget
from rungway.budgets.steps import BUDGETS, BudgetHolds, BudgetRuntime
from rungway.budgets.store import BudgetEvent
from rungway.counters.base import BudgetState, BudgetUse, Counters
from rungway.counters.registry import create_counters
from rungway.errors import ConfigError
from rungway.gateway.limits import settles_pending
from rungway.services.keys import create_api_key
from rungway.settings.config import CountersConfig
from rungway.store.writer import BatchWriter
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


def _utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def counters_config(request: pytest.FixtureRequest) -> CountersConfig:
    if request.param == "memory":
        return CountersConfig()
    url = str(request.getfixturevalue("redis_url"))
    return CountersConfig("redis", url, key_prefix=f"test:{secrets.token_hex(6)}:")


class Book:
    """A budget book over a real store and real counters, with the events its alerts record."""

    def __init__(self, engine: Engine, counters: Counters, **kwargs: object) -> None:
        self.engine = engine
        self.counters = counters
        self.events: list[BudgetEvent] = []
        self.errors: list[str] = []
        self.writer: BatchWriter[BudgetEvent] = BatchWriter("budget_events", self.events.extend)
        self.sender = Alerts(AlertSettings(), counters)
        self.alerts = BudgetAlerts(lambda: self.sender, self.writer)
        self.book = BudgetBook(engine, counters, self.alerts, on_error=self.errors.append, **kwargs)  # type: ignore[arg-type]


@asynccontextmanager
async def open_book(store_url: str, config: CountersConfig, **kwargs: object) -> AsyncIterator[Book]:
    counters = create_counters(config)
    book = Book(open_store(store_url), counters, **kwargs)
    book.writer.start()
    try:
        yield book
    finally:
        await book.book.stop()
        await book.sender.close()
        book.writer.close()
        await counters.close()


def budget(engine: Engine, name: str, scope: str = "workload", **kwargs: object) -> Budget:
    fields: dict[str, object] = {"workload": "test"} if scope in ("workload", "user") else {}
    fields.update(kwargs)
    return set_budget(engine, BudgetRequest(name=name, scope=scope, amount_usd=str(fields.pop("usd", "0.001")),
                                            **fields))  # type: ignore[arg-type]  # fmt: skip


def test_cover_finds_the_budgets_of_the_workload_user_team_and_key_with_hard_and_soft_limits(
    sqlite_url: str, counters_config: CountersConfig
) -> None:
    async def body() -> None:
        async with open_book(sqlite_url, counters_config) as b:
            key = create_api_key(b.engine, workload="test").key
            hard = budget(b.engine, "wl")
            soft = budget(b.engine, "alice", "user", user="alice", hard=False, usd="0.5")
            team = budget(b.engine, "qa", "team", team="qa", usd="2")
            own = budget(b.engine, "key", "key", key_id=key.id, usd="3")
            await b.book.refresh()
            now = _utc("2031-05-10T12:00:00")
            cover = b.book.cover("test", "alice", "qa", key.id, now)
            assert cover is not None
            assert [x.name for x, _ in cover.covered] == ["wl", "alice", "qa", "key"]
            assert cover.holds == (
                (hard.counter_key(_utc("2031-05-01T00:00:00")), 1_000_000),
                (soft.counter_key(_utc("2031-05-01T00:00:00")), None),  # soft: held, never refused
                (team.counter_key(_utc("2031-05-01T00:00:00")), 2_000_000_000),
                (own.counter_key(_utc("2031-05-01T00:00:00")), 3_000_000_000),
            )
            other_user = b.book.cover("test", "bob", "qa", None, now)
            assert other_user is not None and [x.name for x, _ in other_user.covered] == ["wl", "qa"]
            assert b.book.cover("elsewhere", "alice", None, None, now) is None  # alice's budget is test's alone
            assert b.book.cover("test", "alice", "qa", key.id, now) is cover  # cached until a period ends

    asyncio.run(body())


def test_an_empty_book_covers_nothing(sqlite_url: str) -> None:
    async def body() -> None:
        async with open_book(sqlite_url, CountersConfig()) as b:
            await b.book.refresh()
            assert b.book.cover("test", None, "qa", None, time.time()) is None

    asyncio.run(body())


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        ("daily", "2031-05-10T23:59:59", "2031-05-10T00:00:00", "2031-05-11T00:00:00"),
        ("weekly", "2031-05-10T12:00:00", "2031-05-05T00:00:00", "2031-05-12T00:00:00"),  # Monday to Monday
        ("monthly", "2031-12-31T23:59:59", "2031-12-01T00:00:00", "2032-01-01T00:00:00"),
        ("monthly", "2032-02-29T12:00:00", "2032-02-01T00:00:00", "2032-03-01T00:00:00"),
    ],
)
def test_a_period_ends_at_its_utc_boundary_where_the_next_counter_begins(
    sqlite_url: str, period: str, now: str, start: str, end: str
) -> None:
    async def body() -> None:
        async with open_book(sqlite_url, CountersConfig()) as b:
            made = budget(b.engine, "periodic", period=period)
            await b.book.refresh()
            inside = b.book.cover("test", None, "qa", None, _utc(now))
            assert inside is not None
            ((_, current),) = inside.covered
            assert (current.start, current.end, current.key) == (_utc(start), _utc(end), made.counter_key(_utc(start)))
            assert b.book.cover("test", None, "qa", None, _utc(end) - 0.001) is inside
            after = b.book.cover("test", None, "qa", None, _utc(end))
            assert after is not None and after.covered[0][1].start == _utc(end)
            assert after.holds[0][0] == made.counter_key(_utc(end)) != current.key
            assert current.ttl_s(_utc(end) - 100) == 100 + KEEP_AFTER_PERIOD_S  # kept a day past its end

    asyncio.run(body())


def test_a_fixed_window_covers_only_from_its_start_to_its_end(sqlite_url: str) -> None:
    async def body() -> None:
        start, end = _utc("2031-06-01T00:00:00"), _utc("2031-06-15T00:00:00")
        async with open_book(sqlite_url, CountersConfig()) as b:
            budget(b.engine, "launch", period="fixed", starts_at=start, ends_at=end)
            await b.book.refresh()
            assert b.book.cover("test", None, "qa", None, start - 1) is None
            inside = b.book.cover("test", None, "qa", None, start)  # the cached "none" ended at the start
            assert inside is not None and (inside.covered[0][1].start, inside.covered[0][1].end) == (start, end)
            assert inside.ttl_s == int(end - start) + KEEP_AFTER_PERIOD_S
            assert b.book.cover("test", None, "qa", None, end - 1) is inside
            assert b.book.cover("test", None, "qa", None, end) is None

    asyncio.run(body())


def test_a_counter_lives_at_most_400_days_however_long_its_period(sqlite_url: str) -> None:
    async def body() -> None:
        async with open_book(sqlite_url, CountersConfig()) as b:
            now = _utc("2031-01-01T00:00:00")
            budget(b.engine, "decade", period="fixed", starts_at=now, ends_at=now + 3650 * 86400)
            await b.book.refresh()
            cover = b.book.cover("test", None, "qa", None, now)
            assert cover is not None and cover.ttl_s == MAX_TTL_S + KEEP_AFTER_PERIOD_S

    asyncio.run(body())


def test_threshold_marks_are_the_budgets_percentages_in_nano_dollars(sqlite_url: str) -> None:
    async def body() -> None:
        async with open_book(sqlite_url, CountersConfig()) as b:
            budget(b.engine, "marked", thresholds=(100, 50, 80))
            budget(b.engine, "marked-team", "team", team="qa", thresholds=(120,), usd="2")
            await b.book.refresh()
            cover = b.book.cover("test", None, "qa", None, time.time())
            assert cover is not None
            assert cover.marks == (((50, 500_000), (80, 800_000), (100, 1_000_000)), ((120, 2_400_000_000),))
            assert cover.mark_span == ((500_000, 1_000_000), (2_400_000_000, 2_400_000_000))

    asyncio.run(body())


def test_a_changed_budget_replaces_the_cached_cover_at_the_next_refresh(sqlite_url: str) -> None:
    async def body() -> None:
        async with open_book(sqlite_url, CountersConfig()) as b:
            budget(b.engine, "wl")
            await b.book.refresh()
            now = time.time()
            before = b.book.cover("test", None, "qa", None, now)
            budget(b.engine, "wl", usd="0.002", hard=False)
            assert b.book.cover("test", None, "qa", None, now) is before  # no I/O on the request path
            await b.book.refresh()
            after = b.book.cover("test", None, "qa", None, now)
            assert after is not None and after.holds[0][1] is None and after.covered[0][0].amount_nano == 2_000_000

    asyncio.run(body())


def test_refresh_seeds_each_counter_from_the_request_log_and_reports_thresholds_already_passed(
    store_url: str, counters_config: CountersConfig
) -> None:
    async def body() -> None:
        async with open_book(store_url, counters_config) as b:
            made = budget(b.engine, "wl", thresholds=(50, 80, 100))
            prespend(b.engine, 850_000)
            await b.book.refresh()
            key = b.book.period(made, time.time()).key
            assert await b.counters.budget_state([key]) == [BudgetState(850_000, 0)]
            assert b.book.known_spend(key) == 850_000
            assert b.writer.flush(10)
            assert sorted((e.kind, e.spent_nano, e.message) for e in b.events) == [
                ("threshold", 850_000, "50% of budget reached"),
                ("threshold", 850_000, "80% of budget reached"),
            ]
            await b.book.refresh()  # seeded once per period: a second refresh neither seeds nor alerts again
            assert b.writer.flush(10) and len(b.events) == 2

    asyncio.run(body())


def test_known_spend_keeps_the_highest_seen_within_the_spend_bound(sqlite_url: str) -> None:
    async def body() -> None:
        async with open_book(sqlite_url, CountersConfig()) as b:
            assert b.book.known_spend("budget:x:0") == 0
            b.book.saw_spend("budget:x:0", 500)
            b.book.saw_spend("budget:x:0", 200)
            assert b.book.known_spend("budget:x:0") == 500
            b.book.saw_spend("budget:x:0", 2**62)
            assert b.book.known_spend("budget:x:0") == MAX_SPEND_NANO

    asyncio.run(body())


def test_reconcile_raises_spend_to_the_log_and_releases_lost_holds_but_waits_for_pending_settles(
    store_url: str, counters_config: CountersConfig
) -> None:
    pending = [1]

    async def body() -> None:
        async with open_book(store_url, counters_config, settles_pending=lambda: pending[0]) as b:
            made = budget(b.engine, "wl")
            await b.book.refresh()
            key = b.book.period(made, time.time()).key
            hold = BudgetUse(key, 40_000, 1_000_000, 3600)
            assert await b.counters.admit((), [hold]) is None
            prespend(b.engine, 300_000)
            b.book.settle_lost(key, 40_000)
            assert not await b.book.reconcile()  # a settle still being retried would be counted twice
            assert await b.counters.budget_state([key]) == [BudgetState(0, 40_000)]
            pending[0] = 0
            assert await b.book.reconcile() and b.book.reconciliations == 1
            assert await b.counters.budget_state([key]) == [BudgetState(300_000, 0)]
            assert b.book.known_spend(key) == 300_000

    asyncio.run(body())


def test_an_unreachable_counters_backend_leaves_the_budgets_enforced_and_reports_each_failure(sqlite_url: str) -> None:
    async def body() -> None:
        gone = CountersConfig("redis", "redis://127.0.0.1:1/0")
        async with open_book(sqlite_url, gone) as b:
            made = budget(b.engine, "wl")
            await b.book.refresh()
            assert b.errors == ["seed_failed"]
            assert b.book.cover("test", None, "qa", None, time.time()) is not None  # still enforced (open/closed)
            key = b.book.period(made, time.time()).key
            b.book.settle_lost(key, 7)
            assert not await b.book.reconcile()
            assert b.errors == ["seed_failed", "reconcile_failed"]

    asyncio.run(body())


def test_start_loads_the_budgets_and_keeps_refreshing_until_stopped(sqlite_url: str) -> None:
    async def body() -> None:
        async with open_book(sqlite_url, CountersConfig(), refresh_s=0.01) as b:
            budget(b.engine, "first")
            await b.book.start()
            assert [x.name for x in b.book.budgets] == ["first"]  # loaded before start returns
            budget(b.engine, "second", "team", team="qa")
            deadline = time.monotonic() + 10
            while len(b.book.budgets) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)  # waiting for the background refresh, not for time to pass
            assert sorted(x.name for x in b.book.budgets) == ["first", "second"]
            await b.book.stop()
            budget(b.engine, "third", "team", team="qa", usd="1")
            await b.book.refresh()  # stopped: only an explicit refresh loads more
            assert len(b.book.budgets) == 3

    asyncio.run(body())


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
