"""OpenAI Responses answers read as chat completions, for a Responses call sent natively to OpenAI.

The client gets the upstream's response (or events) as they came; the gateway's own records (metering, the
output guard, the span, the request log) read chat, so `response_as_chat` turns a response object into a
`chat.completion` (its `output_text` parts as the message text, `function_call` items as tool calls,
reasoning and built-in tool items left out) with its usage (cached input tokens included), and
`ResponsesEventReader` turns the stream's events into `chat.completion.chunk`s: text deltas, a tool call per
`function_call` item with its argument deltas, and a last usage chunk at `response.completed` (or
`response.incomplete`). `response.failed` and `error` events are the adapter's to raise.
"""

from __future__ import annotations

from typing import Any

from rungway.domain.usage import Usage

__all__ = ["ResponsesEventReader", "response_as_chat", "response_usage"]

_FINISH = {"max_output_tokens": "length", "content_filter": "content_filter"}


def response_usage(usage: Any) -> Usage | None:
    """A Responses `usage` object as the gateway's `Usage` (None when absent or malformed)."""
    if not isinstance(usage, dict):
        return None
    details = usage.get("input_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return Usage.reported(usage.get("input_tokens"), usage.get("output_tokens"), cached)


def _finish(response: dict[str, Any], tool_calls: bool) -> str:
    if response.get("status") == "incomplete":
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return _FINISH.get(str(reason), "length")
    return "tool_calls" if tool_calls else "stop"


def _text(item: dict[str, Any]) -> str:
    parts = item.get("content")
    if not isinstance(parts, list):
        return ""
    return "".join(
        str(part.get("text") or "") for part in parts if isinstance(part, dict) and part.get("type") == "output_text"
    )


def _tool_call(item: dict[str, Any]) -> dict[str, Any]:
    function = {"name": str(item.get("name") or ""), "arguments": str(item.get("arguments") or "")}
    return {"id": str(item.get("call_id") or item.get("id") or ""), "type": "function", "function": function}


def response_as_chat(response: dict[str, Any], created: int) -> tuple[dict[str, Any], Usage | None]:
    """The response object as a chat completion, and its usage."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in response.get("output") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") == "message":
            texts.append(_text(item))
        elif item.get("type") == "function_call":
            calls.append(_tool_call(item))
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    usage = response_usage(response.get("usage"))
    chat = {
        "id": str(response.get("id") or ""),
        "object": "chat.completion",
        "created": created,
        "model": str(response.get("model") or ""),
        "choices": [{"index": 0, "message": message, "finish_reason": _finish(response, bool(calls))}],
    }
    if usage is not None:
        chat["usage"] = usage.to_openai()
    return chat, usage


class ResponsesEventReader:
    """A Responses stream's events as chat chunks, one event at a time (see the module docstring)."""

    __slots__ = ("_calls", "created", "finished", "id", "model", "usage")

    def __init__(self, created: int, model: str) -> None:
        self.created = created
        self.model = model
        self.id = ""
        self.finished = False
        self.usage: Usage | None = None
        self._calls: dict[str, int] = {}  # function_call item id -> tool call index

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [choice]}  # fmt: skip

    def read(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The chunks one event becomes (often none)."""
        kind = event.get("type")
        if kind == "response.output_text.delta":
            delta = event.get("delta")
            return [self._chunk({"content": delta})] if isinstance(delta, str) and delta else []
        if kind == "response.function_call_arguments.delta":
            index = self._calls.get(str(event.get("item_id")))
            delta = event.get("delta")
            if index is None or not isinstance(delta, str) or not delta:
                return []
            return [self._chunk({"tool_calls": [{"index": index, "function": {"arguments": delta}}]})]
        if kind == "response.output_item.added":
            item = event.get("item")
            if not isinstance(item, dict) or item.get("type") != "function_call":
                return []
            index = self._calls[str(item.get("id"))] = len(self._calls)
            call = _tool_call({**item, "arguments": ""})
            return [self._chunk({"tool_calls": [{"index": index, **call}]})]
        if kind in ("response.created", "response.in_progress"):
            response = event.get("response")
            if isinstance(response, dict):
                self.id = str(response.get("id") or self.id)
                self.model = str(response.get("model") or self.model)
            return [self._chunk({"role": "assistant", "content": ""})] if kind == "response.created" else []
        if kind in ("response.completed", "response.incomplete"):
            self.finished = True
            response = event.get("response")
            response = response if isinstance(response, dict) else {}
            self.usage = response_usage(response.get("usage"))
            finish = self._chunk({}, _finish(response, bool(self._calls)))
            usage_chunk = {**self._chunk({}), "choices": [], "usage": (self.usage or Usage()).to_openai()}
            return [finish, usage_chunk]
        return []
