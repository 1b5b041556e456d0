"""The SDK against a real gateway: app span -> gateway llm span -> tool span form one tree."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import rungway.sdk as rw
from rungway.traces.store import get_trace
from rungway.traces.views import trace_tree
from tests.servers import Gateway


@pytest.fixture
def sdk(gateway: Gateway) -> Iterator[Gateway]:
    key = gateway.create_key("support-bot")
    rw.configure(gateway.base_url, key.secret, service="support-app")
    try:
        yield gateway
    finally:
        rw.shutdown()


@rw.trace(kind="retrieval")
def search_kb(query: str) -> list[str]:
    return [f"doc about {query}"]


def test_app_gateway_and_tool_spans_form_one_tree(sdk: Gateway) -> None:
    client = rw.openai_client(max_retries=0)
    with rw.span("answer question", kind="agent") as root:
        docs = search_kb("refunds")
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"Use {docs[0]}: how do refunds work?"}]
        )
        with rw.span("lookup_order", kind="tool") as tool:
            tool.set_input({"order_id": 42})
            tool.set_output({"status": "shipped"})
    assert reply.choices[0].message.content
    assert rw.flush()
    sdk.flush()
    found = get_trace(sdk.state.engine, root.trace_id)
    assert found is not None
    tree = trace_tree(*found)
    assert tree["span_count"] == 4 and tree["name"] == "answer question"
    (top,) = tree["spans"]
    children = {c["kind"]: c for c in top["children"]}
    assert set(children) == {"retrieval", "llm", "tool"}
    llm = children["llm"]
    assert llm["source"] == "gateway" and llm["parent_span_id"] == root.span_id
    assert "refunds" in str(llm["input"]) and llm["output"][0]["content"] == reply.choices[0].message.content
    assert llm["tokens_in"] > 0 and llm["cost_nano"] > 0 and tree["cost_nano"] == llm["cost_nano"]
    assert children["tool"]["input"] == {"order_id": 42} and children["retrieval"]["output"] == ["doc about refunds"]


def test_async_client_and_async_spans_join_the_same_trace(sdk: Gateway) -> None:
    @rw.trace(kind="tool")
    async def fetch_weather(city: str) -> str:
        await asyncio.sleep(0)
        return f"sunny in {city}"

    async def run() -> str:
        client = rw.async_openai_client(max_retries=0)
        async with rw.span("async agent", kind="agent") as root:
            await fetch_weather("Paris")
            await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
            await client.close()
        return root.trace_id

    trace_id = asyncio.run(run())
    assert rw.flush()
    sdk.flush()
    found = get_trace(sdk.state.engine, trace_id)
    assert found is not None
    kinds = sorted(s["kind"] for s in found[1])
    assert kinds == ["agent", "llm", "tool"]


def test_a_failing_step_is_an_error_span(sdk: Gateway) -> None:
    with pytest.raises(ValueError), rw.span("broken step", kind="chain") as s:
        raise ValueError("no such order")
    assert rw.flush()
    sdk.flush()
    found = get_trace(sdk.state.engine, s.trace_id)
    assert found is not None
    trace, spans = found
    assert trace["status"] == "error" and "no such order" in spans[0]["status_message"]
