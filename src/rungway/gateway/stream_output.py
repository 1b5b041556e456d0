"""Assemble streamed deltas into the completion they add up to (for records, traces and pricing).

A stream can end without the upstream's usage chunk (the client hung up, the upstream died): the
output that was relayed is then what the call is priced from (`relayed_output_tokens`), so a cut
stream never costs less than what reached the client.
"""

from __future__ import annotations

from typing import Any

from rungway.domain.usage import Usage


class StreamOutput:
    """Content, tool calls and finish reason per choice index, built from `chat.completion.chunk`s."""

    __slots__ = ("_chars", "_choices", "_token_chunks")

    def __init__(self) -> None:
        self._choices: dict[int, dict[str, Any]] = {}
        self._token_chunks = 0  # deltas that carried content or tool-call text: about one token each
        self._chars = 0

    def relayed_output_tokens(self) -> int:
        """A lower-bound estimate of the output tokens seen so far: one per delta that carried text (how
        OpenAI streams), or one per four characters when an upstream packs several tokens in a delta."""
        return max(self._token_chunks, (self._chars + 3) // 4)

    def add(self, choices: list[dict[str, Any]]) -> bool:
        """Add one chunk's choices; True when it carried content or a tool call (a token)."""
        if len(choices) == 1:  # the common chunk: one choice with only text, without the general walk
            choice = choices[0]
            delta = choice.get("delta")
            if type(delta) is dict and "tool_calls" not in delta and not choice.get("finish_reason"):
                content = delta.get("content")
                state = self._choices.get(choice.get("index", 0))
                if state is not None and type(content) is str:
                    if not content:
                        return False
                    state["parts"].append(content)
                    self._token_chunks += 1
                    self._chars += len(content)
                    return True
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
                self._token_chunks += 1
                self._chars += len(content)
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
                    self._token_chunks += 1
                    self._chars += len(function["arguments"])
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
