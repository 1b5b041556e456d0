"""The trace store on SQLite and PostgreSQL: roll-ups, filters, text search, purge; the API and CLI over it."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from rungway.capability import migration_packages
from rungway.cli.main import cli
from rungway.domain.workloads import Workload
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.workloads import upsert_workload
from rungway.traces.model import SpanRow
from rungway.traces.store import (
    TraceCursor,
    TraceFilter,
    get_trace,
    insert_spans,
    list_traces,
    purge_expired,
    trace_stats,
)
from tests.servers import Gateway
from tests.traces.otlp_helpers import get


def row(trace: str, span: str, parent: str | None, **kw: object) -> SpanRow:
    values: dict[str, object] = {
        "trace_id": trace, "span_id": span, "parent_span_id": parent, "name": f"span {span}", "kind": "llm",
        "source": "otlp", "start_time": 1000.0, "end_time": 1001.0, "latency_ms": 1000.0, "status": "ok",
        "status_message": None, "workload": "bot", "user_id": "alice", "session_id": "s1", "tags": "{}",
        "service": "app", "model": "gpt-4o", "provider": "openai", "tokens_in": 10, "tokens_out": 5,
        "cost_nano": 100, "content": b'{"attributes": {"input.value": "refund for order 7"}}',
    }  # fmt: skip
    values.update(kw)
    return SpanRow(**values)  # type: ignore[arg-type]


def test_trace_rolls_up_across_batches_and_filters_work(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    t1, t2 = "a" * 32, "b" * 32
    insert_spans(engine, [row(t1, "1" * 16, "2" * 16, start_time=1000.5), row(t2, "3" * 16, None, model="gpt-4o-mini")])
    insert_spans(engine, [row(t1, "2" * 16, None, name="root", end_time=1003.0, status="error", cost_nano=900)])
    found = get_trace(engine, t1)
    assert found is not None
    trace, spans = found
    assert trace["name"] == "root" and trace["span_count"] == 2 and trace["cost_nano"] == 1000
    assert trace["tokens_in"] == 20 and trace["status"] == "error" and trace["latency_ms"] == 3000.0
    assert [s["span_id"] for s in spans] == ["2" * 16, "1" * 16]
    ids = lambda f: {t["trace_id"] for t in list_traces(engine, f)}  # noqa: E731
    assert ids(TraceFilter(status="error")) == {t1}
    assert ids(TraceFilter(min_cost_nano=500)) == {t1}
    assert ids(TraceFilter(min_latency_ms=2000)) == {t1}
    assert ids(TraceFilter(model="gpt-4o-mini")) == {t2}
    assert ids(TraceFilter(text="REFUND for")) == {t1, t2}
    assert ids(TraceFilter(text="nothing like this")) == set()
    # with a start, the search still finds a trace whose matching span started after its first one
    assert ids(TraceFilter(text="REFUND for", since=1000.0)) == {t1, t2}
    assert ids(TraceFilter(text="REFUND for", since=1000.2)) == set()  # both traces started at 1000.0
    assert ids(TraceFilter(user="alice", session="s1", workload="bot", since=900)) == {t1, t2}
    assert trace_stats(engine, "bot") == {"traces": 2, "spans": 3}


def test_retention_purges_only_expired_traces_of_workloads_with_a_period(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    upsert_workload(engine, Workload(name="bot", retention_days=7))
    upsert_workload(engine, Workload(name="keep"))
    now = time.time()
    old, new, kept = "c" * 32, "d" * 32, "e" * 32
    insert_spans(
        engine, [row(old, "1" * 16, None, start_time=now - 8 * 86400), row(new, "2" * 16, None, start_time=now)]
    )
    insert_spans(engine, [row(kept, "3" * 16, None, workload="keep", start_time=now - 80 * 86400)])
    results = {r.workload: (r.traces, r.spans) for r in purge_expired(engine, None, now)}
    assert results == {"bot": (1, 1)}
    assert get_trace(engine, old) is None and get_trace(engine, new) is not None and get_trace(engine, kept) is not None


def test_gateway_span_content_capture_and_redaction(gateway_factory: object) -> None:
    from tests.conftest import SIMULATOR_CONFIG

    config = SIMULATOR_CONFIG + "  redacting:\n    capture: redacted\n  quiet:\n    capture: metadata-only\n"
    gw: Gateway = gateway_factory(config)  # type: ignore[operator]
    import openai

    secret_text = (
        "my key sk-proj-abcdefghijklmnopqrstuvwxyz012345, rw-abcdefghij0123456789xyzXYZ, AKIAIOSFODNN7EXAMPLE, "
        "Authorization: Bearer abc.def.ghijklmnop and password=hunter2!"
    )
    trace_ids = {}
    for workload in ("test", "redacting", "quiet"):
        key = gw.create_key(workload)
        client = openai.OpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": secret_text}], temperature=0.2
        )
        trace_ids[workload] = raw.headers["x-rungway-trace-id"]
        stored_key = key.secret
    gw.flush()
    contents = {}
    for workload, trace_id in trace_ids.items():
        found = get_trace(gw.state.engine, trace_id)
        assert found is not None
        (span,) = found[1]
        assert span["kind"] == "llm" and span["source"] == "gateway" and span["tokens_in"] > 0
        contents[workload] = span["content"].decode()
        assert stored_key not in contents[workload] and "Authorization" not in json.loads(contents[workload])
    assert "hunter2" in contents["test"] and '"gen_ai.request.temperature":0.2' in contents["test"]
    for planted in ("sk-proj-abc", "rw-abcdefghij", "AKIAIOSFODNN7EXAMPLE", "abc.def.ghijklmnop", "hunter2"):
        assert planted not in contents["redacting"], planted
    assert "[REDACTED:api_key]" in contents["redacting"] and "password=[REDACTED:credential]" in contents["redacting"]
    assert "gen_ai.input.messages" not in contents["quiet"] and "gen_ai.output.messages" not in contents["quiet"]
    assert "gen_ai.usage.input_tokens" in contents["quiet"]


def test_api_and_cli_list_and_show_a_trace(gateway: Gateway) -> None:
    import openai

    key = gateway.create_key("support-bot")
    client = openai.OpenAI(base_url=gateway.openai_base, api_key=key.secret, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "where is parcel 991?"}], user="bob"
    )
    trace_id = raw.headers["x-rungway-trace-id"]
    gateway.flush()
    admin = {"Authorization": "Bearer admin-secret"}
    listed = get(f"{gateway.base_url}/api/traces?user=bob&q=parcel%20991&status=ok", admin).json()
    assert [t["trace_id"] for t in listed["data"]] == [trace_id]
    shown = get(f"{gateway.base_url}/api/traces/{trace_id}", admin).json()
    assert shown["spans"][0]["input"][0]["content"] == "where is parcel 991?"
    assert get(f"{gateway.base_url}/api/traces/stats?workload=support-bot", admin).json()["spans"] == 1
    assert get(f"{gateway.base_url}/api/traces?status=maybe", admin).status_code == 400
    other = gateway.create_key("other", role=__import__("rungway.domain.keys").domain.keys.Role.VIEWER)
    assert (
        get(f"{gateway.base_url}/api/traces/{trace_id}", {"Authorization": f"Bearer {other.secret}"}).status_code == 404
    )
    env = {"RUNGWAY_DATABASE_URL": gateway.config.database_url}
    runner = CliRunner()
    listed_cli = runner.invoke(cli, ["traces", "list", "--user", "bob", "--format", "json"], env=env)
    assert listed_cli.exit_code == 0, listed_cli.output
    assert json.loads(listed_cli.output)[0]["trace_id"] == trace_id
    shown_cli = runner.invoke(cli, ["traces", "show", trace_id], env=env)
    assert shown_cli.exit_code == 0 and "where is parcel 991?" in shown_cli.output and "llm" in shown_cli.output
    purged = runner.invoke(cli, ["traces", "purge", "--older-than", "0"], env=env)
    assert purged.exit_code == 0 and "purged 1 traces (1 spans)" in purged.output


def test_the_trace_list_pages_through_ties_without_losing_or_repeating_a_trace(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    same = 1_000_000.0  # seven traces started at the very same instant, in two workloads
    spans = [row(f"{n:032x}", f"{n + 1:016x}", None, start_time=same, workload=f"w{n % 2}") for n in range(7)]
    spans += [row(f"{n:032x}", f"{n + 1:016x}", None, start_time=same - n) for n in range(7, 12)]
    insert_spans(engine, spans)
    seen: list[tuple[str, str]] = []
    f = TraceFilter(limit=3)
    while True:
        page = list_traces(engine, f)
        seen += [(r["trace_id"], r["workload"]) for r in page]
        if len(page) < 3:
            break
        last = page[-1]
        f = TraceFilter(limit=3, after=TraceCursor(last["start_time"], last["trace_id"], last["workload"]))
    engine.dispose()
    assert len(seen) == len(set(seen)) == 12
    assert [t for t, _ in seen[:7]] == sorted((f"{n:032x}" for n in range(7)), reverse=True)
    cursor = TraceCursor(same, "a" * 32, "w1")
    assert TraceCursor.decode(cursor.encode()) == cursor
    for bad in ("1.0~nothex~w", "nan~" + "a" * 32 + "~w", "1.0", "1.0~" + "a" * 32 + "~" + "w" * 65):
        with pytest.raises(ValueError):
            TraceCursor.decode(bad)
