"""Summarise a py-spy raw (collapsed stacks) profile: where the server's CPU goes.

Usage: python bench/gateway/pyspy_top.py PROFILE.txt [--top 25] [--cpu-ms 0.45]

Prints, as markdown: the share of samples per function by self time (the frame on top of the
stack) and by inclusive time (anywhere on the stack), and self time grouped by package area
(Rungway's own modules by file, aiohttp, uvloop/asyncio, sqlalchemy, prometheus, ...).
With --cpu-ms (server CPU per request measured by the benchmark), shares also show as µs per request.
"""

from __future__ import annotations

import argparse
import collections
import re
from collections.abc import Callable


def _any(frames: list[tuple[str, str]], names: set[str]) -> bool:
    return any(name in names for name, _ in frames)


def _any_path(frames: list[tuple[str, str]], parts: tuple[str, ...]) -> bool:
    return any(part in path for _, path in frames for part in parts)


# What a gateway call's CPU is spent on: each sample goes to the first group that matches.
GROUPS: list[tuple[str, Callable[[list[tuple[str, str]]], bool]]] = [
    ("request log: SQLite insert + commit (writer thread)", lambda f: _any(f, {"insert_requests"})),
    ("llm span: SQLite insert + trace upsert (writer thread)", lambda f: _any(f, {"insert_spans"})),
    (
        "llm span: build (attributes, JSON)",
        lambda f: _any(f, {"build_span", "install_traces.<locals>.record_span"}),
    ),
    ("other writer / background threads", lambda f: _any(f, {"BatchWriter._run", "Thread._bootstrap"})),
    (
        "upstream call: HTTP client (wire/http1.py pool, request, response parsing)",
        lambda f: (
            _any(f, {"UpstreamClient.post", "UpstreamClient.open_stream"})
            or _any_path(f, ("aiohttp/client", "aiohttp/connector", "wire/http1.py", "httptools"))
        ),
    ),
    (
        "stream relay: SSE parse, chunk JSON, output assembly, writes",
        lambda f: _any(f, {"_relay_stream", "OpenAIProvider.chat_stream", "sse_batches", "SseParser.feed"}),
    ),
    ("record + metrics (build record, queue, prometheus)", lambda f: _any(f, {"record_call"})),
    (
        "auth + body parse + attribution + route",
        lambda f: _any(f, {"authenticate", "parse_chat_body", "attribute", "resolve_route"}),
    ),
    (
        "rate limits + budgets steps",
        lambda f: _any(f, {"enforce_rate_limits", "settle_token_limits"}) or _any_path(f, ("budget",)),
    ),
    ("pricing", lambda f: _any(f, {"meter_cost"})),
    (
        "pipeline glue + response (Pipeline.handle, aiohttp Response)",
        lambda f: _any(f, {"Pipeline.handle", "call_chat"}),
    ),
    (
        "aiohttp server: HTTP parsing, routing, writing the answer",
        lambda f: _any_path(f, ("aiohttp/web", "aiohttp/http", "aiohttp/base_protocol")),
    ),
    ("event loop (uvloop) and asyncio, partial stacks", lambda f: True),
]


_IDLE_LEAVES = {"Condition.wait", "Event.wait", "_worker", "Queue.get", "wait", "select"}
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def area_of(path: str) -> str:
    """A coarse owner for a source file: our module, or the third-party package."""
    if "/rungway/" in path:
        return "rungway/" + path.split("/rungway/", 1)[1]
    for name in (
        "aiohttp",
        "multidict",
        "yarl",
        "uvloop",
        "asyncio",
        "sqlalchemy",
        "prometheus_client",
        "orjson",
        "sqlite3",
        "threading",
        "logging",
        "selectors",
        "concurrent",
    ):
        if f"/{name}/" in path or path.endswith(f"/{name}.py"):
            return name
    return path.rsplit("/", 1)[-1] or "?"


def parse(path: str) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    with open(path) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, count = line.rpartition(" ")
            frames = []
            for raw in stack.split(";"):
                m = _FRAME.match(raw)
                frames.append((m.group("func"), m.group("file")) if m else (raw, ""))
            stacks.append((frames, int(count)))
    return stacks


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("profile")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--cpu-ms", type=float, default=0.0, help="server CPU ms per request, to show µs per request")
    args = p.parse_args()
    stacks = parse(args.profile)
    # py-spy's --nonblocking mode cannot always tell a thread blocked in a lock wait from a busy one:
    # samples whose top frame is a wait (writer threads between batches, idle pool workers) are idle.
    idle = sum(c for frames, c in stacks if frames[-1][0] in _IDLE_LEAVES)
    stacks = [(frames, c) for frames, c in stacks if frames[-1][0] not in _IDLE_LEAVES]
    total = sum(c for _, c in stacks)
    self_t: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    areas: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    for frames, count in stacks:
        threads[frames[0][0]] += count
        leaf = frames[-1]
        self_t[f"{leaf[0]} ({area_of(leaf[1])})"] += count
        areas[area_of(leaf[1])] += count
        for name in {f"{f} ({area_of(path)})" for f, path in frames[1:]}:
            incl[name] += count

    def row(name: str, n: int) -> str:
        # With --cpu-ms (server CPU per request, from the benchmark), a share becomes microseconds.
        us = f" {1000 * args.cpu_ms * n / total:.0f} |" if args.cpu_ms else ""
        return f"| {name} | {100.0 * n / total:.1f}% |{us}"

    head = " µs/req |" if args.cpu_ms else ""
    sep = "---|" if args.cpu_ms else ""
    print(f"samples: {total} busy ({idle} idle samples left out)")
    groups: collections.Counter[str] = collections.Counter()
    for frames, count in stacks:
        groups[next(name for name, match in GROUPS if match(frames))] += count
    print(f"\n#### Where a call's CPU goes\n\n| group | share |{head}\n|---|---|{sep}")
    for name, _ in GROUPS:
        if groups[name]:
            print(row(name, groups[name]))
    print(f"\n#### Self time by area\n\n| area | share |{head}\n|---|---|{sep}")
    for name, n in areas.most_common(args.top):
        print(row(name, n))
    print(f"\n#### Self time by function\n\n| function (area) | share |{head}\n|---|---|{sep}")
    for name, n in self_t.most_common(args.top):
        print(row(name, n))
    print(f"\n#### Inclusive time by function\n\n| function (area) | share |{head}\n|---|---|{sep}")
    for name, n in incl.most_common(args.top):
        print(row(name, n))
    print(f"\n#### Threads\n\n| thread | share |{head}\n|---|---|{sep}")
    for name, n in threads.most_common(8):
        print(row(name, n))


if __name__ == "__main__":
    main()
