"""Benchmark: the anomaly watcher's cost over a request log of N rows (default 1M), on SQLite or PostgreSQL.

    .venv/bin/python bench/anomalies/rollup_bench.py --backend sqlite --rows 1000000
    .venv/bin/python bench/anomalies/rollup_bench.py --backend postgres --rows 1000000

Rows are spread over the last 30 days in time order, 20 workloads, 3 models, 100 users, 2% errors; in the
newest closed hour one model of one workload fails (an anomaly to find, with its breakdown and traces).
Timed: the first tick (rolls up every hour of the log into `anomaly_hourly`: a one-off when the capability is
added to a store with history), a tick with one new hour to roll up and judge for the 20 workloads (the
steady state, every `tick_s`), and the same tick again with nothing new (most ticks: an hour closes once).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from collections.abc import Iterator

from sqlalchemy import Engine, create_engine, text

from rungway.anomalies.config import AnomaliesConfig
from rungway.anomalies.service import evaluate
from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade

WORKLOADS = [f"workload-{i:02d}" for i in range(20)]
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4"]
PG_BASE = os.environ.get("RUNGWAY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
COLUMNS = ("id", "ts_start", "ts_end", "workload", "user_id", "tags", "endpoint", "model_requested",
           "model_resolved", "provider", "status", "stream", "latency_ms", "tokens_in", "tokens_out",
           "tokens_cached", "cost_nano", "priced", "trace_id")  # fmt: skip
HOUR = 3600.0


def rows(n: int, end: float, bad_hour: float) -> Iterator[tuple[object, ...]]:
    rnd = random.Random(7)
    start = end - 30 * 86400
    step = (end - start) / n
    for i in range(n):
        ts = start + i * step
        w, model = WORKLOADS[i % 20], MODELS[(i // 20) % 3]
        failing = w == "workload-00" and model == "claude-sonnet-4" and bad_hour <= ts < bad_hour + HOUR
        status = 502 if failing or rnd.random() < 0.02 else 200
        latency = rnd.lognormvariate(6, 0.4)
        yield (f"req_{i:020d}", ts, ts + latency / 1000, w, f"user-{i % 100}", "{}", "chat.completions", model,
               model, "sim", status, False, latency, 50, 80, 0, 1234, True, f"{i:032x}")  # fmt: skip


def fill(engine: Engine, n: int, end: float, bad_hour: float) -> float:
    t0 = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY requests ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows(n, end, bad_hour):
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            batch: list[tuple[object, ...]] = []
            for row in rows(n, end, bad_hour):
                batch.append(row)
                if len(batch) == 50_000:
                    cur.executemany(sql, batch)
                    batch = []
            cur.executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


def open_store(backend: str) -> tuple[Engine, object]:
    if backend == "sqlite":
        path = "/tmp/rungway-anomaly-bench.db"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        return create_store_engine(f"sqlite:///{path}"), lambda: os.unlink(path)
    admin = create_engine(PG_BASE.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS anomaly_bench CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA anomaly_bench")

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA anomaly_bench CASCADE")
        admin.dispose()

    return create_store_engine(f"{PG_BASE}?options=-csearch_path%3Danomaly_bench"), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    engine, drop = open_store(args.backend)
    try:
        upgrade(engine, migration_packages())
        now = math.floor(time.time() / HOUR) * HOUR + 1800  # half past: the previous hour is the newest closed one
        bad_hour = now - 1800 - HOUR
        print(f"filled {args.rows:,} rows in {fill(engine, args.rows, now - 1800, bad_hour):.1f} s")
        config = AnomaliesConfig()
        t0 = time.perf_counter()
        first = evaluate(engine, config, now - HOUR)
        print(f"first tick (roll up the whole log, judge 1 hour x 20 workloads): {time.perf_counter() - t0:.2f} s, "
              f"{len(first)} changes")  # fmt: skip
        t0 = time.perf_counter()
        changes = evaluate(engine, config, now)
        steady = time.perf_counter() - t0
        found = [(c.kind, c.anomaly.workload, c.anomaly.metric, c.anomaly.dimension_value) for c in changes]
        print(f"tick with one new closed hour (roll up 1 h, judge 20 workloads x 7 metrics): {steady:.3f} s, "
              f"changes: {found}")  # fmt: skip
        t0 = time.perf_counter()
        evaluate(engine, config, now + 60)
        print(f"tick with nothing new: {time.perf_counter() - t0:.3f} s")
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]


if __name__ == "__main__":
    main()
