"""What a shadow run is and what one shadowed call leaves: the records the store, the API and the summary share."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["ShadowResult", "ShadowRun"]


@dataclass(frozen=True, slots=True)
class ShadowRun:
    """Copying a sample of one workload's calls to model A over to model B, from `started_at` until it is
    stopped or `ends_at` passes. `source` is `config` (seeded from `shadow:`) or `api` (started at run time).
    `dropped` counts sampled calls not shadowed because `max_in_flight` were already in flight."""

    id: str
    workload: str
    from_model: str
    to_model: str
    sample: float
    max_in_flight: int
    started_at: float
    ends_at: float | None = None
    stopped_at: float | None = None
    started_by: str | None = None
    stopped_by: str | None = None
    source: str = "api"
    dropped: int = 0

    def active(self, now: float) -> bool:
        return self.stopped_at is None and (self.ends_at is None or now < self.ends_at)

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        data = asdict(self)
        if now is not None:
            data["active"] = self.active(now)
        return data


@dataclass(frozen=True, slots=True)
class ShadowResult:
    """One shadowed call: the primary's (A) figures beside the shadow's (B), and how B's answer compares.

    No prompt or answer is kept, only measures: `exact_match` (B's answer equals A's), `token_f1` and
    `rouge_l` (B's words against A's, 0..1), `json_valid` (B's answer parses as JSON, asked only when A's
    did: None otherwise), `tool_names_equal` (the same tools called, in order: None when neither called
    one). A failed shadow call has `b_error` and no similarity."""

    id: str
    run_id: str
    workload: str
    request_id: str
    ts: float
    stream: bool
    a_latency_ms: float
    b_latency_ms: float | None
    a_tokens_in: int
    a_tokens_out: int
    b_tokens_in: int
    b_tokens_out: int
    a_cost_nano: int
    b_cost_nano: int
    a_priced: bool
    b_priced: bool
    b_error: str | None = None
    exact_match: bool | None = None
    token_f1: float | None = None
    rouge_l: float | None = None
    json_valid: bool | None = None
    tool_names_equal: bool | None = None
