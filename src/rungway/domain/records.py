"""The request record: what the gateway logs for every call, success or failure."""

from __future__ import annotations

from dataclasses import dataclass, field

NOT_CHAT_ENDPOINTS = ("embeddings", "moderations")
"""Request-log endpoints that are not chat calls; every other endpoint (chat completions and the APIs served
over it: messages, responses, legacy completions) is a model answering a prompt."""


@dataclass(slots=True)
class RequestRecord:
    """One gateway call. Times are epoch seconds; durations milliseconds; cost nano-dollars."""

    id: str
    ts_start: float
    ts_end: float
    workload: str | None
    key_id: str | None
    user: str | None
    team: str | None
    tags: dict[str, str] = field(default_factory=dict)
    endpoint: str = "chat.completions"
    model_requested: str | None = None
    model_resolved: str | None = None
    provider: str | None = None
    provider_account: str | None = None
    status: int = 200
    error_type: str | None = None
    error_message: str | None = None
    stream: bool = False
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    upstream_ms: float | None = None
    overhead_ms: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_nano: int = 0
    priced: bool = False
    trace_id: str | None = None
    span_id: str | None = None
    usage_anomaly: str | None = None  # what was wrong with the upstream's usage, when it was corrected
    model_pinned: bool | None = None  # the resolved route pinned its model (a dated snapshot or `pinned: true`)
    user_from_request: bool | None = None  # the user came from the call (`user` / x-rungway-user), not the key owner
    prompt_name: str | None = None  # the registry prompt the call referenced (`"prompt": {"id": ...}`)
    prompt_version: int | None = None  # and the version it rendered
    deployment: str | None = None  # the deployment that served the call, or the last one tried
    route_rule: str | None = None  # the routing rule that chose where the call could go (None: the default)
    attempts: int = 0  # tries sent upstream (a deployment skipped as unhealthy is not one)
    failed_over: bool = False  # served (or failed) on another deployment than the plan's first
    guardrails: str | None = None  # guardrail hits, `direction:rule:action,...` (bounded; never a value)
    cache: str | None = None  # answered from a cache layer (`exact`, `semantic`); None: not from a cache
    cache_similarity: float | None = None  # a semantic hit's similarity to the prompt it replayed
    cost_saved_nano: int = 0  # what the call a cache hit replayed had cost (the upstream call it avoided)


@dataclass(frozen=True, slots=True)
class ManagementRead:
    """Someone read the request log, usage, cost or a budget's status (API or CLI) for a workload.

    `workload` None is a read across every workload (an admin's report). The maturity assessment
    counts these reads as evidence that logs and cost are watched, not only recorded."""

    id: str
    ts: float
    workload: str | None
    what: str  # logs | usage | cost_report | budget_status | traces
    via: str  # api | cli
    key_id: str | None = None
