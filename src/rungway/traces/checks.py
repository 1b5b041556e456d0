"""The traces capability's evidence for the maturity assessment: detailed traces.

The seed asks for traces with prompts and outputs, and with the retrievals and function calls of
workloads that have them. Prompts and outputs are counted over every gateway call (the gateway's
span kept its input and output, from the assessment's request facts); a workload that sends only
application spans over OTLP is judged on its own llm spans. Retrievals and tool calls are read from
a sample of the workload's latest traces in the window (their spans, any source): a workload whose
model asked for tool calls but whose traces hold no tool span has not traced its function calls.
The sample keeps the check one small indexed query per workload however large the store is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import and_, select

from rungway.domain.span_kinds import SpanKind
from rungway.evidence import (
    CheckContext,
    CheckOutcome,
    CheckRequest,
    Verdict,
    evidence_check,
    pct,
    ratio_verdict,
    threshold_of,
    total,
)
from rungway.traces.store import spans, traces

SAMPLE_TRACES = 100  # latest traces per workload read for retrievals and tool calls
SAMPLE_SPANS = 2_000  # at most this many of their spans
_INPUT_KEYS = (b"gen_ai.input.messages", b"gen_ai.prompt", b"llm.input_messages", b"input.value")
_OUTPUT_KEYS = (b"gen_ai.output.messages", b"gen_ai.completion", b"llm.output_messages", b"output.value")
_TOOL_CALL_MARKS = (b"tool_call", b"function_call")
_RETRIEVAL = {SpanKind.RETRIEVAL.value, SpanKind.RERANKER.value}


@dataclass(slots=True)
class TraceSample:
    """What the latest traces of one workload hold."""

    traces: int = 0
    llm_spans: int = 0
    llm_with_io: int = 0  # llm spans that kept both their input and their output
    tool_calls_asked: int = 0  # llm spans whose output asked for a tool or function call
    tool_spans: int = 0
    retrieval_spans: int = 0


def _has_any(content: bytes, needles: tuple[bytes, ...]) -> bool:
    return any(n in content for n in needles)


def sample_traces(ctx: CheckContext, workload: str, since: float) -> TraceSample:
    """Spans of the workload's latest traces that started in the window (one indexed query)."""
    t, s = traces.c, spans.c
    latest = (
        select(t.trace_id)
        .where(t.workload == workload, t.start_time >= since, t.start_time < ctx.now)
        .order_by(t.start_time.desc())
        .limit(SAMPLE_TRACES)
        .subquery()
    )
    q = (
        select(latest.c.trace_id, s.kind, s.content)
        .select_from(latest.join(spans, and_(s.trace_id == latest.c.trace_id, s.workload == workload)))
        .limit(SAMPLE_SPANS)
    )
    sample = TraceSample()
    seen: set[str] = set()
    with ctx.engine.connect() as conn:
        for trace_id, kind, content in conn.execute(q):
            seen.add(trace_id)
            body = bytes(content or b"")
            if kind == SpanKind.LLM.value:
                sample.llm_spans += 1
                sample.llm_with_io += _has_any(body, _INPUT_KEYS) and _has_any(body, _OUTPUT_KEYS)
                sample.tool_calls_asked += _has_any(body, _TOOL_CALL_MARKS)
            elif kind == SpanKind.TOOL.value:
                sample.tool_spans += 1
            elif kind in _RETRIEVAL:
                sample.retrieval_spans += 1
    sample.traces = len(seen)
    return sample


@evidence_check("detailed_traces")
def check_detailed_traces(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Prompts and outputs kept for the workload's calls, and its tool calls traced where its model makes them."""
    if not ctx.has_table("spans") or not ctx.spans_counted(req.window_days):
        reason = "the traces capability's tables are missing (no `spans` table): traces cannot be evidenced"
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, reason) for w in ctx.workloads}
    threshold = threshold_of(req, 0.95)
    facts = ctx.facts(req.window_days)
    since = ctx.since(req.window_days)
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        rows = facts.get(w.name, [])
        chats, traced = total(rows, "ok_chat"), total(rows, "traced")
        sample = sample_traces(ctx, w.name, since)
        evidence: dict[str, object] = {
            "successful_chat_calls": chats,
            "traced_with_content": traced,
            "traced_pct": pct(traced, chats),
            "capture": w.content_capture.value,
            "sampled_traces": sample.traces,
            "sampled_llm_spans_with_content_pct": pct(sample.llm_with_io, sample.llm_spans),
            "sampled_retrieval_spans": sample.retrieval_spans,
            "sampled_tool_spans": sample.tool_spans,
            "sampled_tool_calls_asked": sample.tool_calls_asked,
        }
        if chats:
            part, whole, what = traced, chats, "successful chat calls through the gateway"
        elif sample.llm_spans:
            part, whole, what = sample.llm_with_io, sample.llm_spans, "llm spans sent over OTLP (latest traces)"
        else:
            out[w.name] = CheckOutcome(Verdict.UNMET, "no gateway calls and no llm spans in the window", evidence)
            continue
        verdict = ratio_verdict(part, whole, threshold)
        reason = f"{pct(part, whole)}% of {what} kept their prompt and output"
        if w.content_capture.value == "metadata-only":
            reason += " (the workload's capture is metadata-only)"
        if sample.tool_calls_asked and not sample.tool_spans:
            reason += "; the model asked for tool calls but no tool span was traced"
            verdict = Verdict.PARTIAL if verdict is Verdict.MET else verdict
        out[w.name] = CheckOutcome(verdict, reason, evidence)
    return out
