"""Trace correctness on SQLite and PostgreSQL: re-sent exports stored once, the trace's model, text search."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

import pytest

from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.traces.store import TraceFilter, get_trace, insert_spans, list_traces
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway
from tests.traces.otlp_helpers import post, raw_export
from tests.traces.test_store import row

PB = {"Content-Type": "application/x-protobuf"}


def test_a_resent_export_is_stored_once_within_and_across_batches(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG, store_url=store_url)
    key = gw.create_key()
    headers = {"Authorization": f"Bearer {key.secret}", **PB}
    trace_id = bytes.fromhex(secrets.token_hex(16))
    body = raw_export(trace_id, ["root", "child"], {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": "7"})
    url = f"{gw.base_url}/v1/traces"
    # the same export twice before the writer runs (one batch), then again after (a later batch)
    assert post(url, body, headers).status_code == 200 and post(url, body, headers).status_code == 200
    gw.flush()
    assert post(url, body, headers).status_code == 200
    gw.flush()
    found = get_trace(gw.state.engine, trace_id.hex())
    assert found is not None
    trace, spans = found
    assert len(spans) == 2 and trace["span_count"] == 2
    assert trace["tokens_in"] == sum(s["tokens_in"] for s in spans) == 14
    assert trace["cost_nano"] == sum(s["cost_nano"] for s in spans) > 0


def test_the_store_skips_a_span_repeated_inside_one_batch(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    t = "c" * 32
    span = row(t, "1" * 16, None, cost_nano=500, tokens_in=3)
    assert insert_spans(engine, [span, span, row(t, "2" * 16, "1" * 16)]) == 2
    assert insert_spans(engine, [span]) == 0
    found = get_trace(engine, t)
    assert found is not None and found[0]["span_count"] == 2 and found[0]["cost_nano"] == 600
    assert found[0]["tokens_in"] == 13


def test_a_traces_model_is_its_llm_spans_not_the_first_model_seen(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    t1, t2 = "d" * 32, "e" * 32
    embed = row(t1, "1" * 16, None, kind="embedding", model="text-embedding-3-small", start_time=999.0)
    insert_spans(engine, [embed, row(t1, "2" * 16, "1" * 16, kind="llm", model="gpt-4o")])
    # across batches: the embedding arrives first and alone
    insert_spans(engine, [row(t2, "1" * 16, None, kind="embedding", model="text-embedding-3-small")])
    insert_spans(engine, [row(t2, "2" * 16, "1" * 16, kind="retrieval", model="reranker-x")])
    insert_spans(engine, [row(t2, "3" * 16, "1" * 16, kind="llm", model="gpt-4o-mini")])
    insert_spans(engine, [row(t2, "4" * 16, "1" * 16, kind="llm", model="gpt-4o")])
    models = {t["trace_id"]: t["model"] for t in list_traces(engine, TraceFilter())}
    assert models == {t1: "gpt-4o", t2: "gpt-4o-mini"}


SCRIPTS = {
    "cyrillic": "Где мой заказ",
    "cjk": "我的订单在哪里",
    "accented": "café crème brûlée",
    "emoji": "order 📦 shipped 🚚",
    "quoted": 'say "hello" to C:\\temp',
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_text_search_finds_every_script_as_written_and_inside_json_encoded_messages(
    store_url: str, script: str
) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    text = SCRIPTS[script]
    messages_ascii = json.dumps([{"role": "user", "content": f"hi {text}"}])  # json.dumps escapes non-ASCII
    messages_utf8 = json.dumps([{"role": "user", "content": f"hi {text}"}], ensure_ascii=False)
    stored = {
        "a" * 32: json.dumps({"attributes": {"input.value": f"plain {text}"}}, ensure_ascii=False).encode(),
        "b" * 32: json.dumps({"attributes": {"gen_ai.input.messages": messages_ascii}}, ensure_ascii=False).encode(),
        "c" * 32: json.dumps({"attributes": {"gen_ai.input.messages": messages_utf8}}, ensure_ascii=False).encode(),
        "d" * 32: raw_export(b"\x01" * 16, ["x"], {"gen_ai.input.messages": messages_ascii}),
        "e" * 32: raw_export(b"\x00" * 16, ["x"], {"input.value": text}),  # protobuf content with NUL bytes first
        "f" * 32: b'{"attributes": {"input.value": "something else entirely"}}',
    }
    insert_spans(engine, [row(t, "1" * 16, None, content=content) for t, content in stored.items()])
    found = {t["trace_id"] for t in list_traces(engine, TraceFilter(text=text))}
    assert found == set(stored) - {"f" * 32}
