"""The approval view's usage evidence: one prompt version's calls, errors, median latency and cost in a
window, from the request log's prompt columns, scoped to a workload, on both stores."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.prompts.pages.evidence import version_usage
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests

NOW = 1_900_000_000.0


def _call(
    i: int,
    *,
    workload: str = "bot",
    version: int | None = 2,
    status: int = 200,
    ago: float = 60.0,
    latency: float = 100.0,
    name: str | None = "answer",
) -> RequestRecord:
    return RequestRecord(
        id=f"req_{i:03d}",
        ts_start=NOW - ago,
        ts_end=NOW - ago + 1,
        workload=workload,
        key_id=None,
        user=None,
        team=None,
        model_requested="gpt-4o-mini",
        status=status,
        latency_ms=latency,
        tokens_in=10,
        tokens_out=5,
        cost_nano=1_000 * (i + 1),
        priced=True,
        prompt_name=name if version is not None else None,
        prompt_version=version,
    )


@pytest.fixture
def engine(store_url: str) -> Engine:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    calls = [_call(i, latency=float(10 * (i + 1)), status=500 if i == 3 else 200) for i in range(5)]
    calls += [
        _call(10, version=1),  # another version
        _call(11, version=None),  # no prompt
        _call(12, name="other"),  # another prompt of the same version number
        _call(13, workload="etl"),  # another workload's calls of a shared prompt
        _call(14, ago=8 * 86_400),  # before the window
    ]
    insert_requests(engine, calls)
    return engine


def test_usage_counts_only_that_version_in_the_window_and_workload(engine: Engine) -> None:
    usage = version_usage(engine, workload="bot", name="answer", version=2, since=NOW - 7 * 86_400, until=NOW)
    assert (usage.calls, usage.errors) == (5, 1)
    assert usage.p50_latency_ms == 30.0  # the middle of 10, 20, 30, 40, 50
    assert usage.cost_nano == sum(1_000 * (i + 1) for i in range(5))
    assert usage.error_rate == pytest.approx(0.2)
    everyone = version_usage(engine, workload=None, name="answer", version=2, since=NOW - 7 * 86_400, until=NOW)
    assert everyone.calls == 6  # the admin's view of a shared prompt: every workload's calls


def test_no_calls_is_zero_with_no_latency(engine: Engine) -> None:
    usage = version_usage(engine, workload="bot", name="answer", version=9, since=NOW - 86_400, until=NOW)
    assert (usage.calls, usage.errors, usage.cost_nano, usage.p50_latency_ms, usage.error_rate) == (0, 0, 0, None, None)
