"""OTLP/HTTP trace-ingest load: spans accepted per second, and how soon they can be queried.

Two modes, each printing one JSON line (and appending it to --out):

- `throughput`: pre-serialises --spans realistic GenAI spans (bench/harness/otlp_spans.py) into protobuf
  export bodies of --batch spans, sends them over --concurrency connections (retrying 429/502/503/504 with
  back-off), and meanwhile polls a counter until every span is queryable. Reports accepted spans/s,
  end-to-end (accepted and queryable) spans/s, the lag after the last accept and, with --server-pid, spans
  per CPU-second of the server.
- `latency`: sends one trace at a time and measures, per trace, the time from the OTLP answer (and from the
  request's start) until the counter shows it: the freshness a user sees.

The counter (--count) is what "queryable" means for each system:
  http-json:URL#dotted.key   GET URL (with the --count-header headers), read an integer from the JSON answer;
                             e.g. Rungway's own `GET /api/traces/stats?workload=bench#spans`
  sqlite:PATH#SQL            run SQL on a read-only connection ({project} expands), e.g. Phoenix's database

    .venv/bin/python bench/harness/otlp_load.py --url http://127.0.0.1:9240/v1/traces \
        --header 'Authorization:Bearer KEY' --count-header 'Authorization:Bearer ADMIN' \
        --count 'http-json:http://127.0.0.1:9240/api/traces/stats?workload=bench#spans' --spans 20000

Every loop is bounded (--max-seconds, --settle-timeout). Sends only to loopback addresses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from otlp_spans import TraceFactory

RETRY_STATUSES = {429, 502, 503, 504}


@dataclass(frozen=True)
class SpanCounter:
    """How many spans a system shows as queryable, read the way its users would read it."""

    kind: str
    location: str
    query: str
    headers: dict[str, str]

    @classmethod
    def parse(cls, spec: str, project: str, headers: dict[str, str]) -> SpanCounter:
        kind, _, rest = spec.partition(":")
        location, _, query = rest.partition("#")
        if kind == "sqlite":
            return cls(kind, location, query.replace("{project}", project.replace("'", "''")), headers)
        if kind == "http-json":
            return cls(kind, location.replace("{project}", urllib.parse.quote(project)), query or "count", headers)
        raise SystemExit(f"--count {spec!r}: expected http-json:URL#key or sqlite:PATH#SQL")

    def count(self) -> int:
        if self.kind == "sqlite":
            if not os.path.exists(self.location):
                return 0
            connection = sqlite3.connect(f"file:{self.location}?mode=ro", uri=True, timeout=5)
            try:
                row = connection.execute(self.query).fetchone()
                return int(row[0] or 0)
            except sqlite3.OperationalError:  # the server has not created its tables yet
                return 0
            finally:
                connection.close()
        request = urllib.request.Request(self.location, headers=self.headers)
        with urllib.request.urlopen(request, timeout=10) as answer:
            data: Any = json.loads(answer.read())
        for part in self.query.split("."):
            data = data[part]
        return int(data)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its direct children (worker processes), from /proc."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    total = 0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def poll_until(counter: SpanCounter, target: int, deadline: float, interval: float) -> tuple[float | None, int]:
    """Poll until the counter reaches `target`; returns (the moment it did or None at the deadline, last count)."""
    loop = asyncio.get_running_loop()
    seen = 0
    while time.perf_counter() < deadline:
        seen = await loop.run_in_executor(None, counter.count)
        if seen >= target:
            return time.perf_counter(), seen
        await asyncio.sleep(interval)
    return None, seen


@dataclass
class SendStats:
    """What the sender saw: answers by status, retries, and the latency of each accepted POST."""

    accepted: int = 0
    retries: int = 0
    failed: int = 0
    seconds: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)


async def send_all(
    url: str, headers: dict[str, str], bodies: list[bytes], concurrency: int, deadline: float
) -> SendStats:
    stats = SendStats()
    pending = iter(bodies)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def sender() -> None:
            for body in pending:
                backoff = 0.02
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    try:
                        async with session.post(url, data=body, headers=headers) as answer:
                            await answer.read()
                            status: int | str = answer.status
                    except (aiohttp.ClientError, TimeoutError) as exc:
                        status = type(exc).__name__
                    stats.statuses[str(status)] = stats.statuses.get(str(status), 0) + 1
                    if status == 200:
                        stats.accepted += 1
                        stats.seconds.append(time.perf_counter() - started)
                        break
                    if isinstance(status, str) or status in RETRY_STATUSES:
                        stats.retries += 1
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, 1.0)
                        continue
                    stats.failed += 1
                    break

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return stats


def quantile_ms(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else None


async def throughput(args: argparse.Namespace, factory: TraceFactory, counter: SpanCounter) -> dict[str, Any]:
    bodies, spans = factory.bodies(args.spans, args.batch)
    loop = asyncio.get_running_loop()
    base = await loop.run_in_executor(None, counter.count)
    cpu_before = cpu_seconds(args.server_pid) if args.server_pid else None
    started = time.perf_counter()
    poller = asyncio.create_task(
        poll_until(counter, base + spans, started + args.max_seconds + args.settle_timeout, args.poll_interval)
    )
    stats = await send_all(args.url, args.headers, bodies, args.concurrency, started + args.max_seconds)
    accepted_at = time.perf_counter()
    visible_at, last_count = await poller
    result: dict[str, Any] = {
        "mode": "throughput",
        "client": "raw",
        "spans": spans,
        "requests": len(bodies),
        "bytes_per_span": round(sum(map(len, bodies)) / spans, 1),
        "accept_seconds": round(accepted_at - started, 3),
        "accepted_spans_per_s": round(spans / (accepted_at - started), 1),
        "visible_spans": last_count - base,
        "all_visible_seconds": round(visible_at - started, 3) if visible_at else None,
        "end_to_end_spans_per_s": round(spans / (visible_at - started), 1) if visible_at else None,
        "lag_after_last_accept_s": round(visible_at - accepted_at, 3) if visible_at else None,
        "post_p50_ms": quantile_ms(stats.seconds, 0.5),
        "post_p99_ms": quantile_ms(stats.seconds, 0.99),
        "retries": stats.retries,
        "failed_posts": stats.failed,
        "status": stats.statuses,
    }
    if cpu_before is not None:
        cpu = cpu_seconds(args.server_pid) - cpu_before
        result["server_cpu_s"] = round(cpu, 2)
        if cpu > 0 and last_count > base:
            result["spans_per_server_cpu_s"] = round((last_count - base) / cpu, 1)
    return result


async def latency(args: argparse.Namespace, factory: TraceFactory, counter: SpanCounter) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    after_response: list[float] = []
    after_start: list[float] = []
    misses = 0
    base = await loop.run_in_executor(None, counter.count)
    give_up = time.perf_counter() + args.max_seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for sample in range(args.samples):
            if time.perf_counter() > give_up:
                break
            trace = factory.trace(10_000_000 + sample)
            body = factory.request([trace]).SerializeToString()
            requested = time.perf_counter()
            async with session.post(args.url, data=body, headers=args.headers) as answer:
                await answer.read()
                ok = answer.status == 200
            answered = time.perf_counter()
            visible_at, base_after = (None, base)
            if ok:
                visible_at, base_after = await poll_until(
                    counter, base + len(trace), answered + args.settle_timeout, args.latency_poll
                )
            if visible_at is None:
                misses += 1
            else:
                after_response.append(visible_at - answered)
                after_start.append(visible_at - requested)
            base = max(base, base_after)
            await asyncio.sleep(args.gap)
    return {
        "mode": "latency",
        "samples": len(after_response),
        "misses": misses,
        "visible_after_response_ms_p50": quantile_ms(after_response, 0.5),
        "p90": quantile_ms(after_response, 0.9),
        "max": quantile_ms(after_response, 1.0),
        "visible_after_request_start_ms_p50": quantile_ms(after_start, 0.5),
        "request_start_p90": quantile_ms(after_start, 0.9),
        "poll_interval_ms": args.latency_poll * 1000,
    }


def parse_headers(values: list[str], project: str, option: str) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep:
            raise SystemExit(f"{option} {value!r}: expected NAME:VALUE, e.g. 'Authorization:Bearer sk-...'")
        headers[name.strip()] = content.strip().replace("{project}", project)
    return headers


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the OTLP/HTTP traces endpoint (loopback only)")
    parser.add_argument("--mode", choices=["throughput", "latency"], default="throughput")
    parser.add_argument("--target", default="", help="label stored with the result, e.g. rungway-sqlite/r1")
    parser.add_argument("--count", required=True, help="counter spec, see above")
    parser.add_argument("--header", action="append", default=[], help="NAME:VALUE on every OTLP POST")
    parser.add_argument("--count-header", action="append", default=[], help="NAME:VALUE on every counter GET")
    parser.add_argument("--project", default="", help="service / project name of the spans (default: random)")
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=512, help="spans per POST (the OpenTelemetry SDK's default)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--spans-per-trace", type=int, default=4)
    parser.add_argument("--server-pid", type=int, default=0, help="report spans per CPU-second of this process")
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--settle-timeout", type=float, default=120)
    parser.add_argument("--poll-interval", type=float, default=0.1)
    parser.add_argument("--samples", type=int, default=30, help="latency mode: traces sent one at a time")
    parser.add_argument("--latency-poll", type=float, default=0.005)
    parser.add_argument("--gap", type=float, default=0.2, help="latency mode: seconds between traces")
    parser.add_argument("--peer-version", default="", help="the pinned version of the system measured, recorded")
    parser.add_argument("--out", default="", help="append the JSON line to this file")
    args = parser.parse_args()
    if urllib.parse.urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"--url {args.url}: load goes to loopback addresses only")
    args.project = args.project or f"bench-{uuid.uuid4().hex[:8]}"
    args.headers = {"Content-Type": "application/x-protobuf", **parse_headers(args.header, args.project, "--header")}
    return args


def main() -> None:
    args = arguments()
    counter = SpanCounter.parse(
        args.count, args.project, parse_headers(args.count_header, args.project, "--count-header")
    )
    factory = TraceFactory(args.project, spans_per_trace=args.spans_per_trace)
    measure = throughput if args.mode == "throughput" else latency
    import uvloop

    result = uvloop.run(measure(args, factory, counter))
    result.update(
        target=args.target,
        project=args.project,
        batch=args.batch,
        concurrency=args.concurrency,
        version=args.peer_version,
        ts=time.strftime("%Y-%m-%dT%H:%M:%S"),
        loadavg=os.getloadavg()[0],
    )
    line = json.dumps(result)
    print(line, flush=True)
    if args.out:
        with open(args.out, "a") as out:
            out.write(line + "\n")


if __name__ == "__main__":
    main()
