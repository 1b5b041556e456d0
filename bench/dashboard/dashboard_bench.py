"""Benchmark: every dashboard page over a store holding N request-log rows and N spans (default 1M each).

    .venv/bin/python bench/dashboard/dashboard_bench.py --backend sqlite --rows 1000000
    .venv/bin/python bench/dashboard/dashboard_bench.py --backend postgres --rows 1000000

Rows are spread over the last 30 days in time order (as the gateway writes them), 20 workloads, 500 users,
3 models, 2% errors, one gateway span (and its trace roll-up) per call, 90% with captured prompt and output.
The request log's hourly roll-up is caught up first (timed: a one-off after upgrading a store that already
holds history; a running server keeps it current). A real server (the same `create_app` as `rungway serve`)
runs in this process on 127.0.0.1; the bench signs
in with the admin key and times each page (server time to the last byte, over loopback) as the median of
--rounds after one warm-up. Every page in the navigation is timed, so pages added later are measured too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import requests
from aiohttp import web
from sqlalchemy import Engine, create_engine, text

from rungway.capability import migration_packages, registered_sections
from rungway.domain.workloads import Workload
from rungway.server import create_app
from rungway.settings.config import Config, parse_config
from rungway.settings.env import read_environment
from rungway.settings.yaml_source import YamlSource
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.request_stats import refresh_request_hourly
from rungway.store.workloads import upsert_workload

WORKLOADS = [f"workload-{i:02d}" for i in range(20)]
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4"]
ADMIN = "bench-admin-key"
PG_BASE = os.environ.get("RUNGWAY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUEST_COLUMNS = ("id", "ts_start", "ts_end", "workload", "key_id", "user_id", "team", "tags", "endpoint",
                   "model_requested", "model_resolved", "provider", "provider_account", "status", "stream",
                   "latency_ms", "tokens_in", "tokens_out", "tokens_cached", "cost_nano", "priced", "trace_id",
                   "span_id")  # fmt: skip
SPAN_COLUMNS = ("trace_id", "span_id", "name", "kind", "source", "start_time", "end_time", "latency_ms", "status",
                "workload", "user_id", "tags", "model", "tokens_in", "tokens_out", "cost_nano", "content")  # fmt: skip


def rows(n: int, now: float) -> Iterator[tuple[tuple[object, ...], tuple[object, ...]]]:
    rnd = random.Random(7)
    start = now - 30 * 86400
    step = 30 * 86400 / n
    bare = orjson.dumps({"attributes": {"gen_ai.operation.name": "chat"}})
    for i in range(n):
        ts = start + i * step
        w = WORKLOADS[i % 20]
        trace, span = f"{i:032x}", f"{i:016x}"
        status = 200 if rnd.random() > 0.02 else 502
        user = f"user-{i % 500}"
        model = MODELS[i % 3]
        latency = rnd.lognormvariate(6, 0.6)
        request = (f"req_{i:020d}", ts, ts + latency / 1000, w, f"key_{w}", user, "team", "{}", "chat.completions",
                   model, model, "sim", "org", status, False, latency, 50, 80, 0, 1234, True, trace, span)  # fmt: skip
        content = bare
        if (i // 20) % 10:
            content = orjson.dumps(
                {"attributes": {"gen_ai.input.messages": [{"role": "user", "content": f"question {i} " + "x" * 150}],
                                "gen_ai.output.messages": [{"role": "assistant", "content": "y" * 200}]}}
            )  # fmt: skip
        span_row = (trace, span, f"chat {model}", "llm", "gateway", ts, ts + latency / 1000, latency,
                    "ok" if status == 200 else "error", w, user, "{}", model, 50, 80, 1234, content)  # fmt: skip
        yield request, span_row


_TRACES_FROM_SPANS = """
INSERT INTO traces (trace_id, workload, user_id, session_id, tags, name, has_root, model, model_from_llm,
                    start_time, end_time, span_count, error_count, tokens_in, tokens_out, cost_nano)
SELECT trace_id, workload, user_id, NULL, '{}', name, 1, model, 1, start_time, end_time, 1,
       CASE WHEN status = 'error' THEN 1 ELSE 0 END, tokens_in, tokens_out, cost_nano FROM spans
"""


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
            sql_r = (
                f"INSERT INTO requests ({', '.join(REQUEST_COLUMNS)}) VALUES ({', '.join('?' * len(REQUEST_COLUMNS))})"
            )
            sql_s = f"INSERT INTO spans ({', '.join(SPAN_COLUMNS)}) VALUES ({', '.join('?' * len(SPAN_COLUMNS))})"
            batch_r: list[tuple[object, ...]] = []
            batch_s: list[tuple[object, ...]] = []
            for request, span in rows(n, now):
                batch_r.append(request)
                batch_s.append(span)
                if len(batch_r) == 50_000:
                    cur.executemany(sql_r, batch_r)
                    cur.executemany(sql_s, batch_s)
                    batch_r, batch_s = [], []
            cur.executemany(sql_r, batch_r)
            cur.executemany(sql_s, batch_s)
        cur.execute(_TRACES_FROM_SPANS)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


def config(url: str) -> Config:
    raw = {"server": {"admin_key": ADMIN}, "store": {"url": url}}
    return parse_config(YamlSource("<bench>", raw, {}), read_environment(), registered_sections())


def open_store(backend: str, keep: bool) -> tuple[str, Engine, Any, bool]:
    """(url, engine, clean-up, whether it is already filled): `keep` reuses and keeps the SQLite file."""
    if backend == "sqlite":
        path = Path("/tmp/rungway-dashboard-bench.db")
        filled = keep and path.exists()
        if not filled:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        return url, create_store_engine(url), (lambda: None) if keep else (lambda: path.unlink(missing_ok=True)), filled
    admin = create_engine(PG_BASE.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS dashboard_bench CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA dashboard_bench")
    url = f"{PG_BASE}?options=-csearch_path%3Ddashboard_bench"

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA dashboard_bench CASCADE")
        admin.dispose()

    return url, create_store_engine(url), drop, False


class Server:
    """The app on 127.0.0.1:<free port>, served from a thread of this process."""

    def __init__(self, app: web.Application) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(120)

    async def _start(self) -> int:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(120)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def signed_in(base: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{base}/ui/signin", timeout=60).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = browser.post(f"{base}/ui/signin", data={"csrf_token": token.group(1), "key": ADMIN, "next": "/ui"},
                          timeout=60, allow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text[:500]
    return browser


def pages_to_time(browser: requests.Session, base: str) -> list[str]:
    nav = re.findall(r'<li><a href="(/ui[^"]*)"', browser.get(f"{base}/ui/patterns", timeout=60).text)
    listing = browser.get(f"{base}/ui/traces", timeout=120).text
    trace = re.search(r'href="(/ui/traces/[0-9a-f]{32})"', listing)
    extra = [
        "/ui?window=1h", "/ui?window=7d", "/ui?window=30d", "/ui/tail",
        "/ui/requests?user=user-7", "/ui/requests?model=gpt-4o-mini", "/ui/requests?errors=true",
        "/ui/requests?workload=workload-03&since=7d", "/ui/requests?status=404",
        "/ui/traces?user=user-7", "/ui/traces?status=error", "/ui/traces?min_latency_ms=2000",
        "/ui/traces?q=question%20999999", "/ui/traces?q=no-such-text-anywhere",
        "/ui/traces?q=no-such-text-anywhere&since=30d",
        "/ui/cost?by=user", "/ui/cost?by=model", "/ui/cost?by=tag&tag=env", "/ui/cost?since=30d",
        "/ui/cost?by=user&since=30d", "/ui/cost?workload=workload-03&since=30d", "/ui/cost?by=user&since=24h",
    ]  # fmt: skip
    maturity = re.search(r'href="(/ui/maturity/[^"]+)"', browser.get(f"{base}/ui/maturity", timeout=60).text)
    found = [m.group(1) for m in (trace, maturity) if m]
    return [*dict.fromkeys([*nav, *extra, *found])]


def seed_budgets(base: str) -> None:
    """A monthly budget on every workload and a daily one on a user of each, through the API (the Cost page
    and the overview show each with its spend this period)."""
    admin = {"Authorization": f"Bearer {ADMIN}"}
    for n, w in enumerate(WORKLOADS):
        for body in ({"name": f"{w}-month", "scope": "workload", "workload": w, "amount_usd": "500"},
                     {"name": f"{w}-user", "scope": "user", "workload": w, "user": f"user-{n}", "amount_usd": "5",
                      "period": "daily"}):  # fmt: skip
            answer = requests.put(f"{base}/api/budgets", json=body, headers=admin, timeout=60)
            assert answer.status_code == 200, answer.text[:500]


def assess(base: str) -> None:
    """One assessment through the API, so the maturity pages have history to show (timed: not a page)."""
    t0 = time.perf_counter()
    answer = requests.post(f"{base}/api/assessments", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=600)
    assert answer.status_code == 200, answer.text[:500]
    print(f"  one assessment of every workload (POST /api/assessments): {time.perf_counter() - t0:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="SQLite: reuse the filled file of an earlier --keep run")
    args = parser.parse_args()
    url, engine, cleanup, filled = open_store(args.backend, args.keep)
    server = None
    try:
        upgrade(engine, migration_packages())
        if not filled:
            print(f"{args.backend}: filling {args.rows:,} requests + {args.rows:,} spans ...", flush=True)
            print(f"  fill: {fill(engine, args.rows, time.time()):.1f} s", flush=True)
        t0 = time.perf_counter()
        hours = refresh_request_hourly(engine, time.time())
        print(f"  hourly roll-up catch-up (one-off, {hours} hours): {time.perf_counter() - t0:.1f} s", flush=True)
        server = Server(create_app(config(url)))
        base = f"http://127.0.0.1:{server.port}"
        browser = signed_in(base)
        seed_budgets(base)
        assess(base)
        print(f"  {'page':<48} {'median':>8}  rounds (s)")
        for path in pages_to_time(browser, base):
            times = []
            for attempt in range(args.rounds + 1):
                t0 = time.perf_counter()
                answer = browser.get(base + path, timeout=300)
                elapsed = time.perf_counter() - t0
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
                if attempt:  # the first is a warm-up
                    times.append(elapsed)
            flag = "" if statistics.median(times) < 1.0 else "  <-- over 1 s"
            print(f"  {path:<48} {statistics.median(times):>7.3f}s  {[round(t, 3) for t in times]}{flag}", flush=True)
    finally:
        if server is not None:
            server.stop()
        engine.dispose()
        cleanup()


if __name__ == "__main__":
    main()
