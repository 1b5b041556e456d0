"""Map span attributes from existing instrumentations onto Rungway's span columns.

Accepted conventions (the first one present wins, in this order):
- OpenTelemetry GenAI semantic conventions (`gen_ai.*`), as emitted by OpenLLMetry (Traceloop),
  OpenLIT and the official OpenTelemetry instrumentations, old and new attribute names;
- OpenInference (`openinference.span.kind`, `llm.*`, `input.value`, ...), as emitted by Arize
  Phoenix's instrumentors;
- Traceloop's own `traceloop.span.kind` and association properties.
Only the columns are derived at ingest; prompts and outputs are read from the stored attributes
when a trace is shown (`content_view`), so the insert path does no more than it must.
"""

from __future__ import annotations

from typing import Any

import orjson

from rungway.domain.span_kinds import SpanKind

_OPENINFERENCE_KINDS = {
    "LLM": SpanKind.LLM,
    "EMBEDDING": SpanKind.EMBEDDING,
    "RETRIEVER": SpanKind.RETRIEVAL,
    "RERANKER": SpanKind.RERANKER,
    "TOOL": SpanKind.TOOL,
    "AGENT": SpanKind.AGENT,
    "CHAIN": SpanKind.CHAIN,
    "PROMPT": SpanKind.CHAIN,
    "GUARDRAIL": SpanKind.GUARDRAIL,
    "EVALUATOR": SpanKind.EVALUATOR,
}
_GENAI_OPERATIONS = {
    "chat": SpanKind.LLM,
    "text_completion": SpanKind.LLM,
    "completion": SpanKind.LLM,
    "generate_content": SpanKind.LLM,
    "embeddings": SpanKind.EMBEDDING,
    "embedding": SpanKind.EMBEDDING,
    "execute_tool": SpanKind.TOOL,
    "invoke_agent": SpanKind.AGENT,
    "create_agent": SpanKind.AGENT,
    "invoke_workflow": SpanKind.CHAIN,
    "retrieval": SpanKind.RETRIEVAL,
    "retrieve": SpanKind.RETRIEVAL,
    "rerank": SpanKind.RERANKER,
    "guardrail": SpanKind.GUARDRAIL,
    "evaluate": SpanKind.EVALUATOR,
}
_TRACELOOP_KINDS = {
    "workflow": SpanKind.CHAIN,
    "task": SpanKind.CHAIN,
    "agent": SpanKind.AGENT,
    "tool": SpanKind.TOOL,
}
_LLM_REQUEST_TYPES = {
    "chat": SpanKind.LLM,
    "completion": SpanKind.LLM,
    "embedding": SpanKind.EMBEDDING,
    "rerank": SpanKind.RERANKER,
}
_KINDS = {k.value: k for k in SpanKind}

# Attributes holding prompts, outputs, documents or tool arguments: dropped under `metadata-only`.
CONTENT_PREFIXES = (
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.retrieval.query",
    "gen_ai.retrieval.documents",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.tool.definitions",
    "llm.input_messages",
    "llm.output_messages",
    "llm.prompts",
    "llm.prompt_template",
    "llm.tools",
    "input.value",
    "output.value",
    "retrieval.documents",
    "reranker.",
    "embedding.embeddings",
    "tool.parameters",
    "tool_call.",
    "traceloop.entity.input",
    "traceloop.entity.output",
    "gen_ai.embeddings.input",
)


# Every attribute the columns are derived from: the protobuf path reads only these values.
COLUMN_KEYS = frozenset(
    {
        "rungway.span.kind",
        "openinference.span.kind",
        "gen_ai.operation.name",
        "traceloop.span.kind",
        "llm.request.type",
        "gen_ai.response.model",
        "gen_ai.request.model",
        "llm.model_name",
        "embedding.model_name",
        "gen_ai.provider.name",
        "gen_ai.system",
        "llm.provider",
        "llm.system",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
        "llm.token_count.prompt",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.token_count.completion",
        "gen_ai.usage.cost",
        "llm.cost.total",
        "user.id",
        "enduser.id",
        "gen_ai.user.id",
        "session.id",
        "gen_ai.conversation.id",
        "gen_ai.session.id",
        "tag.tags",
        "metadata",
    }
)
ASSOCIATION_PREFIX = "traceloop.association.properties."


def is_content_key(key: str) -> bool:
    return key.startswith(CONTENT_PREFIXES)


def span_kind(a: dict[str, Any]) -> str:
    """The span kind from whichever convention the instrumentation used; `custom` otherwise."""
    value = a.get("rungway.span.kind")
    if isinstance(value, str) and value in _KINDS:
        return value
    value = a.get("openinference.span.kind")
    if isinstance(value, str) and value.upper() in _OPENINFERENCE_KINDS:
        return _OPENINFERENCE_KINDS[value.upper()].value
    value = a.get("gen_ai.operation.name")
    if isinstance(value, str) and value in _GENAI_OPERATIONS:
        return _GENAI_OPERATIONS[value].value
    value = a.get("traceloop.span.kind")
    if isinstance(value, str) and value in _TRACELOOP_KINDS:
        return _TRACELOOP_KINDS[value].value
    value = a.get("llm.request.type")
    if isinstance(value, str) and value in _LLM_REQUEST_TYPES:
        return _LLM_REQUEST_TYPES[value].value
    return SpanKind.CUSTOM.value


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def first(a: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = a.get(key)
        if value is not None and value != "":
            return value
    return None


def model_of(a: dict[str, Any]) -> str | None:
    return _str(first(a, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name", "embedding.model_name"))


def provider_of(a: dict[str, Any]) -> str | None:
    return _str(first(a, "gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"))


def tokens_of(a: dict[str, Any]) -> tuple[int, int]:
    tokens_in = first(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
    tokens_out = first(a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion")
    return _int(tokens_in), _int(tokens_out)


def cost_usd_of(a: dict[str, Any]) -> float | None:
    """A cost the instrumentation computed itself (OpenLIT's `gen_ai.usage.cost`, OpenInference's)."""
    value = first(a, "gen_ai.usage.cost", "llm.cost.total")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def user_of(a: dict[str, Any]) -> str | None:
    return _str(first(a, "user.id", "enduser.id", "traceloop.association.properties.user_id", "gen_ai.user.id"))


def session_of(a: dict[str, Any]) -> str | None:
    return _str(
        first(
            a,
            "session.id",
            "gen_ai.conversation.id",
            "traceloop.association.properties.session_id",
            "gen_ai.session.id",
        )
    )


def tags_of(a: dict[str, Any]) -> dict[str, str]:
    """OpenInference `tag.tags` and `metadata`, Traceloop association properties."""
    tags: dict[str, str] = {}
    listed = a.get("tag.tags")
    if isinstance(listed, list):
        for item in listed[:32]:
            tags[str(item)[:64]] = ""
    meta = a.get("metadata")
    if isinstance(meta, str) and meta.startswith("{"):
        try:
            parsed = orjson.loads(meta)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            for key, value in list(parsed.items())[:32]:
                if isinstance(value, str | int | float | bool):
                    tags[str(key)[:64]] = str(value)[:256]
    for key, value in a.items():
        if key.startswith(ASSOCIATION_PREFIX) and key[33:] not in ("user_id", "session_id"):
            tags[key[33:][:64]] = str(value)[:256]
    return tags
