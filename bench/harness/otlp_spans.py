"""Realistic GenAI traces as OTLP protobuf, for the trace-ingest benchmark (bench/harness/otlp_load.py).

Each trace is one run of a support agent: an `invoke_agent` root span and children cycling through a
retrieval, an LLM chat call and a tool call. The attributes follow both the OpenTelemetry GenAI semantic
conventions (`gen_ai.*`) and OpenInference (`llm.*`, `input.value`, ...), so every backend finds the
fields it indexes; with the default sizes a span averages about 1.7 KB on the wire, like an instrumented
application's spans with prompts and completions captured.

Ids come from the OS's randomness: backends deduplicate on trace and span id, so two runs must differ.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

Attribute = str | int | float | bool | list[str]

VOCABULARY = (
    "customer",
    "invoice",
    "refund",
    "policy",
    "shipping",
    "delay",
    "order",
    "account",
    "password",
    "reset",
    "premium",
    "plan",
    "upgrade",
    "cancel",
    "subscription",
    "billing",
    "cycle",
    "tax",
    "receipt",
    "warranty",
    "replacement",
    "device",
    "firmware",
    "update",
    "network",
    "outage",
    "region",
    "latency",
    "report",
    "summary",
    "quarter",
    "revenue",
    "forecast",
    "budget",
    "risk",
    "compliance",
    "audit",
    "contract",
    "renewal",
    "discount",
    "coupon",
    "loyalty",
    "balance",
    "transfer",
    "schedule",
    "meeting",
    "reminder",
    "translate",
    "summarize",
    "explain",
    "error",
    "timeout",
    "retry",
)
MODELS = (
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4.1"),
    ("anthropic", "claude-sonnet-4"),
    ("gcp.gemini", "gemini-2.5-flash"),
    ("mistral_ai", "mistral-large"),
)


def key_value(key: str, value: Attribute) -> KeyValue:
    kv = KeyValue(key=key)
    if isinstance(value, bool):
        kv.value.bool_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    elif isinstance(value, float):
        kv.value.double_value = value
    elif isinstance(value, list):
        kv.value.array_value.values.extend(kv.value.__class__(string_value=item) for item in value)
    else:
        kv.value.string_value = value
    return kv


@dataclass
class TraceFactory:
    """Makes agent traces for one project (the `service.name` and `openinference.project.name`)."""

    project: str
    spans_per_trace: int = 4
    prompt_bytes: int = 400
    completion_bytes: int = 300
    rng: random.Random = field(default_factory=lambda: random.Random(int.from_bytes(os.urandom(8), "big")))

    def words(self, nbytes: int) -> str:
        out: list[str] = []
        size = 0
        while size < nbytes:
            word = self.rng.choice(VOCABULARY)
            out.append(word)
            size += len(word) + 1
        return " ".join(out)[:nbytes]

    def span(
        self, trace_id: bytes, parent: bytes, name: str, start: int, end: int, attrs: dict[str, Attribute]
    ) -> Span:
        span = Span(
            trace_id=trace_id,
            span_id=self.rng.getrandbits(64).to_bytes(8, "big"),
            parent_span_id=parent,
            name=name,
            kind=Span.SPAN_KIND_INTERNAL if not parent else Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=start,
            end_time_unix_nano=end,
        )
        span.status.code = Status.STATUS_CODE_OK
        span.attributes.extend(key_value(key, value) for key, value in attrs.items())
        return span

    def chat_attributes(self, index: int, question: str) -> dict[str, Attribute]:
        provider, model = MODELS[index % len(MODELS)]
        system = "You are a helpful support assistant. " + self.words(80)
        prompt = question + " " + self.words(self.prompt_bytes)
        answer = self.words(self.completion_bytes)
        tokens_in, tokens_out = len(system + prompt) // 4, len(answer) // 4
        return {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            "gen_ai.response.model": model,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.max_tokens": 512,
            "gen_ai.response.id": f"resp-{self.rng.getrandbits(48):x}",
            "gen_ai.response.finish_reasons": ["stop"],
            "gen_ai.usage.input_tokens": tokens_in,
            "gen_ai.usage.output_tokens": tokens_out,
            "gen_ai.system_instructions": json.dumps([{"type": "text", "content": system}]),
            "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": prompt}]}]),
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": answer}], "finish_reason": "stop"}]
            ),
            "openinference.span.kind": "LLM",
            "llm.model_name": model,
            "llm.provider": provider.split(".")[0],
            "llm.token_count.prompt": tokens_in,
            "llm.token_count.completion": tokens_out,
            "llm.token_count.total": tokens_in + tokens_out,
            "llm.invocation_parameters": json.dumps({"temperature": 0.2, "max_tokens": 512}),
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": system,
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.content": prompt,
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": answer,
            "input.mime_type": "text/plain",
            "input.value": prompt,
            "output.mime_type": "text/plain",
            "output.value": answer,
        }

    def child_attributes(self, kind: str, index: int, question: str) -> tuple[str, dict[str, Attribute]]:
        if kind == "chat":
            chat = self.chat_attributes(index, question)
            return f"chat {chat['gen_ai.request.model']}", chat
        if kind == "retrieval":
            documents = [(f"doc-{self.rng.randrange(10**6)}", round(self.rng.random(), 3)) for _ in range(3)]
            attrs: dict[str, Attribute] = {
                "gen_ai.operation.name": "retrieval",
                "gen_ai.data_source.id": "kb-index",
                "gen_ai.retrieval.query.text": question,
                "gen_ai.retrieval.documents": json.dumps([{"id": id_, "score": score} for id_, score in documents]),
                "openinference.span.kind": "RETRIEVER",
                "input.value": question,
            }
            for number, (document_id, score) in enumerate(documents):
                attrs[f"retrieval.documents.{number}.document.id"] = document_id
                attrs[f"retrieval.documents.{number}.document.score"] = score
                attrs[f"retrieval.documents.{number}.document.content"] = self.words(80)
            return "retrieval kb-index", attrs
        arguments = json.dumps({"order_id": self.rng.randrange(10**8)})
        result = json.dumps({"status": "shipped", "note": self.words(60)})
        attrs = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "lookup_order",
            "gen_ai.tool.type": "function",
            "gen_ai.tool.call.id": f"call_{index}",
            "gen_ai.tool.call.arguments": arguments,
            "gen_ai.tool.call.result": result,
            "openinference.span.kind": "TOOL",
            "tool.name": "lookup_order",
            "input.value": arguments,
            "output.value": result,
        }
        return "execute_tool lookup_order", attrs

    def trace(self, index: int, now_ns: int | None = None) -> list[Span]:
        """One agent run ending now: the root first, then `spans_per_trace - 1` children."""
        end = now_ns or time.time_ns()
        start = end - 2_000_000_000
        trace_id = self.rng.getrandbits(128).to_bytes(16, "big")
        session, user = f"session-{index % 1000}", f"user-{index % 97}"
        question = self.words(120)
        common: dict[str, Attribute] = {"session.id": session, "user.id": user, "gen_ai.conversation.id": session}
        root_attrs: dict[str, Attribute] = {
            **common,
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "support-bot",
            "openinference.span.kind": "AGENT",
            "input.value": question,
        }
        root = self.span(trace_id, b"", "invoke_agent support-bot", start, end - 1_000_000, root_attrs)
        spans = [root]
        step = 1_900_000_000 // max(1, self.spans_per_trace - 1)
        for child in range(self.spans_per_trace - 1):
            name, attrs = self.child_attributes(("retrieval", "chat", "execute_tool")[child % 3], index, question)
            begin = start + child * step + 1000
            spans.append(
                self.span(trace_id, root.span_id, name, begin, start + (child + 1) * step, {**common, **attrs})
            )
        return spans

    def request(self, traces: list[list[Span]]) -> ExportTraceServiceRequest:
        """One OTLP export request holding these traces under this factory's resource."""
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(
            [
                key_value("service.name", self.project),
                key_value("openinference.project.name", self.project),
                key_value("deployment.environment.name", "bench"),
            ]
        )
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name = "rungway-bench"
        for spans in traces:
            scope_spans.spans.extend(spans)
        return request

    def bodies(self, spans: int, per_request: int) -> tuple[list[bytes], int]:
        """Serialised export bodies of about `per_request` spans each (whole traces), `spans` or a few more."""
        bodies: list[bytes] = []
        batch: list[list[Span]] = []
        batch_spans = total = index = 0
        now = time.time_ns()
        while total < spans:
            trace = self.trace(index, now)
            index += 1
            batch.append(trace)
            batch_spans += len(trace)
            total += len(trace)
            if batch_spans >= per_request:
                bodies.append(self.request(batch).SerializeToString())
                batch, batch_spans = [], 0
        if batch:
            bodies.append(self.request(batch).SerializeToString())
        return bodies, total
