"""A Messages request read into a chat-completions body, validated the way Anthropic validates it.

`system` (a string or text blocks) becomes a system message; user content blocks become chat parts (text,
`image` with a base64 or url source as `image_url`), `tool_result` blocks become `tool` messages placed before
the rest of the turn; assistant `tool_use` blocks become `tool_calls` (input as JSON arguments). `tools`
(name, description, input_schema) become functions, `tool_choice` auto/any/tool/none becomes auto/required/
the named function/none, `stop_sequences` becomes `stop`, `metadata.user_id` becomes `user`. `top_k`,
`thinking` and `service_tier` have no chat equivalent and are dropped; `prompt` (a registry prompt reference,
Rungway's own field) is passed on for the prompt library to expand; any other field is refused, as Anthropic
refuses it.

With `native_only` (a list), what the chat format cannot say but Anthropic serves (document and other
content blocks, server tools such as web search, `container`, `mcp_servers`, `context_management`) is left
out of the chat body and named in the list instead of refused: such a call can only go to a deployment that
speaks Messages (`gateway/native.py`), and the chat body is what the checks and guards read.
"""

from __future__ import annotations

from typing import Any

import orjson

from rungway.errors import InvalidRequest

__all__ = ["MAX_OUTPUT_TOKENS", "to_chat_body"]

MAX_OUTPUT_TOKENS = 2**31 - 1
_DROPPED = frozenset({"top_k", "thinking", "service_tier"})
_KNOWN = frozenset(
    {"model", "messages", "max_tokens", "system", "tools", "tool_choice", "temperature", "top_p",
     "stop_sequences", "metadata", "stream", "prompt", *_DROPPED}
)  # fmt: skip
_NATIVE_FIELDS = frozenset({"container", "mcp_servers", "context_management"})
"""Anthropic's request fields with no chat equivalent that change the answer: served natively only."""
_NATIVE_BLOCKS = frozenset(
    {"document", "search_result", "container_upload", "server_tool_use", "web_search_tool_result",
     "web_fetch_tool_result", "code_execution_tool_result", "bash_code_execution_tool_result",
     "text_editor_code_execution_tool_result", "mcp_tool_use", "mcp_tool_result", "tool_search_tool_result"}
)  # fmt: skip
"""Anthropic's content blocks with no chat equivalent: served natively only (a placeholder in the chat body)."""


def _bad(message: str) -> InvalidRequest:
    return InvalidRequest(message)


def to_chat_body(
    body: dict[str, Any], *, need_max_tokens: bool = True, native_only: list[str] | None = None
) -> dict[str, Any]:
    """The chat body for a Messages request; raises `InvalidRequest` naming the field Anthropic would
    (`native_only`: see the module docstring)."""
    if not _KNOWN.issuperset(body):
        for name in body:
            if name in _KNOWN:
                continue
            if native_only is None or name not in _NATIVE_FIELDS:
                raise _bad(f"{name}: Extra inputs are not permitted")
            native_only.append(name)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model: Field required" if model is None else "model: Input should be a valid string")
    chat: dict[str, Any] = {"model": model}
    max_tokens = body.get("max_tokens")
    if max_tokens is not None or need_max_tokens:
        if max_tokens is None:
            raise _bad("max_tokens: Field required")
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_OUTPUT_TOKENS:
            raise _bad("max_tokens: Input should be a positive integer")
        chat["max_tokens"] = max_tokens
    messages = _system(body.get("system"))
    turns = body.get("messages")
    if not isinstance(turns, list) or not turns:
        raise _bad("messages: Field required" if turns is None else "messages: at least one message is required")
    for index, turn in enumerate(turns):
        messages.extend(_turn(turn, f"messages.{index}", native_only))
    chat["messages"] = messages
    _sampling(body, chat)
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise _bad("tools: Input should be a valid list")
        functions = [f for i, tool in enumerate(tools) if (f := _tool(tool, f"tools.{i}", native_only)) is not None]
        if functions:
            chat["tools"] = functions
    if body.get("tool_choice") is not None:
        _tool_choice(body["tool_choice"], chat)
    stream = body.get("stream")
    if stream is not None:
        if not isinstance(stream, bool):
            raise _bad("stream: Input should be a valid boolean")
        chat["stream"] = stream
    if "prompt" in body:  # Rungway's registry prompt reference, expanded by the prompts capability's step
        chat["prompt"] = body["prompt"]
    return chat


def _sampling(body: dict[str, Any], chat: dict[str, Any]) -> None:
    for name, high in (("temperature", 1.0), ("top_p", 1.0)):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= high:
            raise _bad(f"{name}: Input should be a number between 0 and {high:g}")
        chat[name] = value
    stops = body.get("stop_sequences")
    if stops is not None:
        if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
            raise _bad("stop_sequences: Input should be a list of non-empty strings")
        if stops:
            chat["stop"] = stops
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise _bad("metadata: Input should be a valid dictionary")
        for name in metadata:
            if name != "user_id":
                raise _bad(f"metadata.{name}: Extra inputs are not permitted")
        user = metadata.get("user_id")
        if user is not None and not isinstance(user, str):
            raise _bad("metadata.user_id: Input should be a valid string")
        if user:
            chat["user"] = user


def _system(system: Any) -> list[dict[str, Any]]:
    if system is None:
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}] if system else []
    if not isinstance(system, list):
        raise _bad("system: Input should be a valid string or a list of text blocks")
    texts = []
    for i, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(block.get("text"), str):
            raise _bad(f"system.{i}: Input should be a text block")
        texts.append(block["text"])
    return [{"role": "system", "content": "\n\n".join(texts)}] if texts else []


def _blocks(content: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise _bad(f"{where}.content: Input should be a valid string or list of content blocks")
    for i, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise _bad(f"{where}.content.{i}: Input should be a content block with a 'type'")
    return content


def _turn(turn: Any, where: str, native_only: list[str] | None) -> list[dict[str, Any]]:
    if not isinstance(turn, dict):
        raise _bad(f"{where}: Input should be a valid dictionary")
    role = turn.get("role")
    if role not in ("user", "assistant"):
        raise _bad(f"{where}.role: Input should be 'user' or 'assistant'")
    blocks = _blocks(turn.get("content"), where)
    return _user(blocks, where, native_only) if role == "user" else [_assistant(blocks, where, native_only)]


def _text(block: dict[str, Any], where: str) -> str:
    text = block.get("text")
    if not isinstance(text, str):
        raise _bad(f"{where}.text: Input should be a valid string")
    return text


def _image(block: dict[str, Any], where: str) -> dict[str, Any]:
    source = block.get("source")
    if not isinstance(source, dict):
        raise _bad(f"{where}.source: Field required")
    kind = source.get("type")
    if kind == "base64":
        media, data = source.get("media_type"), source.get("data")
        if not isinstance(media, str) or not media.startswith("image/") or not isinstance(data, str) or not data:
            raise _bad(f"{where}.source: a base64 image needs an image/* media_type and data")
        url = f"data:{media};base64,{data}"
    elif kind == "url":
        link = source.get("url")
        if not isinstance(link, str) or not link.startswith(("https://", "http://")):
            raise _bad(f"{where}.source.url: Input should be an http(s) URL")
        url = link
    else:
        raise _bad(f"{where}.source.type: Input should be 'base64' or 'url'")
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_result(block: dict[str, Any], where: str) -> dict[str, Any]:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str) or not call_id:
        raise _bad(f"{where}.tool_use_id: Field required")
    content = block.get("content", "")
    if isinstance(content, list):
        parts = []
        for i, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text":
                raise _bad(f"{where}.content.{i}: a tool result here holds text blocks")
            parts.append(_text(part, f"{where}.content.{i}"))
        content = "\n".join(parts)
    elif not isinstance(content, str):
        raise _bad(f"{where}.content: Input should be a string or a list of text blocks")
    if block.get("is_error") is True:
        content = f"Error: {content}"
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def _user(blocks: list[dict[str, Any]], where: str, native_only: list[str] | None) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for i, block in enumerate(blocks):
        at = f"{where}.content.{i}"
        kind = block["type"]
        if kind == "text":
            parts.append({"type": "text", "text": _text(block, at)})
        elif kind == "image":
            parts.append(_image(block, at))
        elif kind == "tool_result":
            results.append(_tool_result(block, at))
        elif native_only is not None and kind in _NATIVE_BLOCKS:
            native_only.append(f"{at}.type {kind!r}")
            parts.append({"type": "text", "text": f"[{kind}]"})  # the checks see a turn; never sent as chat
        else:
            raise _bad(f"{at}.type: the gateway reads text, image and tool_result blocks in a user turn, not {kind!r}")
    if not parts:
        return results
    if all(p["type"] == "text" for p in parts):
        return [*results, {"role": "user", "content": "\n\n".join(p["text"] for p in parts)}]
    return [*results, {"role": "user", "content": parts}]


def _assistant(blocks: list[dict[str, Any]], where: str, native_only: list[str] | None) -> dict[str, Any]:
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for i, block in enumerate(blocks):
        at = f"{where}.content.{i}"
        kind = block["type"]
        if kind == "text":
            texts.append(_text(block, at))
        elif kind == "tool_use":
            call_id, name, arguments = block.get("id"), block.get("name"), block.get("input", {})
            if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
                raise _bad(f"{at}: a tool_use block needs an id and a name")
            if not isinstance(arguments, dict):
                raise _bad(f"{at}.input: Input should be a valid dictionary")
            function = {"name": name, "arguments": orjson.dumps(arguments).decode()}
            calls.append({"id": call_id, "type": "function", "function": function})
        elif kind in ("thinking", "redacted_thinking"):
            continue
        elif native_only is not None and kind in _NATIVE_BLOCKS:
            native_only.append(f"{at}.type {kind!r}")
        else:
            raise _bad(f"{at}.type: the gateway reads text and tool_use blocks in an assistant turn, not {kind!r}")
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    return message


def _tool(tool: Any, where: str, native_only: list[str] | None) -> dict[str, Any] | None:
    if not isinstance(tool, dict):
        raise _bad(f"{where}: Input should be a valid dictionary")
    kind = tool.get("type")
    if kind not in (None, "custom") and native_only is not None and isinstance(kind, str):
        native_only.append(f"{where}.type {kind[:64]!r}")  # a server tool (web search, code execution...)
        return None
    if kind not in (None, "custom"):
        raise _bad(f"{where}.type: the gateway serves custom tools (name, input_schema), not {kind!r}")
    name, schema, description = tool.get("name"), tool.get("input_schema"), tool.get("description")
    if not isinstance(name, str) or not name:
        raise _bad(f"{where}.name: Field required")
    if not isinstance(schema, dict):
        raise _bad(f"{where}.input_schema: Field required")
    function: dict[str, Any] = {"name": name, "parameters": schema}
    if description is not None:
        if not isinstance(description, str):
            raise _bad(f"{where}.description: Input should be a valid string")
        function["description"] = description
    return {"type": "function", "function": function}


def _tool_choice(choice: Any, chat: dict[str, Any]) -> None:
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "auto":
        chat["tool_choice"] = "auto"
    elif kind == "any":
        chat["tool_choice"] = "required"
    elif kind == "none":
        chat["tool_choice"] = "none"
    elif kind == "tool":
        name = choice.get("name")
        if not isinstance(name, str) or not name:
            raise _bad("tool_choice.name: Field required")
        chat["tool_choice"] = {"type": "function", "function": {"name": name}}
    else:
        raise _bad("tool_choice: Input should be an object with type auto, any, tool or none")
    if choice.get("disable_parallel_tool_use") is True and kind in ("auto", "any", "tool"):
        chat["parallel_tool_calls"] = False
