"""Benchmark: assess 20 workloads over a store holding N request-log rows and N spans (default 1M each).

    .venv/bin/python bench/assess_bench.py --backend sqlite --rows 1000000
    .venv/bin/python bench/assess_bench.py --backend postgres --rows 1000000

Rows are spread over the last 30 days in time order (as the gateway writes them), with one gateway
span per call (90% with captured input and output); 80% of calls render one of 4 library prompts (3
versions each). It reports, as medians of --rounds:
  * catch-up: the first assessment on a store whose hourly roll-up has never run (a one-off after
    upgrading a store that already holds history; a running server keeps the roll-up current);
  * assess:   `run_assessment` for all 20 workloads with the roll-up current (what `rungway assess`
    and the scheduled run do), and the same through the CLI in a fresh process (wall clock and the
    child's CPU time, which other work on the machine moves less);
  * prompt usage: `rungway prompts usage` of one prompt (per version, with p50/p95) over 7 and 30 days.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
from sqlalchemy import Engine, create_engine, text

from rungway.assessment.facts import rebuild_rollup
from rungway.assessment.service import run_assessment
from rungway.capability import migration_packages
from rungway.domain.workloads import Workload
from rungway.prompts.usage import prompt_usage
from rungway.settings.config import Config, parse_config
from rungway.settings.env import read_environment
from rungway.settings.yaml_source import YamlSource
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.workloads import upsert_workload

WORKLOADS = [f"workload-{i:02d}" for i in range(20)]
MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini", "claude-sonnet-4-20250514"]
REQUEST_COLUMNS = [
    "id",
    "ts_start",
    "ts_end",
    "workload",
    "key_id",
    "user_id",
    "team",
    "tags",
    "endpoint",
    "model_requested",
    "model_resolved",
    "provider",
    "provider_account",
    "status",
    "stream",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "tokens_cached",
    "cost_nano",
    "priced",
    "trace_id",
    "span_id",
    "prompt_name",
    "prompt_version",
]
SPAN_COLUMNS = [
    "trace_id",
    "span_id",
    "name",
    "kind",
    "source",
    "start_time",
    "end_time",
    "latency_ms",
    "status",
    "workload",
    "user_id",
    "tags",
    "tokens_in",
    "tokens_out",
    "cost_nano",
    "content",
]
PG_BASE = os.environ.get("RUNGWAY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def rows(n: int, now: float) -> Iterator[tuple[tuple[object, ...], tuple[object, ...]]]:
    rnd = random.Random(7)
    start = now - 30 * 86400
    step = 30 * 86400 / n
    full = orjson.dumps(
        {"attributes": {"gen_ai.input.messages": [{"role": "user", "content": "x" * 200}],
                        "gen_ai.output.messages": [{"role": "assistant", "content": "y" * 200}]}}
    )  # fmt: skip
    bare = orjson.dumps({"attributes": {"gen_ai.operation.name": "chat"}})
    for i in range(n):
        ts = start + i * step
        w = WORKLOADS[i % 20]
        trace, span = f"{i:032x}", f"{i:016x}"
        status = 200 if rnd.random() > 0.02 else 502
        user = f"user-{i % 500}" if rnd.random() > 0.03 else None
        prompt = f"prompt-{i % 4}" if (i // 7) % 5 else None  # 80% of calls render one of 4 prompts, 3 versions
        version = 1 + (i // 1000) % 3 if prompt else None
        request = (f"req_{i:020d}", ts, ts + 0.2, w, f"key_{w}", user, "team", "{}", "chat.completions", "m",
                   MODELS[i % 3], "sim", "org", status, False, 50.0 + i % 300, 50, 80, 0, 1234, True, trace, span,
                   prompt, version)  # fmt: skip
        content = full if (i // 20) % 10 else bare
        span_row = (trace, span, "chat m", "llm", "gateway", ts, ts + 0.2, 200.0, "ok" if status == 200 else "error",
                    w, user, "{}", 50, 80, 1234, content)  # fmt: skip
        yield request, span_row


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
            with cur.copy(f"COPY spans ({', '.join(SPAN_COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for _, span in rows(n, now):
                    copy.write_row(span)
        else:
            batch_r: list[tuple[object, ...]] = []
            batch_s: list[tuple[object, ...]] = []
            sql_r = (
                f"INSERT INTO requests ({', '.join(REQUEST_COLUMNS)}) VALUES ({', '.join('?' * len(REQUEST_COLUMNS))})"
            )
            sql_s = f"INSERT INTO spans ({', '.join(SPAN_COLUMNS)}) VALUES ({', '.join('?' * len(SPAN_COLUMNS))})"
            for request, span in rows(n, now):
                batch_r.append(request)
                batch_s.append(span)
                if len(batch_r) == 50_000:
                    cur.executemany(sql_r, batch_r)
                    cur.executemany(sql_s, batch_s)
                    batch_r, batch_s = [], []
            cur.executemany(sql_r, batch_r)
            cur.executemany(sql_s, batch_s)
        raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


def config(url: str) -> Config:
    return parse_config(YamlSource("<bench>", {"store": {"url": url}}, {}), read_environment())


def timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def open_store(backend: str) -> tuple[str, Engine, object]:
    if backend == "sqlite":
        path = Path("/tmp/rungway-assess-bench.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        return url, create_store_engine(url), lambda: path.unlink(missing_ok=True)
    admin = create_engine(PG_BASE.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS assess_bench CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA assess_bench")
    url = f"{PG_BASE}?options=-csearch_path%3Dassess_bench"

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA assess_bench CASCADE")

    return url, create_store_engine(url), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url, engine, cleanup = open_store(args.backend)
    try:
        upgrade(engine, migration_packages())
        now = time.time()
        print(f"{args.backend}: filling {args.rows:,} requests + {args.rows:,} spans ...", flush=True)
        print(f"  fill: {fill(engine, args.rows, now):.1f} s", flush=True)
        cfg = config(url)
        catch_up = [timed(lambda: rebuild_rollup(engine, time.time())) for _ in range(args.rounds)]
        rounded = [round(x, 2) for x in catch_up]
        print(f"  catch-up roll-up (one-off): median {statistics.median(catch_up):.2f} s {rounded}")
        warm = [timed(lambda: run_assessment(engine, cfg, trigger="manual")) for _ in range(args.rounds)]
        print(
            f"  assess 20 workloads (in process): median {statistics.median(warm):.3f} s {[round(x, 3) for x in warm]}"
        )
        env = dict(os.environ, RUNGWAY_DATABASE_URL=url)
        cli = Path(sys.executable).with_name("rungway")
        cmd = [str(cli), "assess", "--format", "json"]
        runs, cpu = [], []
        for _ in range(args.rounds):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs.append(timed(lambda: subprocess.run(cmd, env=env, check=True, capture_output=True)))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        print(f"  `rungway assess --format json` (fresh process): median {statistics.median(runs):.2f} s "
              f"{[round(x, 2) for x in runs]}, CPU {statistics.median(cpu):.2f} s")  # fmt: skip
        last = run_assessment(engine, cfg, persist=False)
        print(f"  stages: {sorted({a.stage for a in last.assessments})}; "
              f"traces verdict: {last.assessments[0].results['detailed_traces'].verdict.value}; "
              f"prompt_library: {last.assessments[0].results['prompt_library'].verdict.value}")  # fmt: skip
        for since, workload in (("7d", WORKLOADS[1]), ("7d", None), ("30d", None)):
            usage = [timed(lambda: prompt_usage(engine, "prompt-1", workload=workload, since=since))  # noqa: B023
                     for _ in range(args.rounds)]  # fmt: skip
            calls = prompt_usage(engine, "prompt-1", workload=workload, since=since).total.calls
            print(f"  prompt usage per version, {since}, {workload or 'all workloads'} ({calls:,} calls): "
                  f"median {statistics.median(usage):.3f} s {[round(x, 3) for x in usage]}")  # fmt: skip
    finally:
        engine.dispose()
        cleanup()  # type: ignore[operator]


if __name__ == "__main__":
    main()
