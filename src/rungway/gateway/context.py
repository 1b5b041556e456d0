"""The per-call context every pipeline step reads and writes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from rungway.counters.base import BudgetUse, WindowUse
from rungway.domain.guard_hits import GuardHit
from rungway.domain.keys import ApiKey
from rungway.domain.records import RequestRecord
from rungway.domain.usage import Usage
from rungway.domain.workloads import Workload
from rungway.errors import RungwayError
from rungway.gateway.routing import Attempt, RoutePlan
from rungway.gateway.slots import Slots
from rungway.providers.base import ChatResult, Provider
from rungway.settings.config import ModelRoute


@dataclass(slots=True)
class CallContext:
    """Everything known about one gateway call, from arrival to the record."""

    request: web.Request
    endpoint: str
    id: str
    chat: bool = True  # a chat-shaped call (chat completions or a dialect translated to it); False: embeddings
    t0: float = field(default_factory=time.perf_counter)
    ts_start: float = field(default_factory=time.time)
    body: dict[str, Any] = field(default_factory=dict)
    key: ApiKey | None = None
    workload: Workload | None = None
    user: str | None = None
    user_from_request: bool = False  # `user` names an end user the caller sent, not the key's owner
    session: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    route: ModelRoute | None = None  # the deployment that served the call (the last one tried)
    plan: RoutePlan | None = None  # where the call could go (`gateway/routing.py`)
    attempts: list[Attempt] = field(default_factory=list)  # every try, in order
    model_requested: str | None = None
    # Whether the resolved model was pinned at call time, when a route planner knows (a workload's pin:
    # True; a floating alias resolved to its current snapshot: False); None: the route says (`ModelRoute.pins`).
    model_pinned: bool | None = None
    provider: Provider | None = None
    stream: bool = False
    client_wants_usage: bool = False
    estimated_input_tokens: int = 0
    token_limits: Sequence[WindowUse] = ()
    # Placed before the call, settled after: (index of the holder in `GatewayState.budget_holders`, its holds).
    budget_holds: Sequence[tuple[int, Sequence[BudgetUse]]] = ()
    usage: Usage | None = None
    cost_nano: int = 0
    side_cost_nano: int = 0  # model calls made on this call's behalf (a guardrail's judge); `meter_cost` adds it
    priced: bool = False
    status: int = 200
    error: RungwayError | None = None
    upstream_ms: float | None = None
    ttft_ms: float | None = None
    prompt_name: str | None = None  # the registry prompt the call referenced (set by an `expand_body` step)
    prompt_version: int | None = None
    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    output: dict[str, Any] | None = None
    response: web.StreamResponse | None = None
    finish: Callable[[], Awaitable[None]] | None = None
    client_closed: bool = False  # the client went away before its answer was finished
    record: RequestRecord | None = None  # set by the record step, the last one
    answer_headers: dict[str, str] = field(default_factory=dict)  # extra headers for the answer (Deprecation)
    slots: Slots = field(default_factory=Slots)  # what capabilities keep for this call (`CallKey`)
    guard_hits: list[GuardHit] = field(default_factory=list)  # guardrail hits (rule, direction, action; no value)
    # A before-call step that found the answer in a cache sets `replay`: the call step answers from it (JSON or
    # a stream, in the endpoint's shape, through the output guard) instead of calling the upstream.
    replay: ChatResult | None = None
    cache: str | None = None  # the cache layer that answered (`exact`, `semantic`)
    cache_similarity: float | None = None
    cost_saved_nano: int = 0  # the cost of the call the replayed answer came from

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.t0) * 1000.0

    def fail(self, error: RungwayError) -> None:
        self.error = error
        self.status = error.status


CALL = web.RequestKey("rungway_call", CallContext)
"""The gateway call a request carries, so its answer can name the call's id and trace (see routes.py)."""
