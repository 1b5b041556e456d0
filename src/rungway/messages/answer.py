"""A chat completion written back as an Anthropic Message (content blocks, stop reason, usage)."""

from __future__ import annotations

from typing import Any

import orjson

from rungway.domain.usage import Usage

__all__ = ["STOP_REASONS", "message_body", "parse_input", "usage_json"]

STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def usage_json(usage: Usage | None) -> dict[str, int]:
    """Anthropic's usage: `input_tokens` excludes what was read from the prompt cache (counted apart)."""
    if usage is None:
        usage = Usage()
    cached = min(usage.cached_input, usage.input)
    return {
        "input_tokens": usage.input - cached,
        "output_tokens": usage.output,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": 0,
    }


def parse_input(arguments: Any) -> dict[str, Any]:
    """A tool call's arguments (JSON text) as the tool_use `input` object; {} when they are not an object."""
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str) or not arguments:
        return {}
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def message_body(message_id: str, model: str, completion: dict[str, Any], usage: Usage | None) -> bytes:
    """The Message for a JSON chat completion (its first choice)."""
    choices = completion.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    content: list[dict[str, Any]] = []
    text = message.get("content")
    if isinstance(text, str) and text:
        content.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id") or "",
                "name": function.get("name") or "",
                "input": parse_input(function.get("arguments")),
            }
        )
    if usage is None:
        usage = Usage.from_openai(completion.get("usage"))
    return orjson.dumps(
        {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": STOP_REASONS.get(choice.get("finish_reason") or "stop", "end_turn"),
            "stop_sequence": None,
            "usage": usage_json(usage),
        }
    )
