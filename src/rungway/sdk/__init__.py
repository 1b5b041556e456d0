"""The Rungway Python SDK: trace an application's own steps and join them with the gateway's spans.

    import rungway.sdk as rw

    rw.configure("http://127.0.0.1:4000", api_key="rw-...", service="support-bot")

    @rw.trace(kind="retrieval")
    def search(query: str) -> list[str]: ...

    with rw.span("answer", kind="agent") as root:
        docs = search("refund policy")
        client = rw.openai_client()            # openai.OpenAI pointed at the gateway
        reply = client.chat.completions.create(...)   # the gateway's llm span is a child of `root`
        with rw.span("lookup_order", kind="tool") as tool:
            tool.set_input({"order": 42})

    rw.score(root.trace_id, "thumbs", True, comment="solved it")   # an end user's feedback on the trace

Spans are exported in the background over OTLP/HTTP (protobuf) to the gateway's `/v1/traces`
with the workload key, and scores posted to `/api/scores` the same way (`rungway.sdk.scores`); `flush()`
sends both; `openai` is imported only by `openai_client()`/`async_openai_client()`.
Registry prompts are in `rungway.sdk.prompts` (`prompts.get(name, label=...).render(**variables)`),
imported on its own so tracing alone does not load the prompt renderer.
"""

from __future__ import annotations

from rungway.sdk import tracing
from rungway.sdk.clients import async_openai_client, openai_client, traceparent_headers
from rungway.sdk.scores import flush_scores, score
from rungway.sdk.span import Span
from rungway.sdk.tracing import configure, current_span, shutdown, span, trace

__all__ = [
    "Span",
    "async_openai_client",
    "configure",
    "current_span",
    "flush",
    "openai_client",
    "score",
    "shutdown",
    "span",
    "trace",
    "traceparent_headers",
]


def flush(timeout_s: float = 10.0) -> bool:
    """Send every finished span and every queued score now; True when all were delivered."""
    spans = tracing.flush(timeout_s)
    return flush_scores(timeout_s) and spans
