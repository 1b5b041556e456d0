"""One streamed response: chat chunks become the Responses API's typed events, each with a sequence number.

The events, in order: response.created, response.in_progress; for the text, output_item.added,
content_part.added, output_text.delta..., then (at the end) output_text.done, content_part.done,
output_item.done; for each tool call, output_item.added, function_call_arguments.delta..., .done,
output_item.done; and last response.completed (or response.incomplete) with the usage. A failure after
the stream began is an `error` event then `response.failed`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from rungway.domain.usage import Usage
from rungway.errors import RungwayError
from rungway.responses.answer import function_call_item, message_item, response_object, status_of

__all__ = ["ResponsesStream"]

_DELTA_HEAD = b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":'


@dataclass(slots=True)
class _Call:
    """A tool call being streamed: its output index and what has come so far."""

    index: int
    item_id: str
    call_id: str
    name: str
    arguments: list[str] = field(default_factory=list)


class ResponsesStream:
    """The `StreamTranslation` of one response; `on_done` receives the finished response object (to store it)."""

    def __init__(
        self,
        response_id: str,
        base: str,
        created_at: float,
        model: str,
        echo: dict[str, Any],
        store: bool,
        on_done: Callable[[dict[str, Any]], None],
    ) -> None:
        self._id = response_id
        self._base = base
        self._created_at = created_at
        self._model = model
        self._echo = echo
        self._store = store
        self._on_done = on_done
        self._sequence = 0
        self._started = False
        self._text: list[str] | None = None
        self._text_index = 0
        self._calls: dict[int, _Call] = {}
        self._output: list[dict[str, Any]] = []
        self._finish: Any = None
        self._delta_tail = b""

    def _event(self, kind: str, payload: dict[str, Any]) -> bytes:
        data = {"type": kind, "sequence_number": self._sequence, **payload}
        self._sequence += 1
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

    def _response(self, status: str, usage: Usage | None = None) -> dict[str, Any]:
        return response_object(
            self._id,
            self._created_at,
            self._model,
            self._echo,
            list(self._output),
            status=status,
            usage=usage,
            store=self._store,
        )

    def _open(self) -> list[bytes]:
        self._started = True
        response = orjson.dumps(self._response("in_progress"))  # the same object in both events: serialised once
        events = []
        for kind in (b"response.created", b"response.in_progress"):
            head = b'{"type":"' + kind + b'","sequence_number":' + str(self._sequence).encode() + b',"response":'
            events.append(b"event: " + kind + b"\ndata: " + head + response + b"}\n\n")
            self._sequence += 1
        return events

    def chunk(self, data: dict[str, Any]) -> Sequence[bytes]:
        events = self._open() if not self._started else []
        for choice in data.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if delta:
                text = delta.get("content")
                if text and isinstance(text, str):
                    if self._text is not None:  # the common case: one more piece of the open text item
                        self._text.append(text)
                        events.append(self._delta_event(text))
                    else:
                        events.extend(self._text_delta(text))
                calls = delta.get("tool_calls")
                if calls:
                    for call in calls:
                        events.extend(self._call_delta(call))
            finish = choice.get("finish_reason")
            if finish:
                self._finish = finish
        return events

    def _delta_event(self, text: str) -> bytes:
        """The most frequent event, written from a prefix made once per item: no dict, one small dumps."""
        sequence = self._sequence
        self._sequence = sequence + 1
        return _DELTA_HEAD + str(sequence).encode() + self._delta_tail + orjson.dumps(text) + b',"logprobs":[]}\n\n'

    def _text_delta(self, text: str) -> list[bytes]:
        events = []
        if self._text is None:
            item_id = f"msg_{self._base}_0"
            self._text = []
            self._text_index = len(self._output) + len(self._calls)
            item = message_item(item_id, "", "in_progress")
            item["content"] = []
            events.append(self._event("response.output_item.added", {"output_index": self._text_index, "item": item}))
            part = {"type": "output_text", "text": "", "annotations": []}
            events.append(
                self._event(
                    "response.content_part.added",
                    {"item_id": item_id, "output_index": self._text_index, "content_index": 0, "part": part},
                )
            )
            self._delta_tail = (
                f',"item_id":"{item_id}","output_index":{self._text_index},"content_index":0,"delta":'.encode()
            )
        self._text.append(text)
        events.append(self._delta_event(text))
        return events

    def _call_delta(self, raw: Any) -> list[bytes]:
        if not isinstance(raw, dict):
            return []
        position = raw.get("index", 0)
        function = raw.get("function") or {}
        events = []
        call = self._calls.get(position)
        if call is None:
            index = len(self._calls) + (1 if self._text is not None else 0)
            call = _Call(
                index,
                f"fc_{self._base}_{index}",
                str(raw.get("id") or f"call_{self._base}_{index}"),
                str(function.get("name") or ""),
            )
            self._calls[position] = call
            item = function_call_item(call.item_id, call.call_id, call.name, "", "in_progress")
            events.append(self._event("response.output_item.added", {"output_index": index, "item": item}))
        piece = function.get("arguments")
        if isinstance(piece, str) and piece:
            call.arguments.append(piece)
            events.append(
                self._event(
                    "response.function_call_arguments.delta",
                    {"item_id": call.item_id, "output_index": call.index, "delta": piece},
                )
            )
        return events

    def end(self, usage: Usage | None) -> Sequence[bytes]:
        events = [] if self._started else self._open()
        done: list[tuple[int, dict[str, Any]]] = []
        if self._text is not None:
            item_id, index, text = f"msg_{self._base}_0", self._text_index, "".join(self._text)
            part = {"type": "output_text", "text": text, "annotations": []}
            events.append(
                self._event(
                    "response.output_text.done",
                    {"item_id": item_id, "output_index": index, "content_index": 0, "text": text, "logprobs": []},
                )
            )
            events.append(
                self._event(
                    "response.content_part.done",
                    {"item_id": item_id, "output_index": index, "content_index": 0, "part": part},
                )
            )
            item = message_item(item_id, text)
            events.append(self._event("response.output_item.done", {"output_index": index, "item": item}))
            done.append((index, item))
        for call in self._calls.values():
            arguments = "".join(call.arguments)
            events.append(
                self._event(
                    "response.function_call_arguments.done",
                    {"item_id": call.item_id, "output_index": call.index, "arguments": arguments},
                )
            )
            item = function_call_item(call.item_id, call.call_id, call.name, arguments)
            events.append(self._event("response.output_item.done", {"output_index": call.index, "item": item}))
            done.append((call.index, item))
        self._output = [item for _, item in sorted(done, key=lambda pair: pair[0])]
        status = status_of(self._finish)
        response = self._response(status, usage)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        events.append(self._event(kind, {"response": response}))
        self._on_done(response)
        return events

    def error(self, error: RungwayError) -> bytes:
        events = [] if self._started else self._open()
        code = error.code or error.error_type
        events.append(self._event("error", {"code": code, "message": error.message, "param": error.param}))
        failed = self._response("failed")
        failed["error"] = {"code": code, "message": error.message}
        events.append(self._event("response.failed", {"response": failed}))
        return b"".join(events)
