"""CPU per call that a prompt reference adds to the gateway's edge steps, in process (no server, no network).

    .venv/bin/python bench/gateway/prompt_step.py [--rounds 7] [--calls 20000]

The benchmark's chat body (bench/harness/chat.lua) plain, and the same call by reference to a registry
prompt (bench/gateway/make_prompt.py's content, from a real catalog loaded from SQLite) padded to the
same size, each run through the steps a chat completion takes before routing: read the body, expand
(the prompts capability's step), check, attribute. Rounds alternate plain and reference; the result is
the median of the per-round differences, so the machine's drift between rounds cancels out. A third
run per round, the plain body through the one-step parse of a pipeline without `expand_body` steps,
gives what installing the step costs a call that names no prompt. What it
leaves out: the request writer's insert, measured here too (rows with and without the prompt columns,
which alone enter the partial index `ix_requests_prompt`), and two span attributes; end to end, run.sh
prompt-ab and instructions.sh prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from aiohttp.test_utils import make_mocked_request
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.gateway import attribution, body
from rungway.gateway.context import CallContext
from rungway.prompts.catalog import PromptCatalog
from rungway.prompts.model import Actor
from rungway.prompts.service import create_version
from rungway.prompts.steps import expand_prompt_step
from rungway.prompts.template import PromptContent
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests

CONTENT = {
    "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "Summarise in one sentence why {{topic}}."},
    ],
    "variables": [{"name": "topic", "type": "string", "required": True}],
    "model": "mock-model",
}
PLAIN = orjson.dumps(
    {
        "model": "mock-model",
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "Summarise in one sentence why gateways meter tokens per request."},
        ],
        "max_tokens": 64,
        "stream": False,
    }
)
_REFERENCE = orjson.dumps(
    {
        "prompt": {"id": "bench-summary", "version": "1", "variables": {"topic": "gateways meter tokens per request"}},
        "max_tokens": 64,
        "stream": False,
    }
)
BY_REFERENCE = _REFERENCE[:-1] + b" " * max(0, len(PLAIN) - len(_REFERENCE)) + b"}"


class _Key:
    workload = "bench"
    owner = "bench"


class _State:
    class config:  # noqa: N801 - mimics GatewayState.config
        class server:  # noqa: N801
            max_body_bytes = 10_000_000


def catalog_with_the_prompt(engine: Engine) -> PromptCatalog:
    create_version(
        engine,
        workload="bench",
        name="bench-summary",
        content=PromptContent.from_json(CONTENT),
        message="benchmark",
        actor=Actor.server_admin(),
    )
    catalog = PromptCatalog(engine)
    catalog.load()
    return catalog


async def without_the_capability_us(raw: bytes, calls: int) -> float:
    """The same plain body through the one-step parse a pipeline without `expand_body` steps uses."""
    request = make_mocked_request("POST", "/v1/chat/completions", headers={"Content-Type": "application/json"})
    request._read_bytes = raw
    state: Any = _State()
    key: Any = _Key()
    start = time.process_time()
    for _ in range(calls):
        ctx = CallContext(request=request, endpoint="chat.completions", id="req_x")
        ctx.key = key
        await body.parse_chat_body(state, ctx)
        await attribution.attribute(state, ctx)
    return (time.process_time() - start) / calls * 1e6


async def per_call_us(raw: bytes, expand: Any, calls: int) -> float:
    request = make_mocked_request("POST", "/v1/chat/completions", headers={"Content-Type": "application/json"})
    request._read_bytes = raw  # what aiohttp caches after reading the body
    state: Any = _State()
    key: Any = _Key()
    start = time.process_time()
    for _ in range(calls):
        ctx = CallContext(request=request, endpoint="chat.completions", id="req_x")
        ctx.key = key
        await body.read_chat_body(state, ctx)
        await expand(state, ctx)
        await body.check_read_chat_body(state, ctx)
        await attribution.attribute(state, ctx)
    return (time.process_time() - start) / calls * 1e6


def insert_us(engine: Engine, prompt: str | None, start: int, rows: int = 5_000, batch: int = 100) -> float:
    """CPU per row of the request writer's insert into SQLite, the prompt columns set or not."""
    now = time.time()
    records = [
        RequestRecord(f"req_{start + i:012d}", now, now, "bench", "k", "bench", "platform", prompt_name=prompt,
                      prompt_version=1 if prompt else None)
        for i in range(rows)
    ]  # fmt: skip
    begin = time.process_time()
    for i in range(0, rows, batch):
        insert_requests(engine, records[i : i + batch])
    return (time.process_time() - begin) / rows * 1e6


async def main(rounds: int, calls: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine = create_store_engine(f"sqlite:///{Path(directory)}/prompts.db")
        upgrade(engine, migration_packages())
        expand = expand_prompt_step(catalog_with_the_prompt(engine))
        assert len(PLAIN) == len(BY_REFERENCE), (len(PLAIN), len(BY_REFERENCE))
        await per_call_us(BY_REFERENCE, expand, 1000)  # warm-up, and a check that the reference resolves
        bare, plain, referenced = [], [], []
        for _ in range(rounds):
            bare.append(await without_the_capability_us(PLAIN, calls))
            plain.append(await per_call_us(PLAIN, expand, calls))
            referenced.append(await per_call_us(BY_REFERENCE, expand, calls))
        without, with_prompt = [], []
        for i in range(rounds):
            without.append(insert_us(engine, None, 2 * i * 10**6))
            with_prompt.append(insert_us(engine, "bench-summary", (2 * i + 1) * 10**6))
        engine.dispose()
    insert_added = statistics.median(b - a for a, b in zip(without, with_prompt, strict=True))
    added = statistics.median(b - a for a, b in zip(plain, referenced, strict=True))
    step = statistics.median(b - a for a, b in zip(bare, plain, strict=True))
    print(
        f"a plain call: {statistics.median(bare):.1f} µs without an expand_body step, "
        f"{statistics.median(plain):.1f} µs with the prompts step installed ({step:+.1f} µs)"
    )
    print(
        f"edge steps ({len(PLAIN)}-byte body): plain {statistics.median(plain):.1f} µs, by reference "
        f"{statistics.median(referenced):.1f} µs CPU per call; added {added:+.1f} µs (median of {rounds} paired rounds "
        f"of {calls})"
    )
    print(
        f"request log (SQLite, batches of 100): {statistics.median(without):.1f} µs per row, "
        f"{statistics.median(with_prompt):.1f} µs with the prompt columns set "
        f"({insert_added:+.1f} µs: the partial index)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.calls))
