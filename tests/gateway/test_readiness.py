"""`/readyz` means able to serve: a store outage is reported, not a reason to leave the load balancer."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from sqlalchemy import create_engine, func, select

from rungway.store.engine import normalise_url
from rungway.store.schema import requests
from tests.gateway.test_raw_http import http
from tests.servers import Gateway
from tests.store.tcp_proxy import TcpProxy

CONFIG = """
store:
  url: {store_url}
recorder:
  queue_size: 3
  batch_size: 1
  flush_interval_ms: 10
  spill_dir: {spill_dir}
providers:
  sim:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
"""


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def metric(gateway: Gateway, line_start: str) -> float:
    _, _, body = http(gateway.base_url + "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_start} not in /metrics")


@pytest.mark.postgres
def test_readyz_stays_ready_while_store_is_down_and_reports_it_until_a_queue_is_full(
    gateway_factory: Callable[..., Gateway], postgres_url: str, tmp_path: Path
) -> None:
    proxy, proxied_url = TcpProxy.for_url(postgres_url)
    gateway = gateway_factory(CONFIG.replace("{spill_dir}", str(tmp_path / "spill")), store_url=proxied_url)
    client = gateway.sdk()
    writer = gateway.state.request_writer
    ask = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    try:
        client.chat.completions.create(**ask)  # type: ignore[call-overload]
        gateway.flush()
        proxy.cut()
        client.chat.completions.create(**ask)  # type: ignore[call-overload]
        wait_for(lambda: not writer.store_ok, "the writer to see the outage")

        status, _, body = http(gateway.base_url + "/readyz")
        assert status == 200, body
        ready = orjson.loads(body)
        assert ready["status"] == "ready" and ready["store"]["state"] == "down"
        queue = next(q for q in ready["queues"] if q["name"] == "requests")
        assert queue["writes"] == "failing" and queue["room"] == 3
        assert metric(gateway, 'rungway_store_up{queue="requests"}') == 0

        for _ in range(3):  # calls are still answered; their records fill the queue
            client.chat.completions.create(**ask)  # type: ignore[call-overload]
        status, _, body = http(gateway.base_url + "/readyz")
        assert status == 503 and b"queue requests is full" in body

        proxy.restore()
        wait_for(lambda: writer.depth == 0 and writer.store_ok, "the writer to catch up")
        status, _, body = http(gateway.base_url + "/readyz")
        assert status == 200 and b'"state":"ok"' in body
        gateway.flush()
    finally:
        proxy.close()
    engine = create_engine(normalise_url(postgres_url))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(requests)).scalar_one() == 5
    engine.dispose()
