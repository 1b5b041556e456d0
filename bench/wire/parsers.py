"""CPU per unit of the hand-written wire parsers (`rungway.wire`), in process, no sockets.

Each protocol's read path is fed realistic bytes the way its transport would hand them over:
- http1: a keep-alive exchange answered with a 600-byte chat completion (Content-Length), and one
  answered chunked; the answer is fed to the connection's `data_received` in one read.
- sse: an OpenAI-style stream of 200 chunk events read in 4 KiB reads (µs per event).
- resp: a pipelined batch of 64 EVALSHA-style replies (arrays of integers) in one read (µs per reply).

    .venv/bin/python bench/wire/parsers.py [--rounds 5]

Prints one JSON line per measure with the best of the rounds (process CPU time), so a change to a parser
can be compared before and after on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable

import orjson

from rungway.wire.http1 import H1Pool, _Connection
from rungway.wire.http1_address import Target
from rungway.wire.resp import _RespProtocol
from rungway.wire.sse import SseParser

COMPLETION = orjson.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "x" * 380}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 90, "total_tokens": 102},
    }
)
LENGTH_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
    b"Date: Mon, 30 Nov 2026 06:00:00 GMT\r\nx-request-id: req-1\r\n\r\n%b" % (len(COMPLETION), COMPLETION)
)
CHUNKED_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"%x\r\n%b\r\n0\r\n\r\n" % (len(COMPLETION), COMPLETION)
)


class _Answering(asyncio.Transport):
    """Answers each request write at once with the same bytes (one read)."""

    def __init__(self, conn: _Connection, answer: bytes) -> None:
        super().__init__()
        self._conn = conn
        self._answer = answer

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._conn.data_received(self._answer)

    def is_closing(self) -> bool:
        return False

    def abort(self) -> None:
        raise AssertionError("the benchmark's connection was aborted")


class _OneConnectionPool(H1Pool):
    def __init__(self, answer: bytes) -> None:
        super().__init__(limit=1, connect_timeout_s=1.0)
        self._answer = answer

    async def _connect(self, target: Target) -> _Connection:
        conn = _Connection(self, (target.scheme, target.host, target.port))
        conn.connection_made(_Answering(conn, self._answer))
        return conn


def http1(answer: bytes, count: int) -> float:
    async def main() -> float:
        pool = _OneConnectionPool(answer)
        headers = {"Content-Type": "application/json", "Authorization": "Bearer k"}
        body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
        start = time.process_time()
        for _ in range(count):
            response = await pool.request("POST", "http://upstream/v1/chat/completions", headers, body, 5.0, True)
            await response.read()
            response.release()
        return time.process_time() - start

    return asyncio.run(main())


def sse(count: int) -> float:
    event = b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"tok"}}]}\n\n'
    stream = event * 200 + b"data: [DONE]\n\n"
    reads = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]
    start = time.process_time()
    for _ in range(count):
        parser = SseParser()
        for read in reads:
            parser.feed(read)
        parser.finish()
    return time.process_time() - start


def resp(count: int) -> float:
    replies = b"*3\r\n:1\r\n:17\r\n:250000\r\n" * 64

    async def main() -> float:
        protocol = _RespProtocol(timeout_s=5)
        loop = asyncio.get_running_loop()
        start = time.process_time()
        for _ in range(count):
            protocol.waiters.extend(loop.create_future() for _ in range(64))
            protocol.data_received(replies)
        return time.process_time() - start

    return asyncio.run(main())


def best(measure: Callable[[], float], rounds: int) -> float:
    return min(measure() for _ in range(rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    n_http, n_sse, n_resp = 20_000, 200, 2_000
    lines = [
        ("http1 content-length answer", "request", n_http, best(lambda: http1(LENGTH_ANSWER, n_http), rounds)),
        ("http1 chunked answer", "request", n_http, best(lambda: http1(CHUNKED_ANSWER, n_http), rounds)),
        ("sse 200-event stream, 4 KiB reads", "event", n_sse * 201, best(lambda: sse(n_sse), rounds)),
        ("resp 64 pipelined replies per read", "reply", n_resp * 64, best(lambda: resp(n_resp), rounds)),
    ]
    for name, unit, units, seconds in lines:
        print(json.dumps({"measure": name, f"us_per_{unit}": round(seconds / units * 1e6, 3), "rounds": rounds}))


if __name__ == "__main__":
    main()
