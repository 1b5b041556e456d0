"""Time to first token through each gateway vs the upstream directly (streaming, 1 connection).

Needs the targets of `bench/gateway/run.sh start` running (mock upstream 9301, floor 9302,
Rungway 9340 with its key in $WORK/rungway.key). Each round sends N sequential streaming calls to
every target in turn on one keep-alive connection and times, on the client, the moment the first
event carrying content arrives. Prints a table and appends JSON lines to --results.

    taskset -c 0 .venv/bin/python bench/gateway/ttft.py --rounds 3 --calls 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path

import aiohttp

WORK = Path(os.environ.get("WORK", "/tmp/gwbench"))
BODY = {
    "model": "mock-model",
    "stream": True,
    "max_tokens": 64,
    "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "Summarise in one sentence why gateways meter tokens per request."},
    ],
}


def targets() -> dict[str, tuple[str, str]]:
    return {
        "direct": ("http://127.0.0.1:9301", "sk-bench-1"),
        "floor": ("http://127.0.0.1:9302", "sk-bench-1"),
        "rungway": ("http://127.0.0.1:9340", (WORK / "rungway.key").read_text().strip()),
    }


async def one(session: aiohttp.ClientSession, url: str, key: str) -> float:
    started = time.perf_counter()
    first = 0.0
    headers = {"Authorization": f"Bearer {key}"}
    async with session.post(f"{url}/v1/chat/completions", json=BODY, headers=headers) as response:
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}: {(await response.read())[:200]!r}")
        async for piece in response.content.iter_any():
            if not first and b'"content"' in piece:
                first = time.perf_counter()
    if not first:
        raise RuntimeError(f"{url}: no content event in the stream")
    return (first - started) * 1000


async def measure(name: str, url: str, key: str, calls: int) -> list[float]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        for _ in range(50):
            await one(session, url, key)
        return [await one(session, url, key) for _ in range(calls)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--results", default=str(Path(__file__).parent / "results" / "ttft.jsonl"))
    args = parser.parse_args()
    medians: dict[str, list[float]] = {}
    with open(args.results, "a") as out:
        for r in range(1, args.rounds + 1):
            for name, (url, key) in targets().items():
                times = asyncio.run(measure(name, url, key, args.calls))
                line = {
                    "round": r,
                    "target": name,
                    "calls": len(times),
                    "ttft_p50_ms": round(statistics.median(times), 3),
                    "ttft_p90_ms": round(pct(times, 0.9), 3),
                    "ttft_p99_ms": round(pct(times, 0.99), 3),
                }
                out.write(json.dumps(line) + "\n")
                medians.setdefault(name, []).append(line["ttft_p50_ms"])
                print(json.dumps(line))
    direct = statistics.median(medians["direct"])
    print("\n| target | TTFT p50 ms (median of rounds) | added vs direct |")
    print("|---|---|---|")
    for name, values in medians.items():
        value = statistics.median(values)
        added = "" if name == "direct" else f"+{value - direct:.2f} ms"
        print(f"| {name} | {value:.2f} | {added} |")


if __name__ == "__main__":
    main()
