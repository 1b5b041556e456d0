"""The hourly roll-up the detector reads: each closed hour once, every metric's inputs, the series per metric."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, insert

from rungway.anomalies.detector import DAY, HOUR
from rungway.anomalies.rollup import HourStats, metric_series, read_hours, refresh_anomaly_hourly, rollup_watermark
from rungway.store.schema import requests
from tests.anomalies.support import CALLS_PER_HOUR, fixed_now, seed_traffic

NOW = fixed_now()
LAST_CLOSED = NOW - 1800 - HOUR


def test_the_rollup_counts_each_closed_hour_once(engine: Engine) -> None:
    seed_traffic(engine, "test", LAST_CLOSED - 2 * DAY, 48)
    assert refresh_anomaly_hourly(engine, NOW, 2) > 0
    assert refresh_anomaly_hourly(engine, NOW, 2) == 0
    assert rollup_watermark(engine) == LAST_CLOSED + HOUR  # every call before it is rolled up
    hours = read_hours(engine, "test", LAST_CLOSED - 2 * DAY, LAST_CLOSED)
    assert len(hours) == 48 and all(h.calls == CALLS_PER_HOUR for h in hours.values())
    assert all(h.tokens == 150 * CALLS_PER_HOUR and h.cost_nano == 1000 * CALLS_PER_HOUR for h in hours.values())


def test_refusals_filter_hits_and_time_to_first_token_are_rolled_up(engine: Engine) -> None:
    base = {"workload": "w", "endpoint": "chat", "status": 200, "latency_ms": 300.0, "tags": "{}", "stream": True}
    rows = [
        {**base, "id": uuid.uuid4().hex, "ts_start": LAST_CLOSED + i, "ts_end": LAST_CLOSED + i + 0.3,
         "ttft_ms": 40.0 + i, "guardrails": ("input:pii.email:block" if i < 2 else "output:terms.x:redact" if i < 5
                                             else None)}
        for i in range(10)
    ]  # fmt: skip
    rows.append(
        {**base, "id": "late", "ts_start": NOW, "ts_end": NOW, "ttft_ms": None, "guardrails": None}
    )  # not closed yet
    with engine.begin() as conn:
        conn.execute(insert(requests), rows)
    refresh_anomaly_hourly(engine, NOW, 2)
    (hour,) = read_hours(engine, "w", LAST_CLOSED - DAY, NOW + HOUR).values()
    assert (hour.calls, hour.refusals, hour.filter_hits) == (10, 2, 5)
    assert hour.value("refusal_rate") == (0.2, 10) and hour.value("filter_hit_rate") == (0.5, 10)
    ttft = hour.value("ttft_p95")
    assert ttft is not None and 45 <= ttft[0] <= 55 and ttft[1] == 10
    series = metric_series({LAST_CLOSED: hour})
    assert (
        series["latency_p95"][LAST_CLOSED].value == 325.0 and series["error_rate"][LAST_CLOSED].value == 0.0
    )  # 300 ms: the 300-325 ms bucket


def test_an_hour_without_calls_has_no_value() -> None:
    assert HourStats().value("error_rate") is None and HourStats().value("ttft_p95") is None
    assert metric_series({0.0: HourStats()})["error_rate"] == {}
