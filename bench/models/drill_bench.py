"""Outage drill benchmark: what callers see when a primary deployment fails, with a healthy fallback.

Usage (from the project root):
    .venv/bin/python bench/models/drill_bench.py [--calls 2000] [--concurrency 16] [--rounds 3]
        [--attempt-timeout 1.0] [--out results.jsonl]

One Rungway server in this process (its own thread and uvloop, a SQLite store in a temporary folder), two
simulator providers answering in 20 ms (`primary` on sim-a, `fallback` on sim-b), and a route plan that
tries primary then fallback (no retries, `--attempt-timeout` per try). Per round, three phases of
`--calls` chat completions at `--concurrency` through the gateway's `/v1` (aiohttp client, same process):

- `baseline`: no fault (the latency calls have when nothing fails);
- `error`: an outage drill (`POST /api/drills`) fails 100% of the primary's requests: its circuit opens
  after `min_calls` (10) failures and calls go to the fallback without trying it;
- `hang`: (a fresh server) the drill makes the primary hang: each try waits for the attempt deadline
  until the circuit opens.

Reported per phase: calls served (target >= 99.9%), p50/p99 client latency, p99 latency of the calls
started after the circuit opened minus the baseline's p99 (target < 50 ms), the drill's own p99 added
latency (time failed-over calls spent before the try that served them), the p99 of all calls in the hang
phase (target < attempt deadline + 50 ms), and the process CPU per call (server and client together).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from aiohttp import web

from rungway.capability import registered_sections
from rungway.domain.keys import Role
from rungway.gateway.context import CallContext
from rungway.gateway.routes import STATE
from rungway.gateway.routing import AttemptPolicy, RoutePlan
from rungway.gateway.state import GatewayState
from rungway.server import create_app
from rungway.services.keys import create_api_key
from rungway.settings.config import load_config
from rungway.settings.env import Environment

CONFIG = """
server: {{admin_key: bench-admin}}
store: {{url: "sqlite:///{db}"}}
providers:
  sim-a: {{type: simulator, latency_ms: 20}}
  sim-b: {{type: simulator, latency_ms: 20}}
models:
  primary: {{provider: sim-a, model: m-primary}}
  fallback: {{provider: sim-b, model: m-fallback}}
workloads:
  bench: {{team: perf}}
failover:
  breaker: {{window: 30s, min_calls: 10, failure_rate: 0.5, cooldown: 600s, probes: 1}}
"""
BODY = {"model": "primary", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 16}


class Fallback:
    """primary, then fallback: what a `routing:` fallback rule answers."""

    def __init__(self, attempt_timeout_s: float) -> None:
        self.policy = AttemptPolicy(retries=0, attempt_timeout_s=attempt_timeout_s)

    def plan(self, state: GatewayState, ctx: CallContext) -> RoutePlan | None:
        models = state.config.models
        return RoutePlan("primary", (models["primary"], models["fallback"]), self.policy, "bench")


class Server:
    """The Rungway app on 127.0.0.1 in a thread of its own."""

    def __init__(self, folder: Path, attempt_timeout_s: float) -> None:
        path = folder / "rungway.yaml"
        path.write_text(CONFIG.format(db=folder / "bench.db"))
        env = Environment(config_path=None, database_url=None, redis_url=None, admin_key=None, ci=False, variables={})
        self.app = create_app(load_config(path, env, registered_sections()))
        self.state: GatewayState = self.app[STATE]
        self.state.route_planner = Fallback(attempt_timeout_s)
        key = create_api_key(self.state.engine, workload="bench", role=Role.DEVELOPER)
        self.state.directory.put_key(key.key)
        self.secret = key.secret
        self.loop = uvloop.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        self.port = self._run(self._start())
        self.base = f"http://127.0.0.1:{self.port}"

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(120)

    async def _start(self) -> int:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    def stop(self) -> None:
        self._run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


async def load(server: Server, calls: int, concurrency: int) -> list[tuple[float, float, bool]]:
    """(start epoch, latency ms, served) per call."""
    out: list[tuple[float, float, bool]] = []
    queue = iter(range(calls))
    headers = {"Authorization": f"Bearer {server.secret}"}
    async with aiohttp.ClientSession(server.base, headers=headers) as session:

        async def worker() -> None:
            for _ in queue:
                start, t0 = time.time(), time.perf_counter()
                async with session.post("/v1/chat/completions", json=BODY) as response:
                    await response.read()
                    out.append((start, (time.perf_counter() - t0) * 1000, response.status == 200))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out


async def admin(server: Server, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": "Bearer bench-admin"}
    async with (
        aiohttp.ClientSession(server.base, headers=headers) as session,
        session.request(method, path, json=body) as response,
    ):
        return await response.json()


async def phase(server: Server, name: str, args: argparse.Namespace, fault: dict[str, Any] | None) -> dict[str, Any]:
    drill = None
    if fault is not None:
        drill = await admin(server, "POST", "/api/drills", {"deployment": "primary", "duration_s": 3600, **fault})
    cpu0 = time.process_time()
    results = await load(server, args.calls, args.concurrency)
    cpu = time.process_time() - cpu0
    row: dict[str, Any] = {
        "phase": name,
        "calls": len(results),
        "served": sum(1 for r in results if r[2]),
        "p50_ms": pct([r[1] for r in results], 0.5),
        "p99_ms": pct([r[1] for r in results], 0.99),
        "max_ms": pct([r[1] for r in results], 1.0),
        "cpu_ms_per_call": round(cpu * 1000 / len(results), 3),
    }
    row["served_pct"] = round(100 * row["served"] / row["calls"], 3)
    if drill is not None:
        await asyncio.sleep(1.5)  # the recorder stores incidents every second
        incidents = (await admin(server, "GET", "/api/incidents?since=1h"))["incidents"]
        opened = min(i["opened_at"] for i in incidents) if incidents else None
        after = [r[1] for r in results if opened is not None and r[0] >= opened]
        row["calls_after_open"] = len(after)
        row["p99_after_open_ms"] = pct(after, 0.99)
        row["drill_added_p99_ms"] = (await admin(server, "GET", f"/api/drills/{drill['id']}"))["added_p99_ms"]
    return row


async def round_(args: argparse.Namespace, index: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        server = Server(Path(folder), args.attempt_timeout)
        try:
            rows.append(await phase(server, "baseline", args, None))
            rows.append(await phase(server, "error", args, {"error_rate": 1.0}))
        finally:
            server.stop()
    with tempfile.TemporaryDirectory() as folder:
        server = Server(Path(folder), args.attempt_timeout)
        try:
            await phase(server, "warm-up", args, None)
            rows.append(await phase(server, "hang", args, {"hang": True}))
        finally:
            server.stop()
    base = rows[0]["p99_ms"]
    for row in rows:
        row["round"] = index
        if "p99_after_open_ms" in row and row["p99_after_open_ms"] is not None:
            row["added_p99_after_open_ms"] = round(row["p99_after_open_ms"] - base, 2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--attempt-timeout", type=float, default=1.0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for index in range(args.rounds):
        for row in asyncio.run(round_(args, index)):
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in rows))
    print("\nmedians over rounds:", file=sys.stderr)
    for name in ("baseline", "error", "hang"):
        mine = [r for r in rows if r["phase"] == name]
        keys = [k for k in mine[0] if isinstance(mine[0][k], int | float) and k != "round"]
        medians = {k: statistics.median(r[k] for r in mine if r.get(k) is not None) for k in keys
                   if any(r.get(k) is not None for r in mine)}  # fmt: skip
        print(name, json.dumps(medians), file=sys.stderr)


if __name__ == "__main__":
    main()
