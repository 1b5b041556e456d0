"""The use cases under the API, CLI and page: a scorer from a body is checked like the configuration (and names a
served model); a configured scorer is not removed here; the status sums today's spend against the cap."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.online_evals.book import day_start_hour
from rungway.online_evals.config import OnlineEvalsConfig
from rungway.online_evals.service import add_scorer, remove_scorer, workload_status
from rungway.online_evals.store import ALL_CALLS, Counts, add_counts
from tests.online_evals.support import online_gateway
from tests.servers import Gateway

CONFIG = OnlineEvalsConfig(judge_model="gpt-4o-mini", daily_cost_cap_usd=0.5)
SERVED = {"gpt-4o-mini", "gpt-4o"}


def test_a_body_is_checked_like_the_configuration(gateway_factory: Callable[..., Gateway]) -> None:
    engine = online_gateway(gateway_factory).state.engine
    made = add_scorer(engine, SERVED, CONFIG, "test", {"name": "judge", "assert": {"type": "llm-rubric", "value": "ok"},
                                                      "sample": 0.2}, "key_1")  # fmt: skip
    assert (made.source, made.created_by, made.sample, made.type) == ("api", "key_1", 0.2, "llm-rubric")
    with pytest.raises(InvalidRequest, match="serves no model 'gpt-9'"):
        add_scorer(engine, SERVED, CONFIG, "test", {"name": "j2", "assert": {"type": "llm-rubric", "value": "ok",
                                                                            "model": "gpt-9"}}, "k")  # fmt: skip
    with pytest.raises(InvalidRequest, match="python"):
        add_scorer(engine, SERVED, CONFIG, "test", {"name": "py", "assert": {"type": "python", "value": "m.f"}}, "k")
    with pytest.raises(Conflict, match=r"rungway\.yaml"):
        remove_scorer(engine, "test", "short")
    with pytest.raises(NotFound):
        remove_scorer(engine, "other", "judge")
    assert remove_scorer(engine, "test", "judge").name == "judge"


def test_the_status_sums_todays_spend_against_the_cap(gateway_factory: Callable[..., Gateway]) -> None:
    engine = online_gateway(gateway_factory).state.engine
    now = time.time()
    today = day_start_hour(now)
    add_counts(engine, {("test", "a", today): Counts(scored=2, cost_nano=300_000_000),
                        ("test", "b", today): Counts(cost_nano=200_000_000),
                        ("test", "a", today - 1): Counts(cost_nano=900_000_000),
                        ("test", ALL_CALLS, today): Counts(matched=9)})  # fmt: skip
    (status,) = workload_status(engine, CONFIG, ["test"], now)
    assert (status.spent_usd, status.cap_usd, status.capped, status.matched_calls) == (0.5, 0.5, True, 9)
    assert [s.scorer.name for s in status.scorers] == ["short"]
    assert workload_status(engine, CONFIG, None, now)[0].workload == "test"  # every workload with a scorer
