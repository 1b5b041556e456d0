"""A real `rungway serve` process: SIGTERM finishes in-flight calls and drains the queue."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, func, select

from rungway.services.keys import create_api_key
from rungway.store.migrate import upgrade
from rungway.store.schema import requests

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


def test_sigterm_drains_queue_so_answered_calls_equal_rows(tmp_path: Path) -> None:
    db = tmp_path / "gw.db"
    config = tmp_path / "rungway.yaml"
    config.write_text(CONFIG.format(db=db))
    engine = create_engine(f"sqlite:///{db}")
    upgrade(engine)
    secret = create_api_key(engine, workload="drain").secret
    proc, url = start_server(config)

    async def hammer() -> int:
        answered = 0
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}
        headers = {"Authorization": f"Bearer {secret}"}

        async def one(session: aiohttp.ClientSession) -> None:
            nonlocal answered
            try:
                async with session.post(f"{url}/v1/chat/completions", json=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status == 200:
                        answered += 1
            except aiohttp.ClientError:
                pass  # refused after the listener closed: not answered, so no row expected

        async with aiohttp.ClientSession() as session:
            await one(session)  # warm up: the server has handled a call before the burst
            tasks = [asyncio.create_task(one(session)) for _ in range(60)]
            await asyncio.sleep(0.3)  # simulator latency is 150 ms median, 400 ms p95: calls are in flight
            os.kill(proc.pid, signal.SIGTERM)
            await asyncio.gather(*tasks)
            later = [asyncio.create_task(one(session)) for _ in range(5)]
            await asyncio.gather(*later)
        return answered

    answered = asyncio.run(hammer())
    assert proc.wait(timeout=30) == 0
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(requests)).scalar_one()
    engine.dispose()
    assert answered > 1
    assert rows == answered
