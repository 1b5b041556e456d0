"""What an HTTP server costs per request before any gateway work: aiohttp's web server against a bare
asyncio protocol on `httptools` (the parser the upstream client already uses), both answering one fixed
chat-completion JSON to wrk's POST, pinned to the gateway's core, in the same rounds.

    .venv/bin/python bench/gateway/server_cost.py [--rounds 3] [--conns 64] [--seconds 6]

Prints, per server, requests/s and the server's CPU µs per request (utime + stime over the run). Why: it bounds
what any Python gateway built on aiohttp's server can reach against the floor (which pays the same server), and
what a leaner server in front of the pipeline would return. Needs wrk (apt-get install wrk) and 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE.parent / "harness" / "chat.lua"
ANSWER = (
    b'{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"' + b"word " * 24 + b'"},"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":20,"completion_tokens":24,"total_tokens":44}}'
)


def serve_aiohttp(port: int) -> None:
    import orjson
    import uvloop
    from aiohttp import web

    async def chat(request: web.Request) -> web.StreamResponse:
        orjson.loads(await request.read())
        return web.Response(body=ANSWER, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, loop=uvloop.new_event_loop())


def serve_httptools(port: int) -> None:
    import httptools
    import orjson
    import uvloop

    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(ANSWER)

    class Protocol(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport: asyncio.Transport = transport  # type: ignore[assignment]
            self.parser = httptools.HttpRequestParser(self)
            self.body: list[bytes] = []

        def on_body(self, body: bytes) -> None:
            self.body.append(body)

        def on_message_complete(self) -> None:
            raw, self.body = b"".join(self.body), []
            asyncio.get_running_loop().create_task(self.answer(raw))

        async def answer(self, raw: bytes) -> None:
            orjson.loads(raw)
            self.transport.write(head + ANSWER)

        def data_received(self, data: bytes) -> None:
            self.parser.feed_data(data)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Protocol, "127.0.0.1", port)
        await server.serve_forever()

    uvloop.run(main())


SERVERS = {"aiohttp": (serve_aiohttp, 9411), "httptools": (serve_httptools, 9412)}


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def run_wrk(port: int, conns: int, seconds: int) -> int:
    out = subprocess.run(
        ["taskset", "-c", os.environ.get("AUX_CPU", "0"), "wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-s", str(LUA),
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--conns", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--serve", choices=sorted(SERVERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve, port = SERVERS[args.serve]
        serve(port)
        return
    gw_cpu = os.environ.get("GW_CPU", "1")
    procs = {
        name: subprocess.Popen(["taskset", "-c", gw_cpu, sys.executable, __file__, "--serve", name]) for name in SERVERS
    }
    time.sleep(2)
    tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in SERVERS}
    try:
        for _ in range(args.rounds):
            for name, (_, port) in SERVERS.items():
                before = cpu_ticks(procs[name].pid)
                started = time.perf_counter()
                done = run_wrk(port, args.conns, args.seconds)
                wall = time.perf_counter() - started
                results[name].append((done / wall, (cpu_ticks(procs[name].pid) - before) * tick_us / done))
    finally:
        for proc in procs.values():
            proc.terminate()
    print(f"| server ({args.conns} connections, {args.rounds} rounds, medians) | req/s | CPU µs per request |")
    print("|---|---:|---:|")
    for name, rows in results.items():
        print(
            f"| {name} | {statistics.median(r for r, _ in rows):,.0f} | {statistics.median(c for _, c in rows):.1f} |"
        )


if __name__ == "__main__":
    main()
