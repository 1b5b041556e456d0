"""Per-workload health on SQLite and PostgreSQL: totals equal /api/usage's, percentiles from the histogram,
series bucketed in the window, nothing outside it counted."""

from __future__ import annotations

from rungway.domain.records import RequestRecord
from rungway.services.logs import usage_report
from rungway.services.overview import workload_health
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
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


def test_workload_health_over_a_window(store_url: str) -> None:
    engine = create_store_engine(store_url)
    try:
        upgrade(engine, [])
        rows = [_record(i, SINCE + 10 + i, "bot", latency_ms=float(10 * (i + 1)), cost=1000) for i in range(100)]
        rows += [_record(200 + i, SINCE + HOUR + 5 + i, "bot", 2500.0, status=502) for i in range(5)]
        rows += [_record(300, SINCE + 30, "search", 15_500.0)]
        rows += [_record(400, SINCE - 1, "bot", 1.0), _record(401, SINCE + 3 * HOUR, "bot", 1.0)]  # outside
        insert_requests(engine, rows)
        health = workload_health(engine, SINCE, SINCE + 3 * HOUR, 3600, None)
        bot, search = health
        assert (bot.workload, bot.requests, bot.errors, bot.cost_nano) == ("bot", 105, 5, 100_000)
        # latencies 10..1000 ms and five at 2500 ms: the 53rd of 105 is 530 ms, the 100th is 1000 ms
        assert bot.p50_ms == 540.0  # the upper edge of its 10 ms bucket
        assert bot.p95_ms == 1100.0  # 1000 ms falls in the 1000-1100 ms bucket
        assert [(t - SINCE, n, e) for t, n, e, _c in bot.series] == [(0.0, 100, 0), (HOUR, 5, 5), (2 * HOUR, 0, 0)]
        assert (search.requests, search.p50_ms, search.p95_ms) == (1, 16_000.0, 16_000.0)
        usage = {r.key: r for r in usage_report(engine, "workload", SINCE, SINCE + 3 * HOUR)}
        assert {w: (u.requests, u.errors, u.cost_nano) for w, u in usage.items()} == {
            h.workload: (h.requests, h.errors, h.cost_nano) for h in health
        }
        only = workload_health(engine, SINCE, SINCE + HOUR, 3600, ["search", "quiet"])
        assert [(h.workload, h.requests, h.p50_ms) for h in only] == [("quiet", 0, None), ("search", 1, 16_000.0)]
    finally:
        engine.dispose()
