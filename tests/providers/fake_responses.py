"""OpenAI's Responses API as the loopback upstream answers it (`FakeOpenAI` serves it at /v1/responses).

A request with function tools whose input does not end with a `function_call_output` gets a reasoning item
and a `function_call` (arguments built from the tool's schema); any other gets a reasoning item and a message.
Usage reports cached and reasoning tokens. Streams follow OpenAI's typed event sequence, `event:` lines
included. The model `error-500` answers OpenAI's error; `stream-fail` ends its stream with `response.failed`.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["USAGE", "response", "stream_events"]

USAGE = {
    "input_tokens": 12,
    "input_tokens_details": {"cached_tokens": 4},
    "output_tokens": 6,
    "output_tokens_details": {"reasoning_tokens": 2},
    "total_tokens": 18,
}
TEXT = "Hello from fake Responses."


def response(body: dict[str, Any]) -> dict[str, Any]:
    """The response object OpenAI would answer for this request."""
    items = body.get("input")
    last = items[-1] if isinstance(items, list) and items else {}
    tools = [tool for tool in body.get("tools") or [] if tool.get("type") == "function"]
    output: list[dict[str, Any]] = [{"id": "rs_up1", "type": "reasoning", "summary": []}]
    if tools and last.get("type") != "function_call_output":
        from tests.providers.fake_anthropic import (
            value_for,
        )  # here: fake_anthropic imports fake_openai, which imports us

        tool = tools[0]
        arguments = orjson.dumps(value_for(tool.get("parameters") or {})).decode()
        output.append(
            {"id": "fc_up2", "type": "function_call", "status": "completed", "call_id": "call_up", "name": tool["name"],
             "arguments": arguments}
        )  # fmt: skip
    else:
        part = {"type": "output_text", "text": TEXT, "annotations": []}
        output.append(
            {"id": "msg_up3", "type": "message", "status": "completed", "role": "assistant", "content": [part]}
        )
    return {
        "id": "resp_upstream1",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "model": body.get("model"),
        "output": output,
        "instructions": body.get("instructions"),
        "store": body.get("store", True),
        "previous_response_id": body.get("previous_response_id"),
        "usage": USAGE,
    }


def stream_events(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The events OpenAI streams for `answer`."""
    start = {**answer, "status": "in_progress", "output": [], "usage": None}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
    ]
    for index, item in enumerate(answer["output"]):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": {**item, "content": []}}
            )
            part = {"type": "output_text", "text": "", "annotations": []}
            events.append({"type": "response.content_part.added", "item_id": item["id"], "output_index": index,
                           "content_index": 0, "part": part})  # fmt: skip
            for piece in ("Hello", " from", " fake", " Responses."):
                events.append({"type": "response.output_text.delta", "item_id": item["id"], "output_index": index,
                               "content_index": 0, "delta": piece})  # fmt: skip
            events.append({"type": "response.output_text.done", "item_id": item["id"], "output_index": index,
                           "content_index": 0, "text": text})  # fmt: skip
        elif item["type"] == "function_call":
            events.append({"type": "response.output_item.added", "output_index": index,
                           "item": {**item, "arguments": "", "status": "in_progress"}})  # fmt: skip
            arguments = item["arguments"]
            for piece in (arguments[:4], arguments[4:]):
                events.append({"type": "response.function_call_arguments.delta", "item_id": item["id"],
                               "output_index": index, "delta": piece})  # fmt: skip
        else:
            events.append({"type": "response.output_item.added", "output_index": index, "item": item})
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": answer})
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events
