"""Benchmark: forecast reads over a store holding N request-log rows (default 1M) on SQLite or PostgreSQL.

    .venv/bin/python bench/forecasts/reads.py --backend sqlite --rows 1000000
    .venv/bin/python bench/forecasts/reads.py --backend postgres --rows 1000000

Rows are spread over the last 90 days in time order (20 workloads in 5 teams, 3 models, 2,000 users, a weekly
pattern in the costs), each stored on time. It reports, as medians of --rounds:
  * catch-up: the first roll-up of the whole history into `forecast_daily` (a one-off after upgrading a store
    that already holds history; a running server then adds each closed hour);
  * refresh: one more refresh with the roll-up current (what each read and each round of the loop pays);
  * forecast by workload / team / model / user, 7 and 30 days, every workload (the admin's view) and one
    workload, with the model's cache cleared first (a fit per key, as on the first read of a day);
  * budgets: the exhaustion dates of 20 workload budgets;
  * and, for scale, one daily-by-user aggregate straight from the request log (what the roll-up spares).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, Integer, cast, create_engine, func, select, text

from rungway.budgets.service import BudgetRequest, set_budget
from rungway.capability import migration_packages
from rungway.domain.timespec import DAY
from rungway.domain.workloads import Workload
from rungway.forecasts.model import fit_forecast
from rungway.forecasts.service import budget_outlooks, forecast_spend
from rungway.forecasts.store import refresh_rollup
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.schema import requests
from rungway.store.workloads import upsert_workload

PG_BASE = os.environ.get("RUNGWAY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
WORKLOADS = [f"workload-{i:02d}" for i in range(20)]
MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini", "claude-sonnet-4-20250514"]
COLUMNS = ["id", "ts_start", "ts_end", "workload", "key_id", "user_id", "team", "tags", "endpoint", "model_requested",
           "status", "stream", "latency_ms", "tokens_in", "tokens_out", "tokens_cached", "cost_nano", "priced",
           "recorded_at"]  # fmt: skip


def rows(n: int, now: float) -> Iterator[tuple[object, ...]]:
    rnd = random.Random(7)
    start = now - 90 * DAY
    step = 90 * DAY / n
    for i in range(n):
        ts = start + i * step
        w = i % 20
        weekend = (int(ts // DAY) + 3) % 7 >= 5
        cost = int(rnd.uniform(500, 3_000) * (1 + w) * (0.4 if weekend else 1.0) * 1_000)
        yield (f"req_{i:020d}", ts, ts + 0.2, WORKLOADS[w], f"key_{w}", f"user-{i % 2000}", f"team-{w % 5}", "{}",
               "chat.completions", MODELS[i % 3], 200, False, 50.0, 50, 80, 0, cost, True, ts + 0.3)  # fmt: skip


def fill(engine: Engine, n: int, now: float) -> float:
    t0 = time.perf_counter()
    for i, w in enumerate(WORKLOADS):
        upsert_workload(engine, Workload(name=w, team=f"team-{i % 5}"))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY requests ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows(n, now):
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            batch: list[tuple[object, ...]] = []
            for row in rows(n, now):
                batch.append(row)
                if len(batch) == 50_000:
                    cur.executemany(sql, batch)
                    batch = []
            cur.executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


def open_store(backend: str) -> tuple[Engine, Callable[[], None]]:
    if backend == "sqlite":
        path = Path("/tmp/rungway-forecasts-bench.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return create_store_engine(f"sqlite:///{path}"), lambda: path.unlink(missing_ok=True)
    admin = create_engine(PG_BASE.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS forecasts_bench CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA forecasts_bench")

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA forecasts_bench CASCADE")

    return create_store_engine(f"{PG_BASE}?options=-csearch_path%3Dforecasts_bench"), drop


def median_s(fn: Callable[[], object], rounds: int, cold: bool = True) -> float:
    times = []
    for _ in range(rounds):
        if cold:
            fit_forecast.cache_clear()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def from_the_log(engine: Engine, now: float) -> int:
    c = requests.c
    day = (
        cast(c.ts_start / DAY, Integer)
        if engine.dialect.name == "sqlite"
        else cast(func.floor(c.ts_start / DAY), Integer)
    )
    q = select(day, c.user_id, func.sum(c.cost_nano)).where(c.ts_start >= now - 90 * DAY).group_by(day, c.user_id)
    with engine.connect() as conn:
        return len(conn.execute(q).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine, cleanup = open_store(args.backend)
    try:
        upgrade(engine, migration_packages())
        now = time.time()
        print(f"{args.backend}: filling {args.rows:,} requests over 90 days ...", flush=True)
        print(f"  fill: {fill(engine, args.rows, now):.1f} s", flush=True)
        t0 = time.perf_counter()
        refresh_rollup(engine, now)
        print(f"  catch-up roll-up (one-off): {time.perf_counter() - t0:.2f} s", flush=True)
        if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk insert: plan on statistics
            with engine.begin() as conn:
                conn.execute(text("ANALYZE forecast_daily"))
        print(f"  refresh, roll-up current: {median_s(lambda: refresh_rollup(engine, now), args.rounds) * 1000:.1f} ms")
        for w in WORKLOADS:
            set_budget(engine, BudgetRequest(name=f"{w}-monthly", scope="workload", amount_usd="5000", workload=w))
        for by in ("workload", "team", "model", "user"):
            for days in (7, 30):
                every = median_s(lambda by=by, days=days: forecast_spend(engine, by, days, None, now), args.rounds)
                one = median_s(
                    lambda by=by, days=days: forecast_spend(engine, by, days, WORKLOADS[3], now), args.rounds
                )
                warm = median_s(
                    lambda by=by, days=days: forecast_spend(engine, by, days, None, now), args.rounds, cold=False
                )
                print(f"  forecast by {by:<8} {days:>2} d: every workload {every * 1000:7.1f} ms (cached fits "
                      f"{warm * 1000:6.1f} ms), one workload {one * 1000:6.1f} ms")  # fmt: skip
        budgets = median_s(lambda: budget_outlooks(engine, None, True, now), args.rounds)
        print(f"  budgets: 20 exhaustion dates {budgets * 1000:.1f} ms")
        log = median_s(lambda: from_the_log(engine, now), 1)
        print(f"  for scale: daily spend by user straight from the request log {log * 1000:.0f} ms")
    finally:
        engine.dispose()
        cleanup()


if __name__ == "__main__":
    main()
