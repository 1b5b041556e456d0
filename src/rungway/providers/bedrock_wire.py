"""Translation between the OpenAI chat format (the gateway's surface) and AWS Bedrock's Converse API.

Requests go OpenAI -> Converse (`to_converse_request`: the model id goes in the URL, the rest in the
body); answers come back Converse -> OpenAI (`to_chat_completion`, and `StreamTranslator` event by
event for ConverseStream). Pure functions over dicts, no I/O, no AWS library: signing and the
event-stream framing live in the transport (`bedrock.py`).

Every value the upstream controls is checked before use: a field of the wrong type raises
`UpstreamError` (502, `upstream_malformed`), never a crash, and token counts go through
`token_count`. What has no Converse equivalent is explicit: `n` > 1 is refused with a 400, images
must be inline `data:` URLs (Converse takes bytes or S3, not web URLs), `response_format:
json_schema` becomes a forced tool whose input is given back as the message content, `json_object`
a system instruction, and `tool_choice: none` sends the tools without a choice (Converse has no
"none").
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from rungway.domain.usage import INVALID_COUNT, Usage, token_count
from rungway.errors import InvalidRequest, UpstreamError

JSON_OBJECT_INSTRUCTION = "Respond with a single valid JSON object and nothing else."
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
MAX_CONTENT_BLOCKS = 10_000  # content blocks (and tool calls) in one answer or one stream
_SCHEMA_BLOCK = -1


@dataclass(slots=True)
class ConverseRequest:
    """A Converse body, the model id for the URL, and the tool standing in for `json_schema` (if any)."""

    model: str
    body: dict[str, Any]
    schema_tool: str | None = None


def to_converse_request(body: dict[str, Any]) -> ConverseRequest:
    """Translate an OpenAI chat request into a Converse request."""
    n = body.get("n")
    if n is not None and n != 1:
        raise InvalidRequest(
            "The bedrock provider returns one choice per request (Converse has no 'n'); send n=1 or make "
            "several requests.",
            param="n",
            code="unsupported_parameter",
        )
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' must be a non-empty string.", param="model")
    system, messages = _messages(body.get("messages") or [])
    out: dict[str, Any] = {"messages": messages}
    inference = _inference(body)
    if inference:
        out["inferenceConfig"] = inference
    schema_tool = _tools(body, out, system)
    if system:
        out["system"] = system
    return ConverseRequest(model, out, schema_tool)


def _inference(body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise InvalidRequest("'max_tokens' must be a positive integer.", param="max_tokens")
        config["maxTokens"] = max_tokens
    for ours, theirs in (("temperature", "temperature"), ("top_p", "topP")):
        value = body.get(ours)
        if isinstance(value, int | float) and not isinstance(value, bool):
            config[theirs] = min(float(value), 1.0)
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    return config


def _messages(messages: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not isinstance(messages, list):
        raise InvalidRequest("'messages' must be an array.", param="messages")
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{where} must be an object.", param=where)
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(b for b in _content_blocks(message.get("content"), where) if "text" in b)
            continue
        if role == "user":
            wire_role, blocks = "user", _content_blocks(message.get("content"), where)
        elif role == "assistant":
            wire_role, blocks = "assistant", _assistant_blocks(message, where)
        elif role == "tool":
            wire_role, blocks = "user", [_tool_result(message, where)]
        else:
            raise InvalidRequest(
                f"{where}: the bedrock provider does not support the role {role!r}; "
                "use system, developer, user, assistant or tool.",
                param=where,
            )
        if not blocks:
            continue
        if turns and turns[-1]["role"] == wire_role:  # Converse wants user and assistant turns to alternate
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": wire_role, "content": blocks})
    return system, turns


def _content_blocks(content: Any, where: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or an array of parts.", param=where)
    blocks = []
    for i, part in enumerate(content):
        block = _part_block(part, f"{where}.content[{i}]")
        if block is not None:
            blocks.append(block)
    return blocks


def _part_block(part: Any, where: str) -> dict[str, Any] | None:
    if isinstance(part, str):
        return {"text": part} if part else None
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("text", "refusal"):
        text = part.get(kind) or ""
        return {"text": text} if isinstance(text, str) and text else None
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        return {"image": _image(url, where)}
    raise InvalidRequest(f"{where}: the bedrock provider does not support content parts of type {kind!r}.")


def _image(url: Any, where: str) -> dict[str, Any]:
    """An OpenAI image part as a Converse image block: inline bytes (JSON carries them as base64)."""
    if not isinstance(url, str) or not url.startswith("data:"):
        raise InvalidRequest(
            f"{where}: Bedrock takes images inline; send a data: URL, e.g. data:image/png;base64,....", param=where
        )
    header, _, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    image_format = IMAGE_FORMATS.get(media_type.lower())
    if encoding != "base64" or not data or image_format is None:
        raise InvalidRequest(
            f"{where}: a data: URL must be base64 PNG, JPEG, GIF or WebP, e.g. data:image/png;base64,....", param=where
        )
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"{where}: the data: URL is not valid base64.", param=where) from None
    return {"format": image_format, "source": {"bytes": data}}


def _assistant_blocks(message: dict[str, Any], where: str) -> list[dict[str, Any]]:
    blocks = _content_blocks(message.get("content"), where)
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise InvalidRequest(f"{where}.tool_calls must be an array.", param=f"{where}.tool_calls")
    for i, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        function = function if isinstance(function, dict) else {}
        arguments = function.get("arguments") or "{}"
        try:
            value = orjson.loads(arguments) if isinstance(arguments, str) else arguments
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, dict) or not isinstance(call.get("id"), str) or not function.get("name"):
            raise InvalidRequest(
                f"{where}.tool_calls[{i}] needs an id, a function name and arguments that are a JSON object (as text).",
                param=f"{where}.tool_calls[{i}]",
            )
        blocks.append({"toolUse": {"toolUseId": call["id"], "name": function["name"], "input": value}})
    return blocks


def _tool_result(message: dict[str, Any], where: str) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"{where}: a tool message needs its 'tool_call_id'.", param=f"{where}.tool_call_id")
    content = message.get("content")
    parts = _content_blocks(content, where) if content else []
    return {"toolResult": {"toolUseId": call_id, "content": parts or [{"text": ""}]}}


def _tools(body: dict[str, Any], out: dict[str, Any], system: list[dict[str, Any]]) -> str | None:
    """Set toolConfig (and the json_schema stand-in tool); returns that tool's name."""
    raw_tools = body.get("tools") or []
    if not isinstance(raw_tools, list):
        raise InvalidRequest("'tools' must be an array.", param="tools")
    tools = [_tool(t, i) for i, t in enumerate(raw_tools)]
    choice = _tool_choice(body.get("tool_choice"))
    schema_tool = None
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        found = fmt.get("json_schema")
        spec: dict[str, Any] = found if isinstance(found, dict) else {}
        schema_tool = str(spec.get("name") or "json_answer")
        schema = spec.get("schema") or {"type": "object"}
        description = spec.get("description") or "Give the answer as JSON matching this schema."
        tools.append({"toolSpec": {"name": schema_tool, "description": description, "inputSchema": {"json": schema}}})
        if len(tools) == 1:
            choice = {"tool": {"name": schema_tool}}
        elif choice is None or "auto" in choice:
            choice = {"any": {}}
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        system.append({"text": JSON_OBJECT_INSTRUCTION})
    if tools:
        config: dict[str, Any] = {"tools": tools}
        if choice:
            config["toolChoice"] = choice
        out["toolConfig"] = config
    return schema_tool


def _tool(tool: Any, index: int) -> dict[str, Any]:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or tool.get("type", "function") != "function" or not function.get("name"):
        raise InvalidRequest(
            f"tools[{index}]: the bedrock provider supports function tools with a name.", param=f"tools[{index}]"
        )
    spec: dict[str, Any] = {
        "name": function["name"],
        "inputSchema": {"json": function.get("parameters") or {"type": "object", "properties": {}}},
    }
    if function.get("description"):
        spec["description"] = function["description"]
    return {"toolSpec": spec}


def _tool_choice(choice: Any) -> dict[str, Any] | None:
    if choice is None or choice == "none":
        return None
    if choice == "auto":
        return {"auto": {}}
    if choice == "required":
        return {"any": {}}
    function = choice.get("function") if isinstance(choice, dict) else None
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return {"tool": {"name": function["name"]}}
    raise InvalidRequest(
        "'tool_choice' must be auto, none, required or {type: function, function: {name}}.", param="tool_choice"
    )


# ---- answers: Converse -> OpenAI ---------------------------------------------------------------


def malformed(provider: str, what: str) -> UpstreamError:
    return UpstreamError(f"{provider}: Bedrock answered with {what}", code="upstream_malformed")


def usage_of(usage: Any) -> Usage:
    """Converse counts cache reads and writes apart from `inputTokens`; OpenAI counts them inside."""
    usage = usage if isinstance(usage, dict) else {}
    (fresh, a), (read, b), (write, c) = (
        token_count(usage.get(k)) for k in ("inputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")
    )
    counted = Usage.reported(fresh + read + write, usage.get("outputTokens"), read)
    return counted if a and b and c else counted.flagged(INVALID_COUNT)


def finish_reason(stop_reason: Any, has_tool_calls: bool) -> str:
    if stop_reason == "tool_use" and not has_tool_calls:
        return "stop"  # the only tool used was the json_schema stand-in
    return STOP_REASONS.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"


def _tool_call(provider: str, block: Any, index: int) -> dict[str, Any]:
    if not isinstance(block, dict):
        raise malformed(provider, "a toolUse block that is not an object")
    call_id, name = block.get("toolUseId"), block.get("name")
    if not isinstance(call_id, str) or not isinstance(name, str) or not name:
        raise malformed(provider, "a toolUse block without a string toolUseId and name")
    arguments = block.get("input")
    if not isinstance(arguments, str):
        arguments = orjson.dumps(arguments if arguments is not None else {}).decode()
    text: str = arguments
    return {"index": index, "id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def to_chat_completion(
    provider: str, answer: Any, schema_tool: str | None, created: int, model: str, completion_id: str
) -> tuple[dict[str, Any], Usage]:
    """Translate a Converse answer into an OpenAI chat.completion, with its usage."""
    if not isinstance(answer, dict):
        raise malformed(provider, "JSON that is not an object")
    output = answer.get("output")
    message = output.get("message") if isinstance(output, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list) or len(content) > MAX_CONTENT_BLOCKS:
        raise malformed(provider, "no output.message.content array")
    texts: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for block in content:
        if not isinstance(block, dict):
            raise malformed(provider, "a content block that is not an object")
        if "text" in block:
            if not isinstance(block["text"], str):
                raise malformed(provider, "a text block that is not a string")
            texts.append(block["text"])
        elif "toolUse" in block:
            call = _tool_call(provider, block["toolUse"], len(tool_calls))
            if call["function"]["name"] == schema_tool:
                texts.append(call["function"]["arguments"])
            else:
                del call["index"]
                tool_calls.append(call)
        # reasoningContent, citations, images and anything added later are not relayed
    reply: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts or not tool_calls else None,
        "refusal": None,
    }
    if tool_calls:
        reply["tool_calls"] = tool_calls
    usage = usage_of(answer.get("usage"))
    completion = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": reply,
                "logprobs": None,
                "finish_reason": finish_reason(answer.get("stopReason"), bool(tool_calls)),
            }
        ],
        "usage": usage.to_openai(),
    }
    return completion, usage


class StreamTranslator:
    """Turns ConverseStream events (`:event-type`, JSON payload) into OpenAI chunk dicts, one at a time.

    Converse sends `messageStop` (the stop reason) before `metadata` (the usage): the finish chunk
    goes out at `messageStop`, the usage chunk at `metadata`, which ends the stream."""

    def __init__(self, provider: str, schema_tool: str | None, created: int, model: str, completion_id: str) -> None:
        self.provider = provider
        self.schema_tool = schema_tool
        self.created = created
        self.model = model
        self.id = completion_id
        self.finished = False
        self.stopped = False
        self.usage = Usage()
        self._blocks: dict[int, int] = {}  # Converse contentBlockIndex -> OpenAI tool call index
        self._tool_calls = 0

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    def _index(self, event: dict[str, Any]) -> int:
        index = event.get("contentBlockIndex", 0)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_CONTENT_BLOCKS:
            raise malformed(self.provider, f"a contentBlockIndex out of range: {str(index)[:40]!r}")
        return index

    def translate(self, event_type: str, event: Any) -> list[dict[str, Any]]:
        """The chunks one event becomes (often none). Exceptions are the caller's to raise."""
        if not isinstance(event, dict):
            raise malformed(self.provider, f"a {event_type[:40]!r} event that is not a JSON object")
        if event_type == "contentBlockDelta":
            return self._delta(event)
        if event_type == "contentBlockStart":
            return self._block_start(event)
        if event_type == "messageStart":
            return [self._chunk({"role": "assistant", "content": ""})]
        if event_type == "messageStop":
            self.stopped = True
            return [self._chunk({}, finish_reason(event.get("stopReason"), self._tool_calls > 0))]
        if event_type == "metadata":
            self.finished = True
            self.usage = usage_of(event.get("usage"))
            return [{**self._chunk({}), "choices": [], "usage": self.usage.to_openai()}]
        return []  # contentBlockStop and anything added later

    def _block_start(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        index = self._index(event)
        start = event.get("start")
        block = start.get("toolUse") if isinstance(start, dict) else None
        if block is None:
            return []
        if self._tool_calls >= MAX_CONTENT_BLOCKS or index in self._blocks:
            raise malformed(self.provider, "too many or repeated toolUse blocks")
        head = _tool_call(self.provider, {**block, "input": ""}, self._tool_calls) if isinstance(block, dict) else None
        if head is None:
            raise malformed(self.provider, "a toolUse start that is not an object")
        if head["function"]["name"] == self.schema_tool:
            self._blocks[index] = _SCHEMA_BLOCK
            return []
        self._blocks[index] = self._tool_calls
        self._tool_calls += 1
        return [self._chunk({"tool_calls": [head]})]

    def _delta(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        index = self._index(event)
        delta = event.get("delta")
        if not isinstance(delta, dict):
            raise malformed(self.provider, "a contentBlockDelta without a delta object")
        if "text" in delta:
            text = delta["text"]
            if not isinstance(text, str):
                raise malformed(self.provider, "a text delta that is not a string")
            return [self._chunk({"content": text})] if text else []
        tool = delta.get("toolUse")
        if tool is None:
            return []  # reasoningContent, citations: not relayed
        piece = tool.get("input") if isinstance(tool, dict) else None
        if not isinstance(piece, str):
            raise malformed(self.provider, "a toolUse delta whose input is not a string")
        call_index = self._blocks.get(index)
        if call_index is None or not piece:
            return []
        if call_index == _SCHEMA_BLOCK:  # the json_schema stand-in tool: its input is the answer text
            return [self._chunk({"content": piece})]
        return [self._chunk({"tool_calls": [{"index": call_index, "function": {"arguments": piece}}]})]
