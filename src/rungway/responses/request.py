"""A Responses API request read into its typed parts and then into a chat-completions body.

`parse_request` validates the body (every refusal a 400 naming the field, as OpenAI's `param`) and gives
the request's own input items, each with an id; the dialect then puts the stored conversation in front
(`previous_response_id`) and resolves `item_reference`s, and `chat_body` writes the chat request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.errors import InvalidRequest

__all__ = ["ParsedRequest", "chat_body", "chat_messages", "parse_request"]

_ACCEPTED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "text",
        "max_output_tokens",
        "temperature",
        "top_p",
        "user",
        "metadata",
        "store",
        "previous_response_id",
        "parallel_tool_calls",
        "stream",
        # accepted and without effect over chat: what SDKs send by default
        "include",
        "truncation",
        "reasoning",
        "service_tier",
        "background",
        "stream_options",
        "prompt_cache_key",
        "safety_identifier",
        "top_logprobs",
        "prompt",  # a registry prompt reference ({id, label|version, variables}), expanded by the prompt library
    }
)
_ROLES = {"user": "user", "system": "system", "developer": "system", "assistant": "assistant"}
_ID_PREFIX = {"message": "msg", "function_call": "fc", "function_call_output": "fco"}


@dataclass(slots=True)
class ParsedRequest:
    """The request's parts: its items in order (`item_reference`s still unresolved), and what the answer echoes."""

    model: str
    items: list[dict[str, Any]]
    instructions: str | None
    stream: bool
    store: bool
    previous_response_id: str | None
    chat_options: dict[str, Any] = field(default_factory=dict)
    echo: dict[str, Any] = field(default_factory=dict)


def _bad(message: str, param: str) -> InvalidRequest:
    return InvalidRequest(message, param=param, code="invalid_value" if param else None)


def _text(value: Any, param: str, *, limit: int = 1 << 20) -> str:
    if not isinstance(value, str):
        raise _bad(f"'{param}' must be a string.", param)
    if len(value) > limit:
        raise _bad(f"'{param}' is longer than {limit} characters.", param)
    return value


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _bad(f"'{name}' must be a number from {low:g} to {high:g}.", name)
    return float(value)


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad(f"'{name}' must be a boolean.", name)
    return value


def _content(content: Any, param: str, role: str) -> list[dict[str, Any]]:
    if isinstance(content, str):  # kept as OpenAI lists it back: one text part
        text_kind = "output_text" if role == "assistant" else "input_text"
        return [{"type": text_kind, "text": content, **({"annotations": []} if role == "assistant" else {})}]
    if not isinstance(content, list) or not content:
        raise _bad(f"'{param}' must be a string or a non-empty list of content parts.", param)
    parts: list[dict[str, Any]] = []
    for i, part in enumerate(content):
        where = f"{param}[{i}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text"):
            part_out: dict[str, Any] = {"type": kind, "text": _text(part.get("text"), f"{where}.text")}
            if kind == "output_text":
                part_out["annotations"] = []
            parts.append(part_out)
        elif kind == "input_image":
            url = part.get("image_url")
            if not isinstance(url, str) or not url:
                raise _bad(f"'{where}.image_url' must be a URL or a data URL (file_id is not supported).", where)
            detail = part.get("detail", "auto")
            if detail not in ("auto", "low", "high"):
                raise _bad(f"'{where}.detail' must be auto, low or high.", f"{where}.detail")
            parts.append({"type": "input_image", "image_url": url, "detail": detail})
        else:
            raise _bad(f"'{where}.type' must be input_text, input_image or output_text; got {kind!r}.", f"{where}.type")
    return parts


def _item(raw: Any, param: str, base: str, index: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _bad(f"'{param}' must be an object.", param)
    kind = raw.get("type", "message" if "role" in raw else None)
    item_id = raw.get("id")
    if item_id is not None and not (isinstance(item_id, str) and 0 < len(item_id) <= 200):
        raise _bad(f"'{param}.id' must be a string of at most 200 characters.", f"{param}.id")
    if kind == "item_reference":
        if item_id is None:
            raise _bad(f"'{param}.id' is required for an item_reference.", f"{param}.id")
        return {"type": "item_reference", "id": item_id}
    if kind not in _ID_PREFIX:
        raise _bad(
            f"'{param}.type' must be message, function_call, function_call_output or item_reference; got {kind!r}.",
            f"{param}.type",
        )
    new_id = item_id or f"{_ID_PREFIX[kind]}_{base}_i{index}"
    if kind == "message":
        role = raw.get("role")
        if role not in _ROLES:
            raise _bad(f"'{param}.role' must be user, assistant, system or developer; got {role!r}.", f"{param}.role")
        return {
            "type": "message",
            "id": new_id,
            "role": role,
            "content": _content(raw.get("content"), f"{param}.content", role),
        }
    call_id = _text(raw.get("call_id"), f"{param}.call_id", limit=200)
    if kind == "function_call":
        name = _text(raw.get("name"), f"{param}.name", limit=200)
        arguments = _text(raw.get("arguments", ""), f"{param}.arguments")
        return {
            "type": "function_call",
            "id": new_id,
            "call_id": call_id,
            "name": name,
            "arguments": arguments,
            "status": "completed",
        }
    output = raw.get("output")
    if not isinstance(output, str):
        raise _bad(f"'{param}.output' must be a string.", f"{param}.output")
    return {"type": "function_call_output", "id": new_id, "call_id": call_id, "output": output, "status": "completed"}


def _tools(tools: Any) -> list[dict[str, Any]]:
    if tools is None:
        return []
    if not isinstance(tools, list) or len(tools) > 128:
        raise _bad("'tools' must be a list of at most 128 tools.", "tools")
    other = sorted({str(t.get("type")) for t in tools if isinstance(t, dict) and t.get("type") != "function"})
    if other:
        raise _bad(f"Only function tools are supported over this gateway; not: {', '.join(other)}.", "tools")
    out = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise _bad(f"'tools[{i}]' must be an object.", f"tools[{i}]")
        function: dict[str, Any] = {"name": _text(tool.get("name"), f"tools[{i}].name", limit=128)}
        if tool.get("description") is not None:
            function["description"] = _text(tool.get("description"), f"tools[{i}].description")
        if tool.get("parameters") is not None:
            if not isinstance(tool["parameters"], dict):
                raise _bad(f"'tools[{i}].parameters' must be a JSON schema object.", f"tools[{i}].parameters")
            function["parameters"] = tool["parameters"]
        if tool.get("strict") is not None:
            function["strict"] = _flag(tool, "strict", False)
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: Any) -> Any:
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise _bad('\'tool_choice\' must be auto, none, required or {"type": "function", "name": ...}.', "tool_choice")


def _response_format(text: Any) -> dict[str, Any] | None:
    if text is None:
        return None
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(text, dict) or (fmt is not None and not isinstance(fmt, dict)):
        raise _bad('\'text\' must be an object such as {"format": {"type": "text"}}.', "text")
    kind = (fmt or {}).get("type", "text")
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        assert fmt is not None
        schema = fmt.get("schema")
        if not isinstance(schema, dict):
            raise _bad("'text.format.schema' must be a JSON schema object.", "text.format.schema")
        spec: dict[str, Any] = {"name": _text(fmt.get("name"), "text.format.name", limit=64), "schema": schema}
        for key in ("description", "strict"):
            if fmt.get(key) is not None:
                spec[key] = fmt[key]
        return {"type": "json_schema", "json_schema": spec}
    raise _bad(f"'text.format.type' must be text, json_object or json_schema; got {kind!r}.", "text.format.type")


def parse_request(body: dict[str, Any], base: str, max_items: int) -> ParsedRequest:
    """The request validated; its items get ids `<kind>_<base>_i<n>` unless the client named them."""
    unknown = sorted(set(body) - _ACCEPTED)
    if unknown:
        raise InvalidRequest(f"Unknown parameter: '{unknown[0]}'.", param=unknown[0], code="unknown_parameter")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest(
            "'model' is required: the model to answer with.", param="model", code="missing_required_parameter"
        )
    raw = body.get("input")
    if isinstance(raw, str):
        items = [{"type": "message", "id": f"msg_{base}_i0", "role": "user", "content": _content(raw, "input", "user")}]
    elif isinstance(raw, list):
        if len(raw) > max_items:
            raise _bad(f"'input' holds {len(raw)} items; at most {max_items}.", "input")
        items = [_item(item, f"input[{i}]", base, i) for i, item in enumerate(raw)]
    else:
        raise _bad("'input' must be a string or a list of items.", "input")
    instructions = body.get("instructions")
    if instructions is not None:
        instructions = _text(instructions, "instructions")
    previous = body.get("previous_response_id")
    if previous is not None:
        previous = _text(previous, "previous_response_id", limit=200)
    if body.get("background"):
        raise _bad("'background' responses are not supported over this gateway.", "background")
    options: dict[str, Any] = {}
    tools = _tools(body.get("tools"))
    if tools:
        options["tools"] = tools
        options["parallel_tool_calls"] = _flag(body, "parallel_tool_calls", True)
    choice = _tool_choice(body.get("tool_choice"))
    if choice is not None and tools:
        options["tool_choice"] = choice
    response_format = _response_format(body.get("text"))
    if response_format is not None:
        options["response_format"] = response_format
    max_tokens = _number(body, "max_output_tokens", 1, 1 << 24)
    if max_tokens is not None:
        options["max_tokens"] = int(max_tokens)
    for name, high in (("temperature", 2.0), ("top_p", 1.0)):
        value = _number(body, name, 0.0, high)
        if value is not None:
            options[name] = value
    user = body.get("user")
    if user is not None:
        options["user"] = _text(user, "user", limit=256)
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or len(metadata) > 16:
            raise _bad("'metadata' must be an object of at most 16 string values.", "metadata")
        options["metadata"] = metadata
    echo = {
        "instructions": instructions,
        "max_output_tokens": options.get("max_tokens"),
        "metadata": metadata or {},
        "parallel_tool_calls": _flag(body, "parallel_tool_calls", True),
        "previous_response_id": previous,
        "temperature": options.get("temperature", 1.0),
        "text": {"format": {"type": "text"}} if response_format is None else body["text"],
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "top_p": options.get("top_p", 1.0),
        "truncation": body.get("truncation") or "disabled",
        "user": user,
    }
    if body.get("prompt") is not None:
        options["prompt"] = body["prompt"]
    return ParsedRequest(
        model, items, instructions, _flag(body, "stream", False), _flag(body, "store", True), previous, options, echo
    )


def _chat_content(content: list[dict[str, Any]]) -> Any:
    if all(part["type"] != "input_image" for part in content):
        return "".join(part["text"] for part in content)
    return [
        {"type": "image_url", "image_url": {"url": p["image_url"], "detail": p["detail"]}}
        if p["type"] == "input_image"
        else {"type": "text", "text": p["text"]}
        for p in content
    ]


def chat_messages(instructions: str | None, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as chat messages: consecutive function calls join one assistant message's tool_calls."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": instructions}] if instructions else []
    for item in items:
        kind = item["type"]
        if kind == "message":
            messages.append({"role": _ROLES[item["role"]], "content": _chat_content(item["content"])})
        elif kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and ("tool_calls" in last or not last["content"]):
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": item["output"]})
    return messages


def chat_body(parsed: ParsedRequest, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The chat-completions request for the whole conversation (`items`: stored ones first, references resolved)."""
    body: dict[str, Any] = {"model": parsed.model, "messages": chat_messages(parsed.instructions, items)}
    body.update(parsed.chat_options)
    if parsed.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body
