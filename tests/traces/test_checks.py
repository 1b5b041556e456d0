"""The traces capability's evidence check (traces/checks.py): prompts and outputs kept, tool calls traced,
and a workload that sends only OTLP spans judged on them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import openai
import pytest

from tests.assessment.helpers import ASSESS_CONFIG, api, assess, chat
from tests.servers import Gateway
from tests.traces.otlp_helpers import otel_tracer

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(ASSESS_CONFIG, store_url=store_url)


def _traces_item(gw: Gateway, workload: str) -> dict[str, Any]:
    return {r["item"]: r for r in assess(gw, workload)[workload]["items"]}["detailed_traces"]


def test_gateway_calls_with_captured_prompts_and_outputs_meet_detailed_traces(gw: Gateway) -> None:
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 5, user="u1")
    item = _traces_item(gw, "good")
    assert item["verdict"] == "met" and item["evidence"]["traced_with_content"] == 5


def test_gateway_only_traces_without_content_do_not_pass(gw: Gateway) -> None:
    key = gw.create_key("weak")  # capture: metadata-only
    chat(gw, key.secret, "pinned-model", 4, user="u1")
    item = _traces_item(gw, "weak")
    assert item["verdict"] == "unmet" and "metadata-only" in item["reason"]
    assert item["evidence"]["sampled_traces"] == 4 and item["evidence"]["traced_with_content"] == 0


def test_tool_calls_the_model_asked_for_without_tool_spans_are_only_partial(gw: Gateway) -> None:
    key = gw.create_key("good")
    client = openai.OpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0)
    for _ in range(3):
        client.chat.completions.create(
            model="pinned-model", messages=[{"role": "user", "content": "look it up"}], tools=TOOLS, user="u1"
        )  # type: ignore[call-overload]
    item = _traces_item(gw, "good")
    assert item["evidence"]["sampled_tool_calls_asked"] >= 1
    assert item["verdict"] == "partial" and "no tool span" in item["reason"]


def test_workload_sending_only_otlp_spans_is_assessed_on_them(gw: Gateway) -> None:
    key = gw.create_key("idle")  # no gateway calls at all
    messages = json.dumps([{"role": "user", "content": "hi"}])
    with otel_tracer(gw.base_url, key.secret) as tracer:
        for i in range(3):
            with tracer.start_as_current_span(f"answer {i}"):
                with tracer.start_as_current_span("retrieve docs") as retrieval:
                    retrieval.set_attribute("gen_ai.operation.name", "retrieval")
                with tracer.start_as_current_span("chat gpt-4o") as llm:
                    llm.set_attribute("gen_ai.operation.name", "chat")
                    llm.set_attribute("gen_ai.input.messages", messages)
                    llm.set_attribute("gen_ai.output.messages", json.dumps([{"role": "assistant", "content": "ok"}]))
    item = _traces_item(gw, "idle")
    assert item["verdict"] == "met", item
    assert "OTLP" in item["reason"] and item["evidence"]["sampled_retrieval_spans"] == 3


def test_otlp_llm_spans_without_prompts_and_outputs_do_not_pass(gw: Gateway) -> None:
    key = gw.create_key("idle")
    with otel_tracer(gw.base_url, key.secret) as tracer, tracer.start_as_current_span("chat gpt-4o") as llm:
        llm.set_attribute("gen_ai.operation.name", "chat")
    assert _traces_item(gw, "idle")["verdict"] == "unmet"


def test_reading_the_workloads_traces_counts_as_reading_its_logs(gw: Gateway) -> None:
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 2, user="u1")
    before = {r["item"]: r["verdict"] for r in assess(gw, "good")["good"]["items"]}
    assert before["basic_logging"] == "partial"
    assert api(gw, "GET", "/api/traces", workload="good")[0] == 200
    after = {r["item"]: r for r in assess(gw, "good")["good"]["items"]}["basic_logging"]
    assert after["verdict"] == "met" and after["evidence"]["log_reads"] == {"traces": 1}
