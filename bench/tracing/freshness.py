"""Freshness under a sustained load: how long after its OTLP response a span is queryable.

Runs from a clone alone (the project's venv: aiohttp, opentelemetry-proto). Starts `rungway serve`
pinned to core 1, measures its end-to-end write rate with a burst, then sends realistic ~1.7 KB LLM
spans (OTLP/HTTP protobuf, 512 per POST, 4 per trace) at `--load` times that rate for `--seconds`
from core 0. One export in `--probe-every` is probed: after its 200, a poller on the bench's core
looks for its trace in the store every `--poll-ms` (one query for all pending probes, so probing
does not load the server) and records response -> committed, i.e. queryable. A 503 is retried
after its Retry-After, as exporters do; at the end every accepted span must be queryable (none
lost). Each round runs twice on the same store kind and at the same offered rate (from the round's
first burst): with the drain-time admission (`tracing.max_queue_wait_ms` at its default) and
without it (a bound no queue reaches), which is how ingest behaved before.

    .venv/bin/python bench/tracing/freshness.py [--store sqlite|postgres] [--seconds 20] [--load 0.9] [--rounds 1]

Results: one JSON line per run in bench/tracing/results/freshness-*.jsonl, and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

ROOT = Path(__file__).resolve().parents[2]
PORT = 9241
ADMIN = "bench-admin-" + secrets.token_hex(4)
POSTGRES = os.environ.get("RUNGWAY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
CONFIG = """
server: {{admin_key: {admin}, port: {port}}}
store: {{url: "{url}"}}
recorder: {{spill_dir: "{work}/spill"}}
providers: {{sim: {{type: simulator}}}}
models: {{gpt-4o-mini: {{provider: sim}}}}
workloads: {{bench: {{}}}}
tracing: {{purge_interval_s: 0{max_wait}}}
"""
WORDS = ["the", "customer", "asked", "about", "invoice", "refund", "policy", "shipping", "delay", "order", "plan"]
SPANS_PER_POST, SPANS_PER_TRACE = 512, 4


def _text(rng: random.Random, size: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(size // 5))[:size]


class Bodies:
    """One protobuf export as a template; each send gets fresh trace ids written at known offsets."""

    def __init__(self) -> None:
        rng = random.Random(7)
        request = ExportTraceServiceRequest()
        resource = request.resource_spans.add()
        resource.resource.attributes.add(key="service.name").value.string_value = "bench-app"
        scope = resource.scope_spans.add()
        self.trace_markers = [b"\xa5" * 8 + i.to_bytes(8, "big") for i in range(SPANS_PER_POST // SPANS_PER_TRACE)]
        now = time.time_ns()
        for index in range(SPANS_PER_POST):
            span = scope.spans.add(
                trace_id=self.trace_markers[index // SPANS_PER_TRACE],
                span_id=(index + 1).to_bytes(8, "big"),
                name="chat gpt-4o-mini",
                start_time_unix_nano=now,
                end_time_unix_nano=now + 900_000_000,
            )
            if index % SPANS_PER_TRACE:
                span.parent_span_id = (index - index % SPANS_PER_TRACE + 1).to_bytes(8, "big")
            for key, value in {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.prompt.0.role": "user",
                "gen_ai.prompt.0.content": _text(rng, 600),
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.content": _text(rng, 500),
                "openinference.span.kind": "LLM",
                "llm.model_name": "gpt-4o-mini",
                "user.id": f"user-{index % 50}",
                "session.id": f"session-{index % 200}",
            }.items():
                span.attributes.add(key=key).value.string_value = value
            for key, number in {"gen_ai.usage.input_tokens": 420, "gen_ai.usage.output_tokens": 180}.items():
                span.attributes.add(key=key).value.int_value = number
        self.template = request.SerializeToString()
        self.offsets: list[list[int]] = []
        for marker in self.trace_markers:
            found, at = [], self.template.find(marker)
            while at >= 0:
                found.append(at)
                at = self.template.find(marker, at + 1)
            self.offsets.append(found)
        self.span_bytes = len(self.template) / SPANS_PER_POST

    def fresh(self) -> tuple[bytes, str]:
        """A body with new trace ids, and the first trace's id (hex) for probing."""
        body = bytearray(self.template)
        first = ""
        for offsets in self.offsets:
            trace_id = secrets.token_bytes(16)
            first = first or trace_id.hex()
            for at in offsets:
                body[at : at + 16] = trace_id
        return bytes(body), first


class Run:
    """Counters of one load run."""

    def __init__(self) -> None:
        self.accepted = 0
        self.refused = 0
        self.fresh_ms: list[float] = []
        self.depths: list[float] = []


async def send(session: aiohttp.ClientSession, url: str, key: str, body: bytes, run: Run) -> float:
    """POST until accepted (503: wait Retry-After, as exporters do); the time of the accepting answer."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-protobuf"}
    while True:
        async with session.post(url, data=body, headers=headers) as answer:
            await answer.read()
            if answer.status == 200:
                run.accepted += SPANS_PER_POST
                return time.perf_counter()
            if answer.status != 503:
                raise SystemExit(f"unexpected answer {answer.status}")
            run.refused += 1
            await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))


class Prober:
    """Polls the store every `poll` seconds for the probed traces in one query (from the bench's core,
    so probing does not load the server); records response -> committed for each."""

    def __init__(self, url: str, poll: float, run: Run) -> None:
        from rungway.store.engine import create_store_engine

        self.engine = create_store_engine(url)
        self.poll = poll
        self.run = run
        self.pending: dict[str, float] = {}

    def _found(self, ids: list[str]) -> set[str]:
        from sqlalchemy import select

        from rungway.traces.store import traces

        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(traces.c.trace_id).where(traces.c.trace_id.in_(ids)))}

    async def watch(self, stop: asyncio.Event) -> None:
        while not (stop.is_set() and not self.pending):
            if self.pending:
                found = await asyncio.to_thread(self._found, list(self.pending))
                now = time.perf_counter()
                for trace_id in found:
                    self.run.fresh_ms.append((now - self.pending.pop(trace_id)) * 1000)
            await asyncio.sleep(self.poll)
        self.engine.dispose()


async def sample_depth(session: aiohttp.ClientSession, base: str, run: Run, stop: asyncio.Event) -> None:
    """The span queue's depth from /metrics every 100 ms: the wait a new span starts behind."""
    while not stop.is_set():
        async with session.get(f"{base}/metrics") as answer:
            for line in (await answer.text()).splitlines():
                if line.startswith('rungway_queue_depth{queue="spans"}'):
                    run.depths.append(float(line.rsplit(" ", 1)[1]))
        await asyncio.sleep(0.1)


async def stored_spans(session: aiohttp.ClientSession, base: str) -> int:
    async with session.get(
        f"{base}/api/traces/stats?workload=bench", headers={"Authorization": f"Bearer {ADMIN}"}
    ) as a:
        return int((await a.json())["spans"])


async def burst_rate(base: str, key: str, bodies: Bodies, posts: int) -> float:
    """End-to-end spans/s (accepted and queryable) of a burst sent as fast as the server takes it."""
    run = Run()
    async with aiohttp.ClientSession() as session:
        before = await stored_spans(session, base)
        started = time.perf_counter()
        queue = [bodies.fresh()[0] for _ in range(posts)]

        async def worker() -> None:
            while queue:
                await send(session, f"{base}/v1/traces", key, queue.pop(), run)

        await asyncio.gather(*(worker() for _ in range(4)))
        while await stored_spans(session, base) < before + run.accepted:
            await asyncio.sleep(0.02)
        return run.accepted / (time.perf_counter() - started)


async def sustained(base: str, key: str, bodies: Bodies, rate: float, url: str, args: argparse.Namespace) -> Run:
    run = Run()
    interval = SPANS_PER_POST / rate
    prober = Prober(url, args.poll_ms / 1000, run)
    done = asyncio.Event()
    watcher = asyncio.create_task(prober.watch(done))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
        before = await stored_spans(session, base)
        start = time.perf_counter()
        posts = int(args.seconds / interval)
        in_flight: list[asyncio.Task[None]] = []

        async def one(index: int) -> None:
            body, trace_id = bodies.fresh()
            accepted_at = await send(session, f"{base}/v1/traces", key, body, run)
            if index % args.probe_every == 0:
                prober.pending[trace_id] = accepted_at

        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_depth(session, base, run, stop))
        for index in range(posts):  # open-loop schedule: a slow answer does not slow the offered load
            await asyncio.sleep(max(0.0, start + index * interval - time.perf_counter()))
            in_flight.append(asyncio.create_task(one(index)))
        await asyncio.gather(*in_flight)
        done.set()
        await watcher
        stop.set()
        await sampler
        deadline = time.monotonic() + 120
        while await stored_spans(session, base) < before + run.accepted:
            if time.monotonic() > deadline:
                raise SystemExit("accepted spans never became queryable: lost spans")
            await asyncio.sleep(0.05)
    return run


def store_url(kind: str, work: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{work}/freshness.db", None
    import sqlalchemy as sa

    schema = "fresh_" + secrets.token_hex(4)
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    admin.dispose()
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str | None) -> None:
    if schema is not None:
        import sqlalchemy as sa

        admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def pin(core: str) -> list[str]:
    return ["taskset", "-c", core] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def one_run(args: argparse.Namespace, max_wait_ms: int | None, label: str, rate: float | None) -> dict[str, object]:
    """One server, one burst (the write rate), one sustained run at `rate` (default: `--load` x the burst)."""
    from rungway.capability import migration_packages
    from rungway.services.keys import create_api_key
    from rungway.store.engine import create_store_engine
    from rungway.store.migrate import upgrade

    work = Path(tempfile.mkdtemp(prefix="rungway-freshness-"))
    url, schema = store_url(args.store, work)
    config = work / "rungway.yaml"
    max_wait = f", max_queue_wait_ms: {max_wait_ms}" if max_wait_ms is not None else ""
    config.write_text(CONFIG.format(admin=ADMIN, port=PORT, url=url, max_wait=max_wait, work=work))
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    key = create_api_key(engine, workload="bench").secret
    engine.dispose()
    server = subprocess.Popen(
        [*pin("1"), str(ROOT / ".venv" / "bin" / "rungway"), "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{PORT}"
    bodies = Bodies()
    try:
        asyncio.run(wait_up(base))
        write_rate = asyncio.run(burst_rate(base, key, bodies, args.burst_posts))
        rate = rate or write_rate * args.load
        run = asyncio.run(sustained(base, key, bodies, rate, url, args))
    finally:
        server.terminate()
        server.wait(60)
        drop_schema(schema)
        shutil.rmtree(work, ignore_errors=True)
    fresh = run.fresh_ms
    return {
        "label": label,
        "store": args.store,
        "max_queue_wait_ms": max_wait_ms or "default",
        "span_bytes": round(bodies.span_bytes),
        "burst_spans_per_s": round(write_rate),
        "offered_spans_per_s": round(rate),
        "seconds": args.seconds,
        "accepted_spans": run.accepted,
        "refused_posts_503": run.refused,
        "probes": len(fresh),
        "p50_ms": round(quantile(fresh, 0.5), 1),
        "p90_ms": round(quantile(fresh, 0.9), 1),
        "p99_ms": round(quantile(fresh, 0.99), 1),
        "max_ms": round(max(fresh), 1) if fresh else None,
        "mean_ms": round(statistics.fmean(fresh), 1) if fresh else None,
        "queue_depth_p50": quantile(run.depths, 0.5),
        "queue_depth_max": max(run.depths, default=0.0),
    }


async def wait_up(base: str) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{base}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--load", type=float, default=0.9, help="offered load as a fraction of the burst rate")
    parser.add_argument("--burst-posts", type=int, default=60)
    parser.add_argument("--probe-every", type=int, default=4)
    parser.add_argument("--poll-ms", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if pin("0"):
        os.sched_setaffinity(0, {0})
    out = ROOT / "bench" / "tracing" / "results" / f"freshness-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for index in range(args.rounds):
        rate: float | None = None
        runs: list[tuple[int | None, str]] = [(None, "admission (default)"), (10_000_000, "no admission (before)")]
        for max_wait, label in runs if index % 2 == 0 else runs[::-1]:
            row = {"round": index, **one_run(args, max_wait, label, rate)}
            rate = float(row["offered_spans_per_s"])  # type: ignore[arg-type]
            rows.append(row)
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    print(f"\nresults: {out.relative_to(ROOT)}")
    print("| run | offered spans/s | 503s | p50 | p90 | p99 | max | queue depth p50 / max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['label']} ({row['store']}) | {row['offered_spans_per_s']:,} | {row['refused_posts_503']} | "
            f"{row['p50_ms']} ms | {row['p90_ms']} ms | {row['p99_ms']} ms | {row['max_ms']} ms | "
            f"{row['queue_depth_p50']:,.0f} / {row['queue_depth_max']:,.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
