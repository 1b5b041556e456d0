"""Seeding the request log for the anomaly tests: days of ordinary hourly traffic, then a bad hour."""

from __future__ import annotations

import math
import random
import uuid
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import Engine, insert

from rungway.anomalies.config import AnomaliesConfig
from rungway.anomalies.detector import DAY, HOUR
from rungway.anomalies.service import Change
from rungway.anomalies.watch import WATCHER
from rungway.cli.main import cli
from rungway.evals.scores.model import Score
from rungway.evals.scores.store import insert_scores
from rungway.store.schema import requests
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

CALLS_PER_HOUR = 30
CONFIG = AnomaliesConfig(min_volume=10, baseline_weeks=2)


def fixed_now() -> float:
    """Half past an hour: the hour before the current one is the newest closed hour."""
    return math.floor(1_790_000_000 / HOUR) * HOUR + 1800


def _row(rng: random.Random, workload: str, ts: float, *, bad: bool, model: str) -> dict[str, Any]:
    failed = bad or rng.random() < 0.02
    latency = rng.uniform(150, 250) * (1.3 if 9 <= (ts // HOUR) % 24 <= 17 else 1.0)
    return {
        "id": uuid.uuid4().hex, "ts_start": ts, "ts_end": ts + latency / 1000, "workload": workload,
        "user_id": f"user-{rng.randint(1, 5)}", "endpoint": "chat", "model_requested": model, "model_resolved": model,
        "provider": "sim", "status": 502 if failed else 200, "error_type": "upstream_error" if failed else None,
        "latency_ms": latency, "tokens_in": 100, "tokens_out": 50, "cost_nano": 1000, "priced": True,
        "trace_id": uuid.uuid4().hex, "tags": "{}", "stream": False,
    }  # fmt: skip


def seed_traffic(engine: Engine, workload: str, first: float, hours: int, *, seed: int = 1) -> None:
    """`hours` ordinary hours of traffic from `first`: ~2% errors, two models, a busier working day."""
    rng = random.Random(seed)
    rows = []
    for h in range(hours):
        start = first + h * HOUR
        for i in range(CALLS_PER_HOUR):
            model = "gpt-4o-mini" if i % 2 else "gpt-4o"
            rows.append(_row(rng, workload, start + i * (HOUR / CALLS_PER_HOUR), bad=False, model=model))
    with engine.begin() as conn:
        conn.execute(insert(requests), rows)


def seed_bad_hour(engine: Engine, workload: str, hour: float, *, seed: int = 2) -> None:
    """An hour where calls to `gpt-4o` fail: the error rate jumps, and the model dimension explains it."""
    rng = random.Random(seed)
    rows = []
    for i in range(CALLS_PER_HOUR):
        model = "gpt-4o-mini" if i % 2 else "gpt-4o"
        rows.append(_row(rng, workload, hour + i * (HOUR / CALLS_PER_HOUR), bad=model == "gpt-4o", model=model))
    with engine.begin() as conn:
        conn.execute(insert(requests), rows)


GATEWAY_CONFIG = (
    SIMULATOR_CONFIG
    + """
anomalies:
  min_volume: 10
  baseline_weeks: 2
"""
)


def seed_incident(engine: Engine, workload: str) -> None:
    """Six ordinary days, then an hour where gpt-4o fails: the newest closed hour at `fixed_now()`."""
    last_closed = fixed_now() - 1800 - HOUR
    seed_traffic(engine, workload, last_closed - 6 * DAY, 6 * 24, seed=len(workload))
    seed_bad_hour(engine, workload, last_closed)


def tick(gw: Gateway, now: float | None = None) -> list[Change]:
    """One tick of the gateway's own watcher at `now` (default `fixed_now()`), on the server's loop."""
    watcher = gw.state.slots[WATCHER]
    found: list[Change] = gw.call(lambda: watcher.tick(fixed_now() if now is None else now))
    return found


def anomalies_cli(gw: Gateway, key: str, *args: str, code: int = 0) -> Result:
    env = {"RUNGWAY_URL": gw.base_url, "RUNGWAY_API_KEY": key, "RUNGWAY_ADMIN_KEY": None, "RUNGWAY_CONFIG": None}
    result = CliRunner().invoke(cli, ["anomalies", *args], env=env)
    assert result.exit_code == code, (args, result.output, result.exception)
    return result


def seed_online_scores(
    engine: Engine, workload: str, first: float, hours: int, *, drop_at: float | None = None
) -> None:
    """12 `helpfulness` scores (source online) per hour around 0.8; 0.3 in the hour `drop_at`."""
    rng = random.Random(11)
    scores = [
        Score(id=uuid.uuid4().hex, workload=workload, name="helpfulness", data_type="numeric",
              value=(0.3 if first + h * HOUR == drop_at else 0.8) + rng.uniform(-0.03, 0.03), string_value=None,
              source="online", author="judge", created_at=first + h * HOUR + i * 300, scorer="llm-rubric")
        for h in range(hours) for i in range(12)
    ]  # fmt: skip
    insert_scores(engine, scores)
