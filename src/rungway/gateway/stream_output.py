"""Assemble streamed deltas into the completion they add up to (for records and traces)."""

from __future__ import annotations

from typing import Any

from rungway.domain.usage import Usage


class StreamOutput:
    """Content, tool calls and finish reason per choice index, built from `chat.completion.chunk`s."""

    __slots__ = ("_choices",)

    def __init__(self) -> None:
        self._choices: dict[int, dict[str, Any]] = {}

    def add(self, choices: list[dict[str, Any]]) -> bool:
        """Add one chunk's choices; True when it carried content or a tool call (a token)."""
        produced = False
        for choice in choices:
            index = choice.get("index", 0)
            state = self._choices.get(index)
            if state is None:
                state = {"parts": [], "tool_calls": {}, "finish_reason": None}
                self._choices[index] = state
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content:
                state["parts"].append(content)
                produced = True
            for call in delta.get("tool_calls") or ():
                produced = True
                slot = state["tool_calls"].setdefault(
                    call.get("index", 0),
                    {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
                )
                if call.get("id"):
                    slot["id"] = call["id"]
                function = call.get("function") or {}
                if function.get("name"):
                    slot["function"]["name"] += function["name"]
                if function.get("arguments"):
                    slot["function"]["arguments"] += function["arguments"]
            if choice.get("finish_reason"):
                state["finish_reason"] = choice["finish_reason"]
        return produced

    def as_completion(self, first: dict[str, Any], usage: Usage | None) -> dict[str, Any]:
        choices = []
        for index in sorted(self._choices):
            state = self._choices[index]
            message: dict[str, Any] = {"role": "assistant", "content": "".join(state["parts"]) or None}
            if state["tool_calls"]:
                message["tool_calls"] = [state["tool_calls"][i] for i in sorted(state["tool_calls"])]
            choices.append({"index": index, "message": message, "finish_reason": state["finish_reason"]})
        return {
            "id": first.get("id"),
            "object": "chat.completion",
            "model": first.get("model"),
            "choices": choices,
            "usage": usage.to_openai() if usage is not None else None,
        }
