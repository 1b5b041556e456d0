"""Gateway processes (`python -m rungway serve`) hammered at once never pass a hard budget or a rate limit.

Two replicas share PostgreSQL and Redis; one replica uses the in-process counters on SQLite.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rungway.services.keys import create_api_key
from tests.budgets.support import Outcome, _burst, config_text, logged_spend, open_store, prespend, workload_budget

LIMIT_NANO = 1_000_000
RPM = 50
_LISTENING = re.compile(r"Rungway listening on (http://127\.0\.0\.1:\d+)")


class Replica:
    """One `rungway serve` subprocess on a free port."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rungway", "serve", "--config", str(config), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        found: list[str] = []

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                match = _LISTENING.search(line)
                if match:
                    found.append(match.group(1))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(60)
        if not found:
            self.stop()
            raise AssertionError(f"replica did not start; see {log}: {log.read_text()[-2000:]}")
        self.base_url = found[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    started: list[Replica] = []
    try:
        yield started
    finally:
        for replica in started:
            replica.stop()


def most_admitted(limit: int, burst_s: float) -> int:
    """The most a sliding-window limit of `limit` per minute admits in a burst lasting `burst_s`.

    Inside one minute, `limit`. Across a minute boundary the count of the minute before, p, is weighted
    by the part of it still inside the window, so `t` seconds later p + c <= limit + p * t / 60: the
    burst may pass `limit` by at most `limit * burst_s / 60` (whenever in the minute it starts)."""
    return limit + int(limit * burst_s / 60)


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param("memory-1-replica", id="memory-sqlite-1-replica"),
        pytest.param(
            "redis-2-replicas", id="redis-postgres-2-replicas", marks=[pytest.mark.redis, pytest.mark.postgres]
        ),
    ],
)
def test_replicas_never_pass_a_hard_budget_or_a_rate_limit(
    setup: str, tmp_path: Path, request: pytest.FixtureRequest, replicas: list[Replica]
) -> None:
    if setup.startswith("redis"):
        url = str(request.getfixturevalue("postgres_url"))
        text = config_text("redis", str(request.getfixturevalue("redis_url")), rpm=RPM)
        count = 2
    else:
        url = f"sqlite:///{tmp_path}/replicas.db"
        text = config_text(rpm=RPM)
        count = 1
    config = tmp_path / "rungway.yaml"
    config.write_text(text.replace("{store_url}", url))
    engine = open_store(url)
    prespend(engine, 900_000)
    workload_budget(engine, "test-hard", "0.001")
    budget_key = create_api_key(engine, workload="test").secret
    limited_key = create_api_key(engine, workload="limited").secret
    for i in range(count):
        replicas.append(Replica(config, tmp_path / f"replica-{i}.log"))
    urls = [r.base_url + "/v1" for r in replicas]

    async def hammer() -> tuple[Outcome, Outcome]:
        return await asyncio.gather(
            _burst(urls, budget_key, 200, max_tokens=20),
            _burst(urls, limited_key, 200, max_tokens=20),
        )

    started = time.monotonic()
    budget_outcome, rate_outcome = asyncio.run(hammer())
    burst_s = time.monotonic() - started
    for replica in replicas:
        replica.stop()  # drains each replica's request log writer

    spent, ok = logged_spend(engine)
    assert not budget_outcome.other and not rate_outcome.other
    assert ok == budget_outcome.ok >= 1
    assert len(budget_outcome.budget_refusals) == 200 - ok
    assert 900_000 + spent <= LIMIT_NANO
    limited_ok = logged_spend(engine, "limited")[1]
    assert limited_ok == rate_outcome.ok <= most_admitted(RPM, burst_s)
    assert len(rate_outcome.rate_refusals) == 200 - limited_ok
    with engine.connect() as conn:
        blocks = conn.exec_driver_sql("select count(*) from budget_events where kind = 'blocked'").scalar_one()
    assert blocks == 200 - ok
