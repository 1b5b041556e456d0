"""`stream.py`: chat chunks as the Responses API's typed events, numbered in order, and the stored result."""

from __future__ import annotations

import json
from typing import Any

from rungway.domain.usage import Usage
from rungway.errors import UpstreamError
from rungway.responses.stream import ResponsesStream


def events(raw: bytes | list[bytes]) -> list[dict[str, Any]]:
    blob = raw if isinstance(raw, bytes) else b"".join(raw)
    return [json.loads(block.split(b"data: ", 1)[1]) for block in blob.split(b"\n\n") if block]


def stream(done: list[dict[str, Any]]) -> ResponsesStream:
    return ResponsesStream("resp_b", "b", 1.0, "m", {"metadata": {}}, True, done.append)


def delta(**fields: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": fields}]}


def test_text_then_a_tool_call_become_two_items_in_order() -> None:
    done: list[dict[str, Any]] = []
    translation = stream(done)
    out = [*translation.chunk(delta(content="Hel")), *translation.chunk(delta(content="lo"))]
    out += translation.chunk(
        delta(tool_calls=[{"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"a"'}}])
    )
    out += translation.chunk(delta(tool_calls=[{"index": 0, "function": {"arguments": ":1}"}}]))
    out += translation.chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    out += translation.end(Usage(input=3, output=4))
    got = events(out)
    assert [e["sequence_number"] for e in got] == list(range(len(got)))
    assert [e["type"] for e in got] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    final = got[-1]["response"]
    assert [item["type"] for item in final["output"]] == ["message", "function_call"]
    assert final["output"][1]["arguments"] == '{"a":1}' and final["output"][1]["call_id"] == "c1"
    assert final["usage"]["total_tokens"] == 7 and done == [final]


def test_a_length_finish_is_an_incomplete_response() -> None:
    done: list[dict[str, Any]] = []
    translation = stream(done)
    out = [
        *translation.chunk(delta(content="x")),
        *translation.chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}),
    ]
    last = events([*out, *translation.end(None)])[-1]
    assert last["type"] == "response.incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_an_error_after_the_start_is_an_error_event_then_response_failed() -> None:
    done: list[dict[str, Any]] = []
    translation = stream(done)
    translation.chunk(delta(content="x"))
    got = events(translation.error(UpstreamError("upstream went away", code="upstream_error")))
    assert [e["type"] for e in got] == ["error", "response.failed"]
    assert got[1]["response"]["status"] == "failed" and got[1]["response"]["error"]["code"] == "upstream_error"
    assert not done
