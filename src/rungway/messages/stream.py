"""A streamed chat answer written as Anthropic's event sequence.

message_start, ping, then per content block content_block_start / content_block_delta (text_delta or
input_json_delta) / content_block_stop, then message_delta (stop_reason, usage) and message_stop. Chat text
deltas extend a text block; each new tool call (by its chat index) closes the open block and starts a
tool_use block whose argument fragments are sent as input_json_delta.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from rungway.domain.usage import Usage
from rungway.errors import RungwayError
from rungway.messages.answer import STOP_REASONS, usage_json
from rungway.messages.errors import error_event

__all__ = ["MessagesStream"]


def _event(name: bytes, data: dict[str, Any]) -> bytes:
    return b"event: " + name + b"\ndata: " + orjson.dumps(data) + b"\n\n"


_PING = _event(b"ping", {"type": "ping"})
# The hot event, written from parts (its text is the only value to serialise): one per chat text delta.
_TEXT_HEAD = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_TEXT_MID = b',"delta":{"type":"text_delta","text":'
_TEXT_TAIL = b"}}\n\n"


class MessagesStream:
    """One streamed Message: fed the chat chunks in order (`StreamTranslation`)."""

    __slots__ = ("_id", "_index", "_input_tokens", "_kind", "_model", "_started", "_stop", "_text_head", "_tool")

    def __init__(self, message_id: str, model: str, input_tokens: int) -> None:
        self._id, self._model, self._input_tokens = message_id, model, input_tokens
        self._started = False
        self._index = -1  # the open content block's index (-1: none yet)
        self._kind: str | None = None  # "text" or "tool_use" while a block is open
        self._tool: int | None = None  # the chat index of the tool call the open block holds
        self._stop = "end_turn"
        self._text_head = b""

    def _start(self, out: list[bytes]) -> None:
        self._started = True
        usage = usage_json(Usage(input=self._input_tokens, output=1))
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        out.append(_event(b"message_start", {"type": "message_start", "message": message}))
        out.append(_PING)

    def _close(self, out: list[bytes]) -> None:
        if self._kind is not None:
            out.append(_event(b"content_block_stop", {"type": "content_block_stop", "index": self._index}))
            self._kind, self._tool = None, None

    def _open(self, out: list[bytes], block: dict[str, Any]) -> None:
        self._close(out)
        self._index += 1
        self._kind = block["type"]
        self._text_head = _TEXT_HEAD + str(self._index).encode() + _TEXT_MID
        out.append(
            _event(
                b"content_block_start", {"type": "content_block_start", "index": self._index, "content_block": block}
            )
        )

    def chunk(self, data: dict[str, Any]) -> Sequence[bytes]:
        out: list[bytes] = []
        if not self._started:
            self._start(out)
        for choice in data.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0):
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text and isinstance(text, str):
                if self._kind != "text":
                    self._open(out, {"type": "text", "text": ""})
                out.append(self._text_head + orjson.dumps(text) + _TEXT_TAIL)
            for call in delta.get("tool_calls") or ():
                self._tool_delta(out, call)
            reason = choice.get("finish_reason")
            if reason:
                self._stop = STOP_REASONS.get(reason, "end_turn")
        return out

    def _tool_delta(self, out: list[bytes], call: dict[str, Any]) -> None:
        index = call.get("index", 0)
        function = call.get("function") or {}
        if self._kind != "tool_use" or self._tool != index:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": call.get("id") or "",
                "name": function.get("name") or "",
                "input": {},
            }
            self._open(out, block)
            self._tool = index
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            delta = {"type": "input_json_delta", "partial_json": arguments}
            out.append(
                _event(b"content_block_delta", {"type": "content_block_delta", "index": self._index, "delta": delta})
            )

    def end(self, usage: Usage | None) -> Sequence[bytes]:
        out: list[bytes] = []
        if not self._started:
            self._start(out)
        self._close(out)
        figures = usage_json(usage if usage is not None else Usage(input=self._input_tokens))
        delta = {"type": "message_delta", "delta": {"stop_reason": self._stop, "stop_sequence": None}, "usage": figures}
        out.append(_event(b"message_delta", delta))
        out.append(_event(b"message_stop", {"type": "message_stop"}))
        return out

    def error(self, error: RungwayError) -> bytes:
        return error_event(error)
