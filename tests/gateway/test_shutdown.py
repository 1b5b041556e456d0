"""A real `rungway serve` process: SIGTERM finishes in-flight calls, drains the queue, spills what it cannot write.

The in-flight proof: a loopback upstream holds every call until released and counts what it holds; the
signal goes only once all of them are held, and the calls are released only once the server has closed
its listener (it has taken the signal)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import create_engine, func, select

from rungway.capability import migration_packages
from rungway.services.keys import create_api_key
from rungway.store.engine import normalise_url
from rungway.store.migrate import upgrade
from rungway.store.schema import requests
from tests.providers.fake_openai import FakeOpenAI
from tests.store.tcp_proxy import TcpProxy

CONFIG = """
store:
  url: sqlite:///{db}
recorder:
  flush_interval_ms: 1000
providers:
  sim:
    type: simulator
    latency_ms: {{median: 150, p95: 400}}
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
"""


def start_server(config: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rungway", "serve", "--config", str(config), "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise AssertionError(f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, line.split("listening on ")[1].split()[0]


HELD_CONFIG = """
store:
  url: sqlite:///{db}
recorder:
  flush_interval_ms: 1000
providers:
  up:
    type: openai
    base_url: {upstream}
    api_key: sk-upstream
models:
  held:
    provider: up
  gpt-4o-mini:
    provider: up
"""
IN_FLIGHT = 12


def listener_closed(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except (ConnectionRefusedError, ConnectionResetError):  # reset: the listener closed with our connect queued
        return True
    return False


def test_sigterm_answers_and_records_every_call_in_flight(tmp_path: Path) -> None:
    db = tmp_path / "gw.db"
    config = tmp_path / "rungway.yaml"
    upstream = FakeOpenAI()
    config.write_text(HELD_CONFIG.format(db=db, upstream=upstream.base_url))
    engine = create_engine(f"sqlite:///{db}")
    upgrade(engine, migration_packages())
    secret = create_api_key(engine, workload="drain").secret
    proc, url = start_server(config)

    async def call(session: aiohttp.ClientSession, model: str) -> int:
        body = {"model": model, "messages": [{"role": "user", "content": "hello"}]}
        headers = {"Authorization": f"Bearer {secret}"}
        async with session.post(f"{url}/v1/chat/completions", json=body, headers=headers) as resp:
            await resp.read()
            return resp.status

    async def calls_across_sigterm() -> tuple[int, list[int]]:
        async with aiohttp.ClientSession() as session:
            warm = await call(session, "gpt-4o-mini")  # a call the server finished before the signal
            held = [asyncio.create_task(call(session, "held")) for _ in range(IN_FLIGHT)]
            await asyncio.to_thread(upstream.wait_held, IN_FLIGHT)  # every call is now waiting on the upstream
            os.kill(proc.pid, signal.SIGTERM)
            # The server took the signal (it closed its listener) while all of them were still in flight.
            await asyncio.to_thread(wait_until, lambda: listener_closed(url), "the listener to close on SIGTERM")
            assert upstream.held == IN_FLIGHT and not any(task.done() for task in held)
            upstream.release()
            return warm, list(await asyncio.gather(*held))

    try:
        warm, statuses = asyncio.run(calls_across_sigterm())
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        upstream.stop()
    with engine.connect() as conn:
        rows = conn.execute(select(requests.c.model_requested, requests.c.status)).all()
    engine.dispose()
    assert warm == 200 and statuses == [200] * IN_FLIGHT
    assert sorted(rows) == [("gpt-4o-mini", 200)] + [("held", 200)] * IN_FLIGHT


PG_CONFIG = """
store:
  url: {url}
recorder:
  flush_interval_ms: 20
  shutdown_grace_ms: 1000
  spill_dir: {spill}
  durability: {durability}
providers:
  sim:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
"""


def answered_calls(url: str, secret: str, count: int) -> int:
    async def run() -> int:
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}
        headers = {"Authorization": f"Bearer {secret}"}
        async with aiohttp.ClientSession() as session:
            answered = 0
            for _ in range(count):
                async with session.post(f"{url}/v1/chat/completions", json=body, headers=headers) as resp:
                    await resp.read()
                    answered += resp.status == 200
            return answered

    return asyncio.run(run())


def stored_requests(url: str) -> int:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        rows = int(conn.execute(select(func.count()).select_from(requests)).scalar_one())
    engine.dispose()
    return rows


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.postgres
def test_sigterm_with_store_down_spills_and_the_next_start_replays_every_answered_call(
    tmp_path: Path, postgres_url: str
) -> None:
    proxy, proxied = TcpProxy.for_url(postgres_url)
    spill = tmp_path / "spill"
    config = tmp_path / "rungway.yaml"
    config.write_text(PG_CONFIG.format(url=proxied, spill=spill, durability="memory"))
    engine = create_engine(normalise_url(postgres_url))
    upgrade(engine, migration_packages())
    secret = create_api_key(engine, workload="drain").secret
    engine.dispose()
    proc, url = start_server(config)
    try:
        before = answered_calls(url, secret, 5)
        wait_until(lambda: stored_requests(postgres_url) == before, "the first calls to be stored")
        proxy.cut()
        during = answered_calls(url, secret, 20)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proxy.close()
    assert proc.stderr is not None
    log = proc.stderr.read()
    assert before == 5 and during == 20
    assert stored_requests(postgres_url) == before
    assert "writer requests: store unavailable" in log and f"{during} records not written at shutdown, spilled" in log
    assert len(list(spill.glob("requests.spill.*.jsonl"))) == 1

    # The next start (store reachable again) replays the spill file, once.
    config.write_text(PG_CONFIG.format(url=postgres_url, spill=spill, durability="memory"))
    proc, url = start_server(config)
    try:
        wait_until(lambda: not list(spill.glob("requests.spill.*")), "the spill file to be replayed")
        assert stored_requests(postgres_url) == before + during
        status_line = [m for m in http_text(f"{url}/metrics").splitlines() if m.startswith("rungway_records_replayed")]
        assert 'rungway_records_replayed_total{queue="requests"} 20.0' in status_line
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def http_text(url: str) -> str:
    async def get() -> str:
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            return await resp.text()

    return asyncio.run(get())


def test_kill_9_with_write_ahead_durability_loses_no_answered_call(tmp_path: Path) -> None:
    db = tmp_path / "gw.db"
    spill = tmp_path / "spill"
    config = tmp_path / "rungway.yaml"
    # Nothing reaches the store before the kill: a long flush interval and a batch larger than the run.
    slow = PG_CONFIG.format(url=f"sqlite:///{db}", spill=spill, durability="write-ahead").replace(
        "flush_interval_ms: 20", "flush_interval_ms: 600000\n  batch_size: 100000"
    )
    config.write_text(slow)
    engine = create_engine(f"sqlite:///{db}")
    upgrade(engine, migration_packages())
    secret = create_api_key(engine, workload="crash").secret
    engine.dispose()

    def wal_lines() -> int:
        lines = [line for p in spill.glob("requests.wal.*.jsonl") for line in p.read_bytes().splitlines()]
        return sum(not line.startswith(b'{"fields"') for line in lines)  # each segment opens with a header

    proc, url = start_server(config)
    try:
        answered = answered_calls(url, secret, 30)
        wait_until(lambda: wal_lines() == answered, "the write-ahead file to hold every answered call")
    finally:
        proc.kill()  # SIGKILL: no drain, no spill
        proc.wait(timeout=30)
    assert stored_requests(f"sqlite:///{db}") == 0

    config.write_text(PG_CONFIG.format(url=f"sqlite:///{db}", spill=spill, durability="write-ahead"))
    proc, url = start_server(config)
    try:
        wait_until(lambda: stored_requests(f"sqlite:///{db}") == answered, "the replay of the write-ahead file")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert answered == 30
    assert stored_requests(f"sqlite:///{db}") == answered
    assert not list(spill.glob("requests.wal.*")), "write-ahead segments are deleted once their records are stored"
