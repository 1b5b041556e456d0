"""The kinds of span Rungway knows: the vocabulary the SDK writes and the traces capability stores.

It sits in the domain, not in `rungway.traces`, because the SDK runs inside applications and never
imports the server side, yet must name a span's kind with exactly the values the gateway maps.
"""

from __future__ import annotations

import enum


class SpanKind(enum.StrEnum):
    """What a span did; mapped from `openinference.span.kind` or `gen_ai.operation.name`."""

    LLM = "llm"
    EMBEDDING = "embedding"
    RETRIEVAL = "retrieval"
    RERANKER = "reranker"
    TOOL = "tool"
    AGENT = "agent"
    CHAIN = "chain"
    GUARDRAIL = "guardrail"
    EVALUATOR = "evaluator"
    CUSTOM = "custom"
