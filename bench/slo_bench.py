"""Benchmark: evaluate SLOs over a store holding N request-log rows (default 1M, 30 days, 20 workloads).

    .venv/bin/python bench/slo_bench.py --backend sqlite --rows 1000000
    .venv/bin/python bench/slo_bench.py --backend postgres --rows 1000000

Rows are seeded as bench/assess_bench.py seeds them (time order over the last 30 days, 2% failing with 502,
latency 50-350 ms). 40 SLOs: per workload an availability SLO and a latency SLO (300 ms) over 30 days. It
reports, as medians of --rounds:
  * catch-up: the first evaluation loop tick, which rolls up 30 days of hours for every SLO (a one-off when an
    SLO is created: later ticks roll up one hour at most);
  * tick: one evaluation loop tick of all 40 SLOs with the roll-ups current (roll-up, SLI over 30 days, seven
    burn windows, snapshot, alert state), what the server does every `slos.tick_s`;
  * one SLO: the SLI and burn rates of one SLO (`GET /api/slos/{name}`'s work);
  * scan: the same 30-day SLI as one live count over the log (no roll-up), for comparison.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from assess_bench import REQUEST_COLUMNS, WORKLOADS, rows  # type: ignore[import-not-found]
from sqlalchemy import Engine, create_engine, text

from rungway.capability import migration_packages
from rungway.domain.workloads import Workload
from rungway.slos import store
from rungway.slos.config import SloConfig
from rungway.slos.measure import _live, evaluate
from rungway.slos.model import Slo, check_slo
from rungway.slos.monitor import SloMonitor
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.workloads import upsert_workload

PG_BASE = os.environ.get("RUNGWAY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SCHEMA = "slo_bench"


def open_store(backend: str) -> tuple[Engine, object]:
    if backend == "sqlite":
        path = Path("/tmp/rungway-slo-bench.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return create_store_engine(f"sqlite:///{path}"), lambda: path.unlink(missing_ok=True)
    admin = create_engine(PG_BASE.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {SCHEMA} CASCADE")

    return create_store_engine(f"{PG_BASE}?options=-csearch_path%3D{SCHEMA}"), drop


def fill(engine: Engine, n: int, now: float) -> float:
    t0 = time.perf_counter()
    for w in WORKLOADS:
        upsert_workload(engine, Workload(name=w))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY requests ({', '.join(REQUEST_COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for request, _ in rows(n, now):
                    copy.write_row(request)
        else:
            sql = (
                f"INSERT INTO requests ({', '.join(REQUEST_COLUMNS)}) VALUES ({', '.join('?' * len(REQUEST_COLUMNS))})"
            )
            batch: list[tuple[object, ...]] = []
            for request, _ in rows(n, now):
                batch.append(request)
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


def slos() -> list[Slo]:
    made = []
    for w in WORKLOADS:
        made.append(check_slo(w, "availability", {"kind": "availability", "objective": 99.5}))
        made.append(check_slo(w, "latency", {"kind": "latency", "objective": 0.9, "threshold_ms": 300}))
    return made


def timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine, cleanup = open_store(args.backend)
    try:
        upgrade(engine, migration_packages())
        now = time.time()
        print(f"{args.backend}: filling {args.rows:,} requests ...", flush=True)
        print(f"  fill: {fill(engine, args.rows, now):.1f} s", flush=True)
        defined = [store.put_definition(engine, s, "api", None, now) for s in slos()]
        monitor = SloMonitor(engine, SloConfig(snapshot_every_s=60))
        catch_up = timed(lambda: monitor.evaluate_all(time.time()))
        print(f"  catch-up (first tick, 30 days of hours for {len(defined)} SLOs): {catch_up:.2f} s", flush=True)
        ticks = [timed(lambda: monitor.evaluate_all(time.time())) for _ in range(args.rounds)]
        tick = statistics.median(ticks)
        print(f"  tick ({len(defined)} SLOs, roll-ups current): {tick:.3f} s median "
              f"({tick / len(defined) * 1000:.1f} ms per SLO)", flush=True)  # fmt: skip
        one = statistics.median(timed(lambda: evaluate(engine, defined[0], time.time())) for _ in range(args.rounds))
        print(f"  one SLO (30-day SLI + 7 burn windows): {one * 1000:.1f} ms median", flush=True)

        def scan() -> None:
            with engine.connect() as conn:
                _live(conn, defined[0].slo, [(time.time() - 30 * 86400, time.time())])

        scanned = statistics.median(timed(scan) for _ in range(args.rounds))
        print(f"  scan (the same 30-day SLI as one live count, no roll-up): {scanned * 1000:.1f} ms median", flush=True)
        status = evaluate(engine, defined[0], time.time())
        print(
            f"  check: {defined[0].slo.workload} availability SLI {status.sli:.4f} over {status.window.total:,} calls"
        )
    finally:
        engine.dispose()
        cleanup()  # type: ignore[operator]


if __name__ == "__main__":
    main()
