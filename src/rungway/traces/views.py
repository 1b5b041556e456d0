"""Read prompts, outputs, documents and tool calls back out of a stored span's attributes.

Each instrumentation spells content differently (the GenAI conventions' `gen_ai.input.messages`
or the older indexed `gen_ai.prompt.N.*`, OpenInference's `llm.input_messages.N.message.*` and
`input.value`, ...). `content_view` gives `rungway traces show` and the API one shape for all.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from rungway.traces.otlp_decode import span_content

_INDEXED = re.compile(r"^(?P<prefix>.+?)\.(?P<index>\d+)\.(?P<field>.+)$")


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _indexed(a: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """`prefix.0.role`, `prefix.0.content`, ... as [{"role":..., "content":...}, ...]."""
    items: dict[int, dict[str, Any]] = {}
    for key, value in a.items():
        if not key.startswith(prefix + "."):
            continue
        match = _INDEXED.match(key)
        if match is None or match.group("prefix") != prefix:
            continue
        field = match.group("field").removeprefix("message.").removeprefix("document.")
        items.setdefault(int(match.group("index")), {})[field] = value
    return [items[i] for i in sorted(items)]


def _messages(a: dict[str, Any], structured: str, *indexed: str) -> Any:
    value = a.get(structured)
    if value is not None:
        return _maybe_json(value)
    for prefix in indexed:
        found = _indexed(a, prefix)
        if found:
            return found
    return None


def content_view(content: dict[str, Any]) -> dict[str, Any]:
    """{input, output, documents, tool, parameters} for one span; absent parts are left out."""
    a: dict[str, Any] = content.get("attributes") or {}
    view: dict[str, Any] = {}
    system = a.get("gen_ai.system_instructions")
    inp = _messages(a, "gen_ai.input.messages", "gen_ai.prompt", "llm.input_messages")
    if inp is None:
        inp = _maybe_json(
            a.get("input.value")
            or a.get("gen_ai.retrieval.query.text")
            or a.get("gen_ai.tool.call.arguments")
            or a.get("traceloop.entity.input")
            or a.get("gen_ai.embeddings.input")
        )
    if inp is None:
        inp = _event_content(content, ("gen_ai.content.prompt", "gen_ai.user.message"), "gen_ai.prompt")
    if system is not None:
        view["system"] = _maybe_json(system)
    if inp is not None:
        view["input"] = inp
    out = _messages(a, "gen_ai.output.messages", "gen_ai.completion", "llm.output_messages")
    if out is None:
        out = _maybe_json(a.get("output.value") or a.get("gen_ai.tool.call.result") or a.get("traceloop.entity.output"))
    if out is None:
        out = _event_content(content, ("gen_ai.content.completion", "gen_ai.choice"), "gen_ai.completion")
    if out is not None:
        view["output"] = out
    docs = _maybe_json(a.get("gen_ai.retrieval.documents")) or _indexed(a, "retrieval.documents")
    if docs:
        view["documents"] = docs
    tool = a.get("gen_ai.tool.name") or a.get("tool.name")
    if tool:
        view["tool"] = {"name": tool, "arguments": _maybe_json(a.get("tool.parameters"))}
    params = {k.removeprefix("gen_ai.request."): v for k, v in a.items() if k.startswith("gen_ai.request.")}
    params.pop("model", None)
    if params:
        view["parameters"] = params
    return view


def _event_content(content: dict[str, Any], names: tuple[str, ...], key: str) -> Any:
    for event in content.get("events") or ():
        if event.get("name") in names:
            attrs = event.get("attributes") or {}
            return _maybe_json(attrs.get(key) or attrs.get("content") or attrs.get("message"))
    return None


def span_view(span: dict[str, Any]) -> dict[str, Any]:
    """A stored span (as `traces.store.get_trace` returns it) with its content read into one shape.

    A span the reader may not see (`hidden`) stays a placeholder: ids, parent, times, no content."""
    if span.get("hidden"):
        return dict(span)
    content = span_content(span["content"]) if isinstance(span["content"], bytes) else span["content"]
    out = {k: v for k, v in span.items() if k != "content"}
    out["cost_usd"] = span["cost_nano"] / 1e9
    out.update(content_view(content))
    out["attributes"] = content.get("attributes") or {}
    if content.get("events"):
        out["events"] = content["events"]
    return out


def trace_tree(trace: dict[str, Any], spans: list[dict[str, Any]]) -> dict[str, Any]:
    """The trace with its spans nested under their parents (orphans at the top), in start order."""
    views = [span_view(s) for s in spans]
    by_id = {v["span_id"]: v for v in views}
    roots: list[dict[str, Any]] = []
    for view in views:
        view["children"] = []
    for view in views:
        parent = by_id.get(view["parent_span_id"] or "")
        (parent["children"] if parent is not None and parent is not view else roots).append(view)
    return {**trace, "cost_usd": trace["cost_nano"] / 1e9, "spans": roots}
