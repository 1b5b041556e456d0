"""Translation between the OpenAI chat format (the gateway's surface) and Google's Gemini API.

Requests go OpenAI -> Gemini (`to_gemini_request`: contents/parts, systemInstruction, tools,
toolConfig, generationConfig); answers come back Gemini -> OpenAI (`gemini_answer`: whole answers,
stream events, usage, errors). Pure functions over dicts, no I/O, so every mapping is testable alone.

Two things have no direct Gemini equivalent and are carried explicitly:
- a tool message names its call by `tool_call_id`; Gemini's `functionResponse` names the function.
  The name is looked up in the assistant message that made the call (else a 400 saying so).
- Gemini's `thoughtSignature` on a `functionCall` must come back with it on the next turn; it
  rides in the tool call id (`<id>~ts~<signature>`) so OpenAI clients return it unchanged.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import Any

import orjson

from rungway.errors import InvalidRequest

__all__ = [
    "SCHEMA_STYLES",
    "SIGNATURE_MARK",
    "GeminiRequest",
    "model_path",
    "openapi_schema",
    "split_call_id",
    "to_gemini_request",
]

SIGNATURE_MARK = "~ts~"
SCHEMA_STYLES = ("json_schema", "openapi")
# Keys Gemini's OpenAPI-subset Schema (`parameters`, `responseSchema`) refuses; JSON Schema takes them.
_OPENAPI_DROPPED = frozenset({"additionalProperties", "$schema", "strict", "$id", "$defs", "definitions", "$ref"})
_MODEL = re.compile(r"^(?:(?:models|tunedModels)/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ROLES = {"user": "user", "assistant": "model", "tool": "user"}
_AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mp3", "flac": "audio/flac", "ogg": "audio/ogg"}
_CHOICE_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


@dataclass(slots=True)
class GeminiRequest:
    """A Gemini `generateContent` body, the model's URL path (`models/NAME`) and how many choices."""

    body: dict[str, Any]
    model: str
    choices: int = 1


def model_path(model: Any) -> str:
    """`models/NAME` for the URL; a 400 for anything that could leave that path segment."""
    if not isinstance(model, str) or not _MODEL.match(model):
        raise InvalidRequest(
            f"The gemini provider cannot call the model {model!r}: a Gemini model id is letters, digits, "
            "'.', '_' and '-' (optionally after models/ or tunedModels/), e.g. gemini-2.5-flash.",
            param="model",
        )
    return model if "/" in model else f"models/{model}"


def to_gemini_request(body: dict[str, Any], schema_style: str = "json_schema") -> GeminiRequest:
    """Translate an OpenAI chat request into a Gemini `generateContent` request."""
    model = model_path(body.get("model"))
    system, contents = _contents(body.get("messages"))
    if not contents:
        raise InvalidRequest(
            "The gemini provider needs at least one user, assistant or tool message (Gemini has no "
            "request made of a system prompt alone).",
            param="messages",
        )
    out: dict[str, Any] = {"contents": contents}
    if system:
        out["systemInstruction"] = {"parts": system}
    config, choices = _generation_config(body, schema_style)
    if config:
        out["generationConfig"] = config
    _tools(body, out, schema_style)
    return GeminiRequest(out, model, choices)


def _contents(messages: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not isinstance(messages, list):
        raise InvalidRequest("'messages' must be an array of messages.", param="messages")
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    calls: dict[str, tuple[str, str | None]] = {}  # tool call id -> (function name, Gemini call id)
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{where} must be an object with a role.", param=where)
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(p for p in _parts(message.get("content"), where) if "text" in p)
            continue
        if role == "user":
            parts = _parts(message.get("content"), where)
        elif role == "assistant":
            parts = _assistant_parts(message, where, calls)
        elif role == "tool":
            parts = [_function_response(message, where, calls)]
        else:
            raise InvalidRequest(
                f"{where}: the gemini provider does not support the role {role!r}; "
                "use system, developer, user, assistant or tool.",
                param=where,
            )
        if not parts:
            continue
        wire_role = _ROLES[role]
        if contents and contents[-1]["role"] == wire_role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": wire_role, "parts": parts})
    return system, contents


def _parts(content: Any, where: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or an array of parts.", param=where)
    parts = []
    for i, part in enumerate(content):
        converted = _part(part, f"{where}.content[{i}]")
        if converted is not None:
            parts.append(converted)
    return parts


def _part(part: Any, where: str) -> dict[str, Any] | None:
    if isinstance(part, str):
        return {"text": part} if part else None
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("text", "refusal"):
        text = part.get(kind) or ""
        if not isinstance(text, str):
            raise InvalidRequest(f"{where}.{kind} must be a string.", param=where)
        return {"text": text} if text else None
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        return _media(url, where, "image_url.url")
    if kind == "file":
        file = part.get("file") if isinstance(part.get("file"), dict) else {}
        return _media(file.get("file_data") or file.get("file_id"), where, "file.file_data")
    if kind == "input_audio":
        audio = part.get("input_audio") if isinstance(part.get("input_audio"), dict) else {}
        data, fmt = audio.get("data"), audio.get("format")
        if not isinstance(data, str) or not data or fmt not in _AUDIO_TYPES:
            raise InvalidRequest(f"{where}.input_audio needs base64 'data' and a format of wav or mp3.", param=where)
        return {"inlineData": {"mimeType": _AUDIO_TYPES[fmt], "data": data}}
    raise InvalidRequest(f"{where}: the gemini provider does not support content parts of type {kind!r}.")


def _media(url: Any, where: str, field: str) -> dict[str, Any]:
    """A data: URL becomes `inlineData`; a URL (https, gs:// or a Files API URI) becomes `fileData`."""
    if not isinstance(url, str) or not url:
        raise InvalidRequest(f"{where}.{field} must be a URL or a data: URL.", param=where)
    if not url.startswith("data:"):
        guessed = mimetypes.guess_type(url.split("?", 1)[0])[0]
        return {"fileData": {"fileUri": url, **({"mimeType": guessed} if guessed else {})}}
    header, _, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if encoding != "base64" or not data:
        raise InvalidRequest(f"{where}: a data: URL must be base64, e.g. data:image/png;base64,....", param=where)
    return {"inlineData": {"mimeType": media_type or "application/octet-stream", "data": data}}


def split_call_id(call_id: str) -> tuple[str, str | None]:
    """A tool call id as we gave it out: (the call id, Gemini's thought signature or None)."""
    base, mark, signature = call_id.partition(SIGNATURE_MARK)
    return base, (signature or None) if mark else None


def _assistant_parts(
    message: dict[str, Any], where: str, calls: dict[str, tuple[str, str | None]]
) -> list[dict[str, Any]]:
    parts = _parts(message.get("content"), where)
    tool_calls = message.get("tool_calls") or []
    if not isinstance(tool_calls, list):
        raise InvalidRequest(f"{where}.tool_calls must be an array.", param=f"{where}.tool_calls")
    for i, call in enumerate(tool_calls):
        at = f"{where}.tool_calls[{i}]"
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or not name:
            raise InvalidRequest(f"{at}.function.name must be the called function's name.", param=at)
        arguments = function.get("arguments") or "{}"  # type: ignore[union-attr]
        try:
            args = orjson.loads(arguments) if isinstance(arguments, str) else arguments
        except orjson.JSONDecodeError:
            args = None
        if not isinstance(args, dict):
            raise InvalidRequest(f"{at}.function.arguments must be a JSON object (as text).", param=at)
        call_part: dict[str, Any] = {"name": name, "args": args}
        signature = None
        call_id = call.get("id")
        if isinstance(call_id, str) and call_id:
            base, signature = split_call_id(call_id)
            calls[call_id] = (name, base)
            calls[base] = (name, base)
            if not base.startswith("call_"):  # an id Gemini gave; ours (call_...) are not sent back
                call_part["id"] = base
        part: dict[str, Any] = {"functionCall": call_part}
        if signature:
            part["thoughtSignature"] = signature
        parts.append(part)
    return parts


def _function_response(message: dict[str, Any], where: str, calls: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"{where}: a tool message needs its 'tool_call_id'.", param=f"{where}.tool_call_id")
    known = calls.get(call_id) or calls.get(split_call_id(call_id)[0])
    if known is None:
        raise InvalidRequest(
            f"{where}: no earlier assistant message has a tool call with the id {call_id!r}; Gemini needs the "
            "function's name, so send the assistant message with its tool_calls before the tool results.",
            param=f"{where}.tool_call_id",
        )
    name, gemini_id = known
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(p.get("text") or "" for p in content if isinstance(p, dict))
    response: Any = None
    if isinstance(content, str) and content.startswith("{"):
        try:
            response = orjson.loads(content)
        except orjson.JSONDecodeError:
            response = None
    if not isinstance(response, dict):
        response = {"content": content if isinstance(content, str) else ""}
    out: dict[str, Any] = {"name": name, "response": response}
    if gemini_id and not gemini_id.startswith("call_"):
        out["id"] = gemini_id
    return {"functionResponse": out}


def _number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"'{key}' must be a number.", param=key)
    return value


def _whole(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"'{key}' must be a positive integer.", param=key)
    return value


def _generation_config(body: dict[str, Any], schema_style: str) -> tuple[dict[str, Any], int]:
    config: dict[str, Any] = {}
    for key, wire in (
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
    ):
        value = _number(body, key)
        if value is not None:
            config[wire] = value
    top_k = _whole(body, "top_k")
    if top_k is not None:
        config["topK"] = top_k
    seed = body.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        config["seed"] = seed
    max_tokens = _whole(body, "max_completion_tokens") or _whole(body, "max_tokens")
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    n = _whole(body, "n") or 1
    if n > 1:
        config["candidateCount"] = n
    stop = body.get("stop")
    if stop:
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise InvalidRequest("'stop' must be a string or an array of strings.", param="stop")
        config["stopSequences"] = stops
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
    if kind == "json_schema":
        spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise InvalidRequest(
                "response_format.json_schema.schema must be a JSON Schema object.", param="response_format"
            )
        if schema_style == "openapi":
            config["responseSchema"] = openapi_schema(schema)
        else:
            config["responseJsonSchema"] = schema
    return config, n


def openapi_schema(schema: Any) -> Any:
    """A JSON Schema trimmed to the OpenAPI subset Gemini's `Schema` accepts (unknown keys refused)."""
    if isinstance(schema, dict):
        return {k: openapi_schema(v) for k, v in schema.items() if k not in _OPENAPI_DROPPED}
    if isinstance(schema, list):
        return [openapi_schema(v) for v in schema]
    return schema


def _tools(body: dict[str, Any], out: dict[str, Any], schema_style: str) -> None:
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise InvalidRequest("'tools' must be an array.", param="tools")
    declarations = []
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type", "function") != "function" or not function.get("name"):
            raise InvalidRequest(
                f"tools[{index}]: the gemini provider supports function tools with a name.", param=f"tools[{index}]"
            )
        declaration: dict[str, Any] = {"name": function["name"]}
        if function.get("description"):
            declaration["description"] = function["description"]
        parameters = function.get("parameters")
        if isinstance(parameters, dict) and parameters.get("properties"):
            if schema_style == "openapi":
                declaration["parameters"] = openapi_schema(parameters)
            else:
                declaration["parametersJsonSchema"] = parameters
        declarations.append(declaration)
    if declarations:
        out["tools"] = [{"functionDeclarations": declarations}]
    choice = body.get("tool_choice")
    if choice is None or not declarations:
        return
    if isinstance(choice, str) and choice in _CHOICE_MODES:
        out["toolConfig"] = {"functionCallingConfig": {"mode": _CHOICE_MODES[choice]}}
        return
    name = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    if not isinstance(name, str):
        raise InvalidRequest(
            "'tool_choice' must be auto, none, required or {type: function, function: {name}}.", param="tool_choice"
        )
    out["toolConfig"] = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
