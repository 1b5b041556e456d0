"""Per-workload health on SQLite and PostgreSQL: totals equal /api/usage's, percentiles from the histogram,
slots in the window, nothing outside it counted; the same answers with and without the hourly roll-up."""

from __future__ import annotations

import pytest

from rungway.domain.records import RequestRecord
from rungway.services.logs import usage_report
from rungway.services.overview import usage_totals, workload_health
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.request_stats import rebuild_request_hourly, rollup_watermark
from rungway.store.requests import insert_requests

SINCE = 1_764_000_000.0  # an hour-aligned instant
HOUR = 3600.0


def _record(i: int, ts: float, workload: str, latency_ms: float, status: int = 200, cost: int = 0) -> RequestRecord:
    return RequestRecord(
        id=f"req_{i:08d}",
        ts_start=ts,
        ts_end=ts + latency_ms / 1000,
        workload=workload,
        key_id="k",
        user=None,
        team=None,
        status=status,
        latency_ms=latency_ms,
        cost_nano=cost,
    )


@pytest.mark.parametrize("rolled_up", [False, True], ids=["log", "rollup"])
def test_workload_health_over_a_window(store_url: str, rolled_up: bool) -> None:
    engine = create_store_engine(store_url)
    try:
        upgrade(engine, [])
        rows = [_record(i, SINCE + 10 + i, "bot", latency_ms=float(10 * (i + 1)), cost=1000) for i in range(100)]
        rows += [_record(200 + i, SINCE + HOUR + 5 + i, "bot", 2500.0, status=502) for i in range(5)]
        rows += [_record(300, SINCE + 30, "search", 15_500.0)]
        rows += [_record(400, SINCE - 1, "bot", 1.0), _record(401, SINCE + 3 * HOUR, "bot", 1.0)]  # outside
        insert_requests(engine, rows)
        if rolled_up:
            assert rebuild_request_hourly(engine, SINCE + 10 * HOUR) == 10  # from the first call's hour
            assert rollup_watermark(engine) == SINCE + 9 * HOUR
        health = workload_health(engine, SINCE, SINCE + 3 * HOUR, 3600, None)
        bot, search = health
        assert (bot.workload, bot.requests, bot.errors, bot.cost_nano) == ("bot", 105, 5, 100_000)
        # latencies 10..1000 ms and five at 2500 ms: the 53rd of 105 is 530 ms, the 100th is 1000 ms
        assert bot.p50_ms == 550.0  # the upper edge of its 25 ms bucket
        assert bot.p95_ms == 1250.0  # 1000 ms falls in the 1000-1250 ms bucket
        assert [(t - SINCE, n, e) for t, n, e, _c in bot.series] == [(0.0, 100, 0), (HOUR, 5, 5), (2 * HOUR, 0, 0)]
        assert (search.requests, search.p50_ms, search.p95_ms) == (1, 20_000.0, 20_000.0)
        usage = {r.key: r for r in usage_report(engine, "workload", SINCE, SINCE + 3 * HOUR)}
        assert {w: (u.requests, u.errors, u.cost_nano) for w, u in usage.items()} == {
            h.workload: (h.requests, h.errors, h.cost_nano) for h in health
        }
        only = workload_health(engine, SINCE, SINCE + HOUR, 3600, ["search", "quiet"])
        assert [(h.workload, h.requests, h.p50_ms) for h in only] == [("quiet", 0, None), ("search", 1, 20_000.0)]
        # a window that starts and ends inside hours: the edges come from the log, the middle from the roll-up
        edges = usage_totals(engine, SINCE + 50, SINCE + HOUR + 7)
        assert (edges["bot"].requests, edges["bot"].errors) == (60 + 2, 2)
        assert "search" not in edges
    finally:
        engine.dispose()


def test_minute_slots_read_the_log(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    try:
        upgrade(engine, [])
        insert_requests(engine, [_record(i, SINCE + 61 * i, "bot", 5.0) for i in range(3)])
        (bot,) = workload_health(engine, SINCE, SINCE + 180, 60)
        assert [(t - SINCE, n) for t, n, _e, _c in bot.series] == [(0.0, 1), (60.0, 1), (120.0, 1)]
        assert bot.p50_ms == 10.0
    finally:
        engine.dispose()
