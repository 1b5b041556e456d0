"""The daily roll-up on SQLite and PostgreSQL: it adds up to the request log per dimension, closed hours are
rolled up once however often (and from however many processes) it is refreshed, and the alert episodes."""

from __future__ import annotations

import math
import time

import pytest
from sqlalchemy import Engine, func, insert, select

from rungway.domain.pricing import NANO_PER_USD
from rungway.domain.timespec import DAY
from rungway.forecasts.store import (
    AlertEpisode,
    close_episode,
    daily_spend,
    forecast_daily,
    open_episode,
    open_episodes,
    read_episodes,
    refresh_rollup,
    rollup_watermark,
)
from rungway.store.schema import requests
from tests.forecasts.support import open_store, seed_spend


@pytest.fixture
def engine(store_url: str) -> Engine:
    return open_store(store_url)


def _logged(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(requests.c.cost_nano), 0))).scalar_one())


def test_the_rollup_adds_up_to_the_request_log_by_every_dimension(engine: Engine) -> None:
    now = time.time()
    seed_spend(engine, "test", 20, models=("gpt-4o", "gpt-4o-mini"), users=("ann", "bob"), now=now, today=False)
    seed_spend(engine, "other", 10, team="ops", now=now, today=False)
    assert refresh_rollup(engine, now) > 0
    today = math.floor(now / DAY)
    for dim in ("workload", "team", "model", "user", "key"):
        rows = daily_spend(engine, dim, today - 30, today)
        assert sum(r.cost_nano for r in rows) == _logged(engine), dim
    by_model = {r.key for r in daily_spend(engine, "model", today - 30, today, workload="test")}
    assert by_model == {"gpt-4o", "gpt-4o-mini"}
    users = daily_spend(engine, "user", today - 30, today, workload="test", key="ann")
    assert len(users) == 20 and all(r.requests == 2 for r in users)  # one call per model each day
    assert {r.key for r in daily_spend(engine, "team", today - 30, today)} == {"qa", "ops"}


def test_refreshing_again_counts_nothing_twice(engine: Engine) -> None:
    now = time.time()
    seed_spend(engine, "test", 5, now=now, today=False)
    refresh_rollup(engine, now)
    assert refresh_rollup(engine, now) == 0
    assert refresh_rollup(open_store(str(engine.url.render_as_string(hide_password=False))), now) == 0
    watermark = rollup_watermark(engine)
    assert watermark is not None and now - 2 * 3_600 < watermark <= now
    today = math.floor(now / DAY)
    assert sum(r.cost_nano for r in daily_spend(engine, "workload", today - 10, today)) == _logged(engine)
    seed_spend(engine, "test", 0, now=now + 2 * DAY, today=True)  # a call two days on
    refresh_rollup(engine, now + 3 * DAY)
    assert sum(r.cost_nano for r in daily_spend(engine, "workload", today - 10, today + 5)) == _logged(engine)
    assert _logged(engine) > 5 * 4 * NANO_PER_USD


def test_an_episode_is_opened_once_and_closed(engine: Engine) -> None:
    now = time.time()
    episode = AlertEpisode("bud_1:100:1", "bud_1", "monthly", "test", 100.0, now + DAY, now + 3_600, now, now + 7_200,
                           now, None, "runs out")  # fmt: skip
    assert open_episode(engine, episode)
    assert not open_episode(engine, episode)  # another replica opened it first
    assert list(open_episodes(engine)) == [("bud_1", 100.0)]
    close_episode(engine, episode.id, now + 60)
    assert open_episodes(engine) == {}
    stored = read_episodes(engine, ["bud_1"])
    assert [e.closed_at for e in stored] == [now + 60]
    assert read_episodes(engine, []) == [] and read_episodes(engine, ["bud_2"]) == []
    assert len(read_episodes(engine, None)) == 1


def test_late_rows_are_recounted_into_their_days(engine: Engine) -> None:
    now = time.time()
    seed_spend(engine, "test", 3, now=now, today=False)
    refresh_rollup(engine, now)
    seed_spend(engine, "test", 10, now=now, today=False)  # a spill replayed: calls of days already rolled up
    refresh_rollup(engine, now + 60)
    today = math.floor(now / DAY)
    assert sum(r.cost_nano for r in daily_spend(engine, "workload", today - 20, today)) == _logged(engine)
    assert sum(r.cost_nano for r in daily_spend(engine, "user", today - 20, today)) == _logged(engine)


def test_a_day_rolled_up_an_hour_at_a_time_is_compacted_to_a_row_per_key(engine: Engine) -> None:
    day = math.floor(time.time() / DAY) - 3
    rows = [{"id": f"req_h{h}", "ts_start": day * DAY + h * 3_600 + 60, "ts_end": day * DAY + h * 3_600 + 61,
             "recorded_at": day * DAY + h * 3_600 + 62, "workload": "test", "user_id": "ann", "team": "qa",
             "endpoint": "chat.completions", "status": 200, "latency_ms": 1.0, "cost_nano": 1_000 + h, "priced": True}
            for h in range(24)]  # fmt: skip
    with engine.begin() as conn:  # written on time (not late rows): only the hourly roll-up sees them
        conn.execute(insert(requests), rows)
    for hour in range(1, 26):  # a server's loop: an hour at a time, past midnight
        refresh_rollup(engine, day * DAY + hour * 3_600 + 601)
        if hour == 12:
            with engine.connect() as conn:
                c = forecast_daily.c
                assert conn.execute(select(func.count()).where(c.day == day, c.dim == "user")).scalar_one() > 1
    with engine.connect() as conn:
        c = forecast_daily.c
        counted = conn.execute(select(c.dim, func.count()).where(c.day == day).group_by(c.dim)).all()
    assert dict(counted) == {"workload": 1, "team": 1, "model": 1, "user": 1, "key": 1}
    assert [r.cost_nano for r in daily_spend(engine, "user", day, day, key="ann")] == [
        sum(1_000 + h for h in range(24))
    ]
