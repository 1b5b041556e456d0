"""The floor of an eval run: the same chat calls with httpx, the same two checks inline, nothing stored.

    .venv/bin/python bench/evals/floor.py --url http://127.0.0.1:8080 --key rw_... --cases 1000 --concurrency 32

What a hand-written asyncio script does at best; bench/evals/run_bench.py times `rungway eval run` against it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import re
from typing import Any

import uvloop
from bench_cases import NEVER, REGEX, question

try:
    httpx: Any = importlib.import_module("httpx")
except ImportError:  # some environments ship it as httpx2 (the same API)
    httpx = importlib.import_module("httpx2")


async def main(url: str, key: str, cases: int, concurrency: int) -> None:
    pattern = re.compile(REGEX)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    passed = 0
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    for i in range(cases):
        queue.put_nowait(i)
    for _ in range(concurrency):
        queue.put_nowait(None)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=300) as client:

        async def worker() -> None:
            nonlocal passed
            while (i := await queue.get()) is not None:
                body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": question(i)}]}
                response = await client.post("/v1/chat/completions", json=body)
                response.raise_for_status()
                text = response.json()["choices"][0]["message"]["content"] or ""
                passed += bool(pattern.search(text)) and NEVER not in text

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    print(f"floor: {passed}/{cases} passed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    uvloop.run(main(args.url, args.key, args.cases, args.concurrency))
