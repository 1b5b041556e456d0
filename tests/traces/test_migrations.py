"""Migration t0065 on a store written by t0001: duplicate spans removed, roll-ups per workload recomputed."""

from __future__ import annotations

import os
from importlib import resources

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text

from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.traces.store import TraceFilter, get_trace, list_traces

_SPAN = (
    "INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, source, start_time, end_time, latency_ms, "
    "status, workload, tags, model, tokens_in, tokens_out, cost_nano, content) VALUES "
    "(:t, :s, :p, :n, :k, 'otlp', :st, 2.0, 1.0, 'ok', :w, '{}', :m, 10, 1, 100, :c)"
)


def test_t0065_removes_doubled_spans_and_splits_a_trace_by_workload(store_url: str) -> None:
    engine = create_store_engine(store_url)
    cfg = AlembicConfig()
    core = resources.files("rungway.store").joinpath("migrations")
    cfg.set_main_option("script_location", str(core))
    cfg.set_main_option("path_separator", "os")
    folders = (str(core.joinpath("versions")), str(resources.files("rungway.traces.migrations")))
    cfg.set_main_option("version_locations", os.pathsep.join(folders))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "t0001")
    t = "ab" * 16
    spans = [
        {"s": "1" * 16, "p": None, "n": "root", "k": "embedding", "st": 1.0, "w": "a", "m": "text-embedding-3-small"},
        {"s": "1" * 16, "p": None, "n": "root", "k": "embedding", "st": 1.0, "w": "a", "m": "text-embedding-3-small"},
        {"s": "2" * 16, "p": "1" * 16, "n": "chat", "k": "llm", "st": 1.5, "w": "a", "m": "gpt-4o"},
        {"s": "3" * 16, "p": "1" * 16, "n": "b call", "k": "llm", "st": 1.2, "w": "b", "m": "gpt-4o-mini"},
    ]
    with engine.begin() as conn:
        for span in spans:
            conn.execute(text(_SPAN), {**span, "t": t, "c": b'{"attributes": {}}'})
        conn.execute(
            text(
                "INSERT INTO traces (trace_id, workload, tags, name, has_root, start_time, end_time, span_count, "
                "error_count, tokens_in, tokens_out, cost_nano) "
                "VALUES (:t, 'a', '{}', 'root', 1, 1.0, 2.0, 4, 0, 40, 4, 400)"
            ),
            {"t": t},
        )
    upgrade(engine, migration_packages())
    rows = {r["workload"]: r for r in list_traces(engine, TraceFilter())}
    assert rows["a"]["span_count"] == 2 and rows["a"]["cost_nano"] == 200 and rows["a"]["name"] == "root"
    assert rows["a"]["model"] == "gpt-4o"
    assert rows["b"]["span_count"] == 1 and rows["b"]["name"] == "b call" and rows["b"]["model"] == "gpt-4o-mini"
    found = get_trace(engine, t, "b")
    assert found is not None and sum(1 for s in found[1] if s.get("hidden")) == 2
