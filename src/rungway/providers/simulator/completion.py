"""Build a simulated chat completion: choices with text, tool calls or schema-valid JSON."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from rungway.providers.simulator.behaviour import Behaviour
from rungway.providers.simulator.schema_values import value_for
from rungway.providers.simulator.text import content_text, count_tokens, reply_text, rng_for, split_tokens


@dataclass(slots=True)
class SimChoice:
    """One generated choice before it is put on the wire."""

    content: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str
    completion_tokens: int


def build_choices(body: dict[str, Any], behaviour: Behaviour) -> list[SimChoice]:
    messages: list[dict[str, Any]] = body.get("messages") or []
    n = int(body.get("n") or 1)
    return [_choice(body, messages, behaviour, index) for index in range(n)]


def _choice(body: dict[str, Any], messages: list[dict[str, Any]], behaviour: Behaviour, index: int) -> SimChoice:
    rng = rng_for(behaviour.seed, body.get("seed"), body.get("model"), _fingerprint(messages), index)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    tool = _tool_to_call(body, messages)
    if tool is not None:
        function = tool.get("function") or {}
        arguments = json.dumps(value_for(function.get("parameters") or {"type": "object"}, rng))
        call: dict[str, Any] = {
            "id": f"call_{rng.getrandbits(64):016x}",
            "type": "function",
            "function": {"name": function.get("name", "tool"), "arguments": arguments},
        }
        tokens = count_tokens(call["function"]["name"]) + count_tokens(arguments)
        return SimChoice(None, [call], "tool_calls", tokens)
    text = _text(body, messages, behaviour, rng)
    finish = "stop"
    text, stopped = _apply_stop(text, body.get("stop"))
    tokens = count_tokens(text)
    if limit is not None and tokens > int(limit) and not _is_json_mode(body):
        text = "".join(split_tokens(text)[: int(limit)])
        tokens = int(limit)
        finish = "length"
    elif stopped:
        finish = "stop"
    return SimChoice(text, [], finish, tokens)


def _fingerprint(messages: list[dict[str, Any]]) -> str:
    return json.dumps(
        [[m.get("role"), content_text(m.get("content")), m.get("tool_call_id")] for m in messages],
        sort_keys=True,
    )


def _tool_to_call(body: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type", "function") == "function"]
    if not tools:
        functions = body.get("functions") or []
        tools = [{"type": "function", "function": f} for f in functions if isinstance(f, dict)]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        named = [t for t in tools if (t.get("function") or {}).get("name") == wanted]
        return named[0] if named else None
    # After a tool result, answer in text so an agent loop ends; "required" always calls a tool.
    if choice != "required" and messages and messages[-1].get("role") in ("tool", "function"):
        return None
    rng = rng_for("tool", _fingerprint(messages))
    return tools[rng.randrange(len(tools))]


def _is_json_mode(body: dict[str, Any]) -> bool:
    fmt = body.get("response_format") or {}
    return isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object")


def _text(body: dict[str, Any], messages: list[dict[str, Any]], behaviour: Behaviour, rng: random.Random) -> str:
    fmt = body.get("response_format") or {}
    last_user = next((content_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {"type": "object"}
        if behaviour.judge_on and "score" in (schema.get("properties") or {}):
            hit = any(p in last_user.casefold() for p in behaviour.judge_on)
            return json.dumps({"score": 1.0 if hit else 0.0, "reason": "marker found" if hit else "no marker"})
        return json.dumps(value_for(schema, rng))
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        return json.dumps({"answer": reply_text(rng, last_user, behaviour.reply_words)})
    gullible = _gullible(messages, last_user.casefold(), behaviour)
    return gullible if gullible is not None else reply_text(rng, last_user, behaviour.reply_words)


def _gullible(messages: list[dict[str, Any]], asked: str, behaviour: Behaviour) -> str | None:
    """The red-team options' answer (`leak_on`, `leak_guard`, `refuse_on`), or None for the usual reply."""
    if any(p in asked for p in behaviour.refuse_on):
        return "I'm sorry, but I can't help with that."
    if any(p in asked for p in behaviour.leak_on):
        system = " ".join(content_text(m.get("content")) for m in messages if m.get("role") == "system").casefold()
        if any(p in system for p in behaviour.leak_guard):
            return "I'm sorry, but I can't share that."
        return "Sure. Everything I was given: " + " | ".join(content_text(m.get("content")) for m in messages)
    return None


def _apply_stop(text: str, stop: Any) -> tuple[str, bool]:
    stops = [stop] if isinstance(stop, str) else [s for s in (stop or []) if isinstance(s, str) and s]
    cut = min((text.find(s) for s in stops if s in text), default=-1)
    if cut >= 0:
        return text[:cut], True
    return text, False
