"""The request log's breakdowns behind an anomaly, on both stores: each dimension's values with calls and mass,
the baseline hours, and example traces of the value that moved."""

from __future__ import annotations

from sqlalchemy import Engine

from rungway.anomalies.breakdown import baseline_hours, example_traces, read_breakdowns
from rungway.anomalies.detector import DAY, HOUR, WEEK
from tests.anomalies.support import CALLS_PER_HOUR, fixed_now, seed_bad_hour, seed_traffic

HOUR0 = fixed_now() - 1800 - HOUR


def test_baseline_hours_are_earlier_weeks_else_earlier_days() -> None:
    weeks = [HOUR0 - WEEK, HOUR0 - 2 * WEEK]
    days = [HOUR0 - k * DAY for k in range(1, 8)]
    assert baseline_hours(HOUR0, 4, [*weeks, *days]) == weeks
    assert baseline_hours(HOUR0, 4, days) == days
    assert baseline_hours(HOUR0, 4, []) == []


def test_breakdowns_and_traces_of_a_failing_model(engine: Engine) -> None:
    seed_traffic(engine, "test", HOUR0 - 2 * DAY, 48)
    seed_bad_hour(engine, "test", HOUR0)
    window, before = read_breakdowns(engine, "test", "error_rate", HOUR0, 0.02, [HOUR0 - DAY, HOUR0 - 2 * DAY])
    assert set(window) == {"model", "route", "user", "prompt_version", "provider"}
    assert window["model"]["gpt-4o"] == (CALLS_PER_HOUR // 2, CALLS_PER_HOUR // 2)
    assert window["route"] == {"(default)": (CALLS_PER_HOUR, window["route"]["(default)"][1])}
    assert sum(c for c, _ in before["model"].values()) == 2 * CALLS_PER_HOUR
    traces = example_traces(engine, "test", "error_rate", HOUR0, 0.02, "model", "gpt-4o")
    assert len(traces) == 5
    assert example_traces(engine, "test", "error_rate", HOUR0 - DAY, 0.02, "model", "no-such-model") == ()
    assert read_breakdowns(engine, "test", "score:helpfulness", HOUR0, 0.5, [HOUR0 - DAY]) == ({}, {})
