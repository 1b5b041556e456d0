"""Translation between the OpenAI chat format (the gateway's surface) and Anthropic's Messages API.

Requests go OpenAI -> Anthropic (`to_messages_request`); answers come back Anthropic -> OpenAI
(`to_chat_completion`, and `StreamTranslator` event by event for streams). Pure functions over
dicts, no I/O, so every mapping is testable on its own.

What has no Anthropic equivalent is handled explicitly: `n` > 1 is refused with a 400;
`response_format: json_schema` becomes a forced tool named after the schema whose input is given
back as the message content (JSON text); `json_object` becomes a system instruction; `temperature`
above Anthropic's maximum of 1 is capped at 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from rungway.domain.usage import INVALID_COUNT, Usage, token_count
from rungway.errors import InvalidRequest

JSON_OBJECT_INSTRUCTION = "Respond with a single valid JSON object and nothing else."
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_SCHEMA_BLOCK = -1
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


@dataclass(slots=True)
class MessagesRequest:
    """An Anthropic request body, and the name of the tool standing in for `json_schema` (if any)."""

    body: dict[str, Any]
    schema_tool: str | None = None


def to_messages_request(body: dict[str, Any], default_max_tokens: int) -> MessagesRequest:
    """Translate an OpenAI chat request into an Anthropic Messages request."""
    n = body.get("n")
    if n is not None and n != 1:
        raise InvalidRequest(
            "The anthropic provider returns one choice per request (Anthropic's Messages API has no 'n'); "
            "send n=1 or make several requests.",
            param="n",
            code="unsupported_parameter",
        )
    system, messages = _messages(body.get("messages") or [])
    out: dict[str, Any] = {
        "model": body.get("model"),
        "max_tokens": _max_tokens(body, default_max_tokens),
        "messages": messages,
    }
    temperature = body.get("temperature")
    if isinstance(temperature, int | float):
        out["temperature"] = min(float(temperature), 1.0)
    for key in ("top_p", "top_k", "thinking"):
        if body.get(key) is not None:
            out[key] = body[key]
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    user = body.get("user")
    if isinstance(user, str) and user:
        out["metadata"] = {"user_id": user}
    if body.get("stream"):
        out["stream"] = True
    schema_tool = _tools(body, out, system)
    if system:
        has_cache_marks = any("cache_control" in block for block in system)
        out["system"] = system if has_cache_marks else "\n\n".join(block["text"] for block in system)
    return MessagesRequest(out, schema_tool)


def _max_tokens(body: dict[str, Any], default: int) -> int:
    value = body.get("max_completion_tokens") or body.get("max_tokens") or default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest("'max_tokens' must be a positive integer.", param="max_tokens")
    return value


def _messages(messages: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(b for b in _content_blocks(message.get("content"), where) if b["type"] == "text")
            continue
        if role == "user":
            wire_role, blocks = "user", _content_blocks(message.get("content"), where)
        elif role == "assistant":
            wire_role, blocks = "assistant", _assistant_blocks(message, where)
        elif role == "tool":
            wire_role, blocks = "user", [_tool_result(message, where)]
        else:
            raise InvalidRequest(
                f"{where}: the anthropic provider does not support the role {role!r}; "
                "use system, developer, user, assistant or tool.",
                param=where,
            )
        if not blocks:
            continue
        if turns and turns[-1]["role"] == wire_role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": wire_role, "content": blocks})
    return system, turns


def _content_blocks(content: Any, where: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or an array of parts.", param=where)
    blocks = []
    for i, part in enumerate(content):
        block = _part_block(part, f"{where}.content[{i}]")
        if block is not None:
            if isinstance(part, dict) and "cache_control" in part:
                block["cache_control"] = part["cache_control"]
            blocks.append(block)
    return blocks


def _part_block(part: Any, where: str) -> dict[str, Any] | None:
    if isinstance(part, str):
        return {"type": "text", "text": part} if part else None
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("text", "refusal"):
        text = part.get(kind) or ""
        return {"type": "text", "text": text} if text else None
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if not isinstance(url, str) or not url:
            raise InvalidRequest(f"{where}.image_url.url must be a URL or a data: URL.", param=where)
        return {"type": "image", "source": _source(url, where)}
    if kind == "file":
        file = part.get("file") or {}
        data = file.get("file_data")
        if not isinstance(data, str):
            raise InvalidRequest(f"{where}: only files sent inline as `file_data` can be passed to Anthropic.")
        return {"type": "document", "source": _source(data, where)}
    raise InvalidRequest(f"{where}: the anthropic provider does not support content parts of type {kind!r}.")


def _source(url: str, where: str) -> dict[str, Any]:
    if not url.startswith("data:"):
        return {"type": "url", "url": url}
    header, _, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if encoding != "base64" or not data:
        raise InvalidRequest(f"{where}: a data: URL must be base64, e.g. data:image/png;base64,....", param=where)
    return {"type": "base64", "media_type": media_type or "application/octet-stream", "data": data}


def _assistant_blocks(message: dict[str, Any], where: str) -> list[dict[str, Any]]:
    blocks = _content_blocks(message.get("content"), where)
    for i, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {}
        arguments = function.get("arguments") or "{}"
        try:
            value = orjson.loads(arguments) if isinstance(arguments, str) else arguments
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            raise InvalidRequest(
                f"{where}.tool_calls[{i}].function.arguments must be a JSON object (as text).",
                param=f"{where}.tool_calls[{i}]",
            )
        blocks.append({"type": "tool_use", "id": call.get("id"), "name": function.get("name"), "input": value})
    return blocks


def _tool_result(message: dict[str, Any], where: str) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"{where}: a tool message needs its 'tool_call_id'.", param=f"{where}.tool_call_id")
    content = message.get("content")
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": call_id}
    if isinstance(content, str):
        result["content"] = content
    elif content:
        result["content"] = _content_blocks(content, where)
    return result


def _tools(body: dict[str, Any], out: dict[str, Any], system: list[dict[str, Any]]) -> str | None:
    """Set tools and tool_choice (and the json_schema stand-in tool); returns that tool's name."""
    tools = [_tool(t, i) for i, t in enumerate(body.get("tools") or [])]
    choice = _tool_choice(body.get("tool_choice"))
    schema_tool = None
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        schema_tool = str(spec.get("name") or "json_answer")
        schema = spec.get("schema") or {"type": "object"}
        tools.append(
            {
                "name": schema_tool,
                "description": spec.get("description") or "Give the answer as JSON matching this schema.",
                "input_schema": schema,
            }
        )
        if len(tools) == 1:
            choice = {"type": "tool", "name": schema_tool}
        elif choice is None or choice["type"] == "auto":
            choice = {"type": "any"}
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        system.append({"type": "text", "text": JSON_OBJECT_INSTRUCTION})
    if tools:
        out["tools"] = tools
        if body.get("parallel_tool_calls") is False:
            choice = choice or {"type": "auto"}
            if choice["type"] != "none":
                choice["disable_parallel_tool_use"] = True
        if choice is not None:
            out["tool_choice"] = choice
    return schema_tool


def _tool(tool: Any, index: int) -> dict[str, Any]:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or tool.get("type", "function") != "function" or not function.get("name"):
        raise InvalidRequest(
            f"tools[{index}]: the anthropic provider supports function tools with a name.", param=f"tools[{index}]"
        )
    out = {
        "name": function["name"],
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        out["description"] = function["description"]
    return out


def _tool_choice(choice: Any) -> dict[str, Any] | None:
    if choice is None:
        return None
    if choice in ("auto", "none"):
        return {"type": choice}
    if choice == "required":
        return {"type": "any"}
    if isinstance(choice, dict) and isinstance((choice.get("function") or {}).get("name"), str):
        return {"type": "tool", "name": choice["function"]["name"]}
    raise InvalidRequest(
        "'tool_choice' must be auto, none, required or {type: function, function: {name}}.", param="tool_choice"
    )


def usage_of(usage: dict[str, Any] | None) -> Usage:
    """Anthropic counts cached prompt tokens apart from `input_tokens`; OpenAI counts them inside."""
    usage = usage or {}
    (fresh, a), (cache_read, b), (cache_write, c) = (
        token_count(usage.get(k)) for k in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    )
    read = Usage.reported(fresh + cache_read + cache_write, usage.get("output_tokens"), cache_read)
    return read if a and b and c else read.flagged(INVALID_COUNT)


def finish_reason(stop_reason: Any, has_tool_calls: bool) -> str:
    if stop_reason == "tool_use" and not has_tool_calls:
        return "stop"  # the only tool used was the json_schema stand-in
    return STOP_REASONS.get(str(stop_reason), "stop")


def to_chat_completion(message: dict[str, Any], schema_tool: str | None, created: int) -> tuple[dict[str, Any], Usage]:
    """Translate an Anthropic Message into an OpenAI chat.completion, with its usage."""
    texts: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for block in message.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text") or "")
        elif kind == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            if block.get("name") == schema_tool:
                texts.append(arguments)
            else:
                function = {"name": block.get("name"), "arguments": arguments}
                tool_calls.append({"id": block.get("id"), "type": "function", "function": function})
    reply: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts or not tool_calls else None,
        "refusal": None,
    }
    if tool_calls:
        reply["tool_calls"] = tool_calls
    usage = usage_of(message.get("usage"))
    completion = {
        "id": message.get("id"),
        "object": "chat.completion",
        "created": created,
        "model": message.get("model"),
        "choices": [
            {
                "index": 0,
                "message": reply,
                "logprobs": None,
                "finish_reason": finish_reason(message.get("stop_reason"), bool(tool_calls)),
            }
        ],
        "usage": usage.to_openai(),
    }
    return completion, usage


class StreamTranslator:
    """Turns Anthropic stream events into OpenAI `chat.completion.chunk` dicts, one event at a time."""

    def __init__(self, schema_tool: str | None, created: int, model: str) -> None:
        self.schema_tool = schema_tool
        self.created = created
        self.model = model
        self.id = ""
        self.finished = False
        self._usage: dict[str, Any] = {}
        self._blocks: dict[int, int] = {}  # Anthropic tool_use block index -> OpenAI tool call index
        self._tool_calls = 0

    @property
    def usage(self) -> Usage:
        return usage_of(self._usage)

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    def translate(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The chunks one event becomes (often none). An `error` event is the caller's to raise."""
        kind = event.get("type")
        if kind == "content_block_delta":
            return self._delta(event)
        if kind == "content_block_start":
            return self._block_start(event)
        if kind == "message_start":
            message = event.get("message") or {}
            self.id = str(message.get("id") or "")
            self.model = str(message.get("model") or self.model)
            self._usage.update(message.get("usage") or {})
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "message_delta":
            self._usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
            reason = (event.get("delta") or {}).get("stop_reason")
            return [self._chunk({}, finish_reason(reason, self._tool_calls > 0))] if reason else []
        if kind == "message_stop":
            self.finished = True
            usage_chunk = {**self._chunk({}), "choices": [], "usage": self.usage.to_openai()}
            return [usage_chunk]
        return []  # ping, content_block_stop, thinking and anything added later

    def _block_start(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        block = event.get("content_block") or {}
        index = int(event.get("index") or 0)
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            return [self._chunk({"content": text})] if text else []
        if kind != "tool_use":
            return []
        if block.get("name") == self.schema_tool:
            self._blocks[index] = _SCHEMA_BLOCK
            return []
        call_index = self._tool_calls
        self._tool_calls += 1
        self._blocks[index] = call_index
        head = {
            "index": call_index,
            "id": block.get("id"),
            "type": "function",
            "function": {"name": block.get("name"), "arguments": ""},
        }
        return [self._chunk({"tool_calls": [head]})]

    def _delta(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        delta = event.get("delta") or {}
        kind = delta.get("type")
        if kind == "text_delta":
            return [self._chunk({"content": delta.get("text") or ""})]
        if kind != "input_json_delta":
            return []
        piece = delta.get("partial_json") or ""
        if not piece:
            return []
        call_index = self._blocks.get(int(event.get("index") or 0))
        if call_index is None:  # a block we do not relay (server tools, for instance)
            return []
        if call_index == _SCHEMA_BLOCK:  # the json_schema stand-in tool: its input is the answer text
            return [self._chunk({"content": piece})]
        return [self._chunk({"tool_calls": [{"index": call_index, "function": {"arguments": piece}}]})]
