"""The `response` object: output items from a chat completion, usage, status and the request's echoed fields."""

from __future__ import annotations

from typing import Any

from rungway.domain.usage import Usage

__all__ = ["function_call_item", "message_item", "output_items", "response_object", "response_usage", "status_of"]


def message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def function_call_item(
    item_id: str, call_id: str, name: str, arguments: str, status: str = "completed"
) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def output_items(base: str, message: dict[str, Any]) -> list[dict[str, Any]]:
    """A chat choice's message as output items: its text (if any), then one item per tool call."""
    items: list[dict[str, Any]] = []
    text = message.get("content")
    if isinstance(text, str) and text:
        items.append(message_item(f"msg_{base}_0", text))
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        items.append(
            function_call_item(
                f"fc_{base}_{len(items)}",
                str(call.get("id") or f"call_{base}_{len(items)}"),
                str(function.get("name") or ""),
                str(function.get("arguments") or ""),
            )
        )
    return items


def response_usage(usage: Usage | None) -> dict[str, Any]:
    usage = usage or Usage()
    return {
        "input_tokens": usage.input,
        "input_tokens_details": {"cached_tokens": usage.cached_input},
        "output_tokens": usage.output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.total,
    }


def response_object(
    response_id: str,
    created_at: float,
    model: str,
    echo: dict[str, Any],
    output: list[dict[str, Any]],
    *,
    status: str,
    usage: Usage | None,
    store: bool,
) -> dict[str, Any]:
    """The response as OpenAI returns it (status "incomplete" when the output hit max_output_tokens)."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(created_at),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "model": model,
        "output": output,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": store,
        **echo,
        "usage": None if status == "in_progress" else response_usage(usage),
    }


def status_of(finish_reason: Any) -> str:
    return "incomplete" if finish_reason == "length" else "completed"
