"""One round of the server's loop (`install.tick`): the roll-up is brought up to date, and exhaustion episodes
are opened only with alerts on."""

from __future__ import annotations

import time

from rungway.forecasts.config import ForecastSettings
from rungway.forecasts.install import CAPABILITY, tick
from rungway.forecasts.store import read_episodes, rollup_watermark
from tests.forecasts.support import open_store, seed_spend, workload_budget


def test_a_round_rolls_up_and_opens_episodes_only_with_alerts_on(store_url: str) -> None:
    engine, now = open_store(store_url), time.time()
    seed_spend(engine, "test", 30, now=now)
    workload_budget(engine, "spent", "test", "1")  # already spent: runs out now, inside its month
    assert tick(engine, ForecastSettings(alerts=False), now) == []
    assert rollup_watermark(engine) is not None and read_episodes(engine, None) == []
    opened = tick(engine, ForecastSettings(), now)
    assert [o.episode.budget_name for o in opened] == ["spent"] and len(read_episodes(engine, None)) == 1
    assert tick(engine, ForecastSettings(), now + 1) == []


def test_the_capability_declares_its_parts() -> None:
    assert CAPABILITY.name == "forecasts" and CAPABILITY.migrations == "rungway.forecasts.migrations"
    assert CAPABILITY.cli == {"forecast": "rungway.forecasts.cli:forecast_group"}
    assert CAPABILITY.checks == ("rungway.forecasts.checks",)
