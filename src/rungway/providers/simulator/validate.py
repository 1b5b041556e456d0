"""Request validation the way OpenAI does it, so the simulator answers bad input with a 400, never a 500."""

from __future__ import annotations

from typing import Any

from rungway.errors import InvalidRequest

_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


def _int_in(body: dict[str, Any], name: str, low: int, high: int) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(f"'{name}' must be an integer from {low} to {high}; got {value!r}.", param=name)


def _number_in(body: dict[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidRequest(f"'{name}' must be a number from {low:g} to {high:g}; got {value!r}.", param=name)


def validate_chat(body: dict[str, Any]) -> None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty array", param="messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise InvalidRequest(
                f"messages[{i}].role must be one of {', '.join(sorted(_ROLES))}.", param=f"messages[{i}].role"
            )
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise InvalidRequest(
                f"messages[{i}].content must be a string or an array of parts.", param=f"messages[{i}].content"
            )
        if isinstance(content, list) and not all(isinstance(p, dict) for p in content):
            raise InvalidRequest(f"messages[{i}].content parts must be objects.", param=f"messages[{i}].content")
        calls = message.get("tool_calls")
        if calls is not None and not (isinstance(calls, list) and all(isinstance(c, dict) for c in calls)):
            raise InvalidRequest(
                f"messages[{i}].tool_calls must be an array of objects.", param=f"messages[{i}].tool_calls"
            )
    _int_in(body, "n", 1, 128)
    _int_in(body, "max_tokens", 1, 1_000_000)
    _int_in(body, "max_completion_tokens", 1, 1_000_000)
    _int_in(body, "seed", -(2**63), 2**63 - 1)
    _number_in(body, "temperature", 0, 2)
    _number_in(body, "top_p", 0, 1)
    stop = body.get("stop")
    if (
        stop is not None
        and not isinstance(stop, str)
        and not (isinstance(stop, list) and len(stop) <= 4 and all(isinstance(s, str) for s in stop))
    ):
        raise InvalidRequest("'stop' must be a string or an array of at most 4 strings.", param="stop")
    _validate_tools(body)
    fmt = body.get("response_format")
    if fmt is not None:
        if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
            raise InvalidRequest(
                "'response_format.type' must be text, json_object or json_schema.", param="response_format"
            )
        if fmt["type"] == "json_schema":
            spec = fmt.get("json_schema")
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                raise InvalidRequest(
                    "'response_format.json_schema' needs a 'name' and a 'schema'.", param="response_format.json_schema"
                )
            if "schema" in spec and not isinstance(spec["schema"], dict):
                raise InvalidRequest(
                    "'response_format.json_schema.schema' must be an object.",
                    param="response_format.json_schema.schema",
                )


def _validate_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise InvalidRequest("'tools' must be an array.", param="tools")
        for i, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise InvalidRequest(
                    f"tools[{i}] must be {{type: function, function: {{name, parameters}}}}.", param=f"tools[{i}]"
                )
            if function.get("parameters") is not None and not isinstance(function["parameters"], dict):
                raise InvalidRequest(
                    f"tools[{i}].function.parameters must be a JSON Schema object.",
                    param=f"tools[{i}].function.parameters",
                )
    functions = body.get("functions")
    if functions is not None and not (isinstance(functions, list) and all(isinstance(f, dict) for f in functions)):
        raise InvalidRequest("'functions' must be an array of objects.", param="functions")
    choice = body.get("tool_choice")
    if choice is not None and not (
        choice in ("none", "auto", "required")
        or (isinstance(choice, dict) and isinstance(choice.get("function"), dict))
    ):
        raise InvalidRequest(
            "'tool_choice' must be none, auto, required or {type: function, function: {name}}.", param="tool_choice"
        )


def validate_embeddings(body: dict[str, Any]) -> list[str | list[int]]:
    """The inputs as a list of strings or token arrays; 400 for anything else."""
    raw = body.get("input")
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw:
        if all(isinstance(x, int) and not isinstance(x, bool) for x in raw):
            return [raw]
        if all(isinstance(x, str) for x in raw):
            return list(raw)
        if all(
            isinstance(x, list) and x and all(isinstance(t, int) and not isinstance(t, bool) for t in x) for x in raw
        ):
            return list(raw)
    raise InvalidRequest("'input' must be a string, an array of strings, or an array of token arrays.", param="input")
