"""The request record: what the gateway logs for every call, success or failure."""

from __future__ import annotations

from dataclasses import dataclass, field


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
