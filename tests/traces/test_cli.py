"""`rungway traces purge --older-than` takes durations; `rungway traces show` never prints `None`."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.traces.model import SpanRow
from rungway.traces.store import get_trace, insert_spans
from tests.cli.run import invoke, rungway


def span(trace_id: str, age_s: float, **overrides: object) -> SpanRow:
    start = time.time() - age_s
    values: dict[str, object] = {
        "trace_id": trace_id, "span_id": trace_id[:16], "parent_span_id": None, "name": "answer", "kind": "llm",
        "source": "otlp", "start_time": start, "end_time": start + 1, "latency_ms": 1000.0, "status": "ok",
        "status_message": None, "workload": "bot", "user_id": "ana", "session_id": "s1", "tags": "{}",
        "service": "app", "model": "gpt-4o", "provider": "openai", "tokens_in": 10, "tokens_out": 5,
        "cost_nano": 100, "content": b"{}",
    }  # fmt: skip
    values.update(overrides)
    return SpanRow(**values)  # type: ignore[arg-type]


def store_with(url: str, *rows: SpanRow) -> Engine:
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    insert_spans(engine, list(rows))
    return engine


DAY = 86400.0
OLD, MIDDLE, NEW = "a" * 32, "b" * 32, "c" * 32


@pytest.mark.parametrize(
    ("older_than", "left"),
    [("30d", {OLD, MIDDLE, NEW}), ("2d", {MIDDLE, NEW}), ("12h", {NEW}), ("2", {MIDDLE, NEW}), ("0.25", {NEW})],
)
def test_purge_older_than_takes_a_duration_or_a_bare_number_of_days(
    store_url: str, older_than: str, left: set[str]
) -> None:
    engine = store_with(store_url, span(OLD, 3 * DAY), span(MIDDLE, DAY), span(NEW, 3600))
    invoke(store_url, "traces", "purge", "--older-than", older_than)
    assert {t for t in (OLD, MIDDLE, NEW) if get_trace(engine, t) is not None} == left
    engine.dispose()


@pytest.mark.parametrize("value", ["soon", "-3", "nan", "-2d"])
def test_purge_refuses_what_is_not_an_age_in_one_line(sqlite_url: str, value: str) -> None:
    result = rungway(sqlite_url, "traces", "purge", "--older-than", value)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "30d" in result.stderr and "--older-than" in result.stderr


def test_show_prints_a_dash_for_absent_values_never_none(sqlite_url: str) -> None:
    store_with(sqlite_url, span(NEW, 60, user_id=None, session_id=None, model=None, service=None)).dispose()
    shown = invoke(sqlite_url, "traces", "show", NEW).output
    assert "None" not in shown
    assert "user=-" in shown and "session=-" in shown and "workload=bot" in shown
