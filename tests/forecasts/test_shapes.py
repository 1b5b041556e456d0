"""What callers see: times as ISO 8601 UTC (none for an open end), amounts in USD beside nano-dollars, and the
alert episodes of the budgets a caller may read only."""

from __future__ import annotations

import time

from rungway.budgets.public import list_budgets
from rungway.forecasts.shapes import episode_dict, iso, visible_episodes
from rungway.forecasts.store import AlertEpisode, open_episode
from tests.forecasts.support import open_store, workload_budget


def test_times_are_iso_utc() -> None:
    assert iso(0.0) == "1970-01-01T00:00:00Z"
    assert iso(None) is None and iso(float("inf")) is None


def test_a_workload_sees_the_episodes_of_its_own_budgets(sqlite_url: str) -> None:
    engine, now = open_store(sqlite_url), time.time()
    workload_budget(engine, "mine", "test", "10")
    workload_budget(engine, "theirs", "other", "10")
    for budget in list_budgets(engine):
        open_episode(engine, AlertEpisode(f"{budget.id}:0:1", budget.id, budget.name, budget.workload, 0.0, now,
                                          now, None, None, now, None, f"{budget.name} runs out"))  # fmt: skip
    assert [e.budget_name for e in visible_episodes(engine, "test", False, 10)] == ["mine"]
    assert [e.budget_name for e in visible_episodes(engine, "other", True, 10)] == ["theirs"]
    assert len(visible_episodes(engine, None, True, 10)) == 2
    shown = episode_dict(visible_episodes(engine, "test", False, 10)[0])
    assert shown["budget"] == "mine" and shown["earliest"] is None and shown["closed_at"] is None
