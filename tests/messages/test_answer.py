"""A chat completion written as a Message: text and tool_use blocks, stop reason, usage."""

from __future__ import annotations

import json

from rungway.messages.answer import message_body


def test_a_completion_becomes_a_message_with_parsed_tool_input() -> None:
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}},
        {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "not json"}},
    ]
    message_in = {"role": "assistant", "content": "Hi", "tool_calls": calls}
    completion = {
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message_in}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2},
    }
    message = json.loads(message_body("msg_3", "asked-model", completion, None))
    assert message["model"] == "asked-model" and message["stop_reason"] == "tool_use"
    assert message["content"] == [
        {"type": "text", "text": "Hi"},
        {"type": "tool_use", "id": "c1", "name": "f", "input": {"a": 1}},
        {"type": "tool_use", "id": "c2", "name": "g", "input": {}},
    ]
    assert message["usage"]["input_tokens"] == 5 and message["usage"]["output_tokens"] == 2
