"""The input filter: a `before_call` step that applies the workload's input policy to the call's text.

Chat messages' text (string contents and text parts) and embeddings' string inputs are scanned, at most
`max_scan_chars` per call (the rest passes unscanned, recorded as the flagged hit `guardrails.unscanned`).
Async detectors (the model-graded `judge`) are awaited first, every text's judge calls together.
`block` answers an OpenAI-style 400 `content_blocked` naming the rule, never the value (and the body is
redacted first, so the request's records hold placeholders only); `redact` rewrites the body with typed
placeholders before the upstream sees it; `flag` passes. Hits go on `ctx.guard_hits` for the core's records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import Any

from rungway.domain.guard_hits import GuardHit
from rungway.errors import ClientError, InvalidRequest
from rungway.gateway.context import CallContext
from rungway.gateway.slots import CallKey, StateKey
from rungway.gateway.state import GatewayState
from rungway.guardrails.config import GuardrailsConfig, GuardRule
from rungway.guardrails.filtering import TextFilter
from rungway.guardrails.judging import scan_context_for
from rungway.guardrails.public import Finding, ScanContext

__all__ = ["CONFIG", "RESTORE", "SCAN", "ContentBlocked", "OutputBlocked", "blocked_message", "filter_input"]

CONFIG: StateKey[GuardrailsConfig] = StateKey("guardrails.config")
SCAN: StateKey[ScanContext] = StateKey("guardrails.scan")  # the judge door async detectors are given
RESTORE: CallKey[dict[str, str]] = CallKey("guardrails.restore")  # placeholder -> value, for the answer

UNSCANNED = GuardHit("guardrails", "guardrails.unscanned", "input", "flag")


class ContentBlocked(InvalidRequest):
    """The caller's input matched a `block` rule: 400 `content_blocked`, naming the rule only."""

    default_code = "content_blocked"


class OutputBlocked(ClientError):
    """The upstream answered but a `block` rule refused its content: 422 `output_blocked`. Not a 5xx (the
    upstream worked; SDKs must not retry it) and not a 400 (the request itself was well formed)."""

    status = 422
    default_code = "output_blocked"


def blocked_message(hit: GuardHit) -> str:
    where = "input" if hit.direction == "input" else "answer"
    return f"The {where} was blocked by the guardrail rule {hit.rule} (detector {hit.detector})."


def _chat_texts(body: dict[str, Any]) -> Iterator[tuple[str, Any, str | int]]:
    for message in body.get("messages") or ():
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str):
            yield content, message, "content"
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                    yield part["text"], part, "text"


def _embedding_texts(body: dict[str, Any]) -> Iterator[tuple[str, Any, str | int]]:
    value = body.get("input")
    if isinstance(value, str):
        yield value, body, "input"
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield item, value, index


async def filter_input(state: GatewayState, ctx: CallContext) -> None:
    config = state.slots[CONFIG]
    policy = config.policy_for(ctx.key.workload if ctx.key is not None else None).input
    if not policy.rules:
        return
    texts = _embedding_texts(ctx.body) if not ctx.chat else _chat_texts(ctx.body)
    scan = TextFilter(policy, "input")
    budget = config.max_scan_chars
    blocked: GuardHit | None = None
    items: list[tuple[str, Any, str | int]] = []
    for item in texts:
        if len(item[0]) > budget:
            ctx.guard_hits.append(UNSCANNED)
            break
        budget -= len(item[0])
        items.append(item)
    judged: Sequence[Sequence[tuple[GuardRule, Finding]]]
    if policy.judged:
        judged = await _judge(scan, [text for text, _, _ in items], scan_context_for(state.slots.get(SCAN), ctx))
    else:
        judged = [()] * len(items)
    for (text, holder, key), extra in zip(items, judged, strict=True):
        found = scan.findings(text)
        if extra:
            found.extend(extra)
        elif not found:
            continue  # nothing to record or rewrite: no result object for the usual clean text
        result = scan.apply(text, found)
        if result.text is not text:
            holder[key] = result.text
        ctx.guard_hits.extend(result.hits)
        blocked = blocked or result.blocked
    if scan.restorable:
        ctx.slots[RESTORE] = scan.restorable
    if blocked is not None:
        raise ContentBlocked(blocked_message(blocked))


async def _judge(
    scan: TextFilter, texts: list[str], context: ScanContext
) -> Sequence[Sequence[tuple[GuardRule, Finding]]]:
    """Every text's async findings (judge calls run together)."""
    return list(await asyncio.gather(*(scan.ajudged(text, context) for text in texts)))
