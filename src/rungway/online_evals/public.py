"""What other capabilities may use of online evaluation: its coverage of a workload's production calls.

The assessment's `continuous_evaluation` check reads `coverage(engine, workloads, since)`: per workload, the
active online scorers with their types and sampling rates, how many of the workload's successful chat calls
in the window there were (the request log), how many of them matched at least one scorer's filter (each call
counted once; counted hourly, so `since` is taken to the start of its hour) and how many judgements were
stored (online scores). `GatewayModels` (the gateway's served models called in process, each call's cost added
to the `SpendMeter` in `METER`) is the model client other capabilities' scorers judge with too. Everything else
in `rungway.online_evals` stays private.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from rungway.online_evals.models import METER, GatewayModels, SpendMeter
from rungway.online_evals.store import ALL_CALLS, list_scorers, read_counts
from rungway.store.schema import requests

__all__ = [
    "CHAT_ENDPOINTS", "METER", "ActiveScorer", "GatewayModels", "OnlineCoverage", "SpendMeter", "coverage"
]  # fmt: skip

CHAT_ENDPOINTS = ("chat.completions", "messages", "responses", "completions")
"""The request log's endpoints of chat-shaped calls (the Messages, Responses and legacy completions APIs are
served over the chat pipeline)."""


@dataclass(frozen=True, slots=True)
class ActiveScorer:
    """One online scorer of a workload: its name, assertion type and sampling rate."""

    name: str
    type: str
    sample: float


@dataclass(frozen=True, slots=True)
class OnlineCoverage:
    """A workload's online evaluation in a window."""

    workload: str
    scorers: tuple[ActiveScorer, ...]
    chat_calls: int  # successful chat calls in the request log
    matched_calls: int  # of them, those at least one scorer's filter matched
    scored: int  # judgements stored (one per scorer and sampled call)

    @property
    def matched_share(self) -> float:
        """The share of chat calls some scorer's filter matched (0 without calls)."""
        return min(1.0, self.matched_calls / self.chat_calls) if self.chat_calls else 0.0


def coverage(
    engine: Engine, workloads: Sequence[str], since: datetime, calls: Mapping[str, int] | None = None
) -> Mapping[str, OnlineCoverage]:
    """Per workload (every one asked, with or without scorers): its online scorers, calls, matched and scored.
    `calls`: the workloads' successful chat calls in the window when the caller has them counted already (the
    assessment's hourly facts), else they are counted in the request log."""
    names = sorted(set(workloads))
    start = since.timestamp()
    scorers = list_scorers(engine, names)
    counts = read_counts(engine, names, int(start // 3600))
    counted = dict(calls) if calls is not None else _chat_calls(engine, names, start)
    out: dict[str, OnlineCoverage] = {}
    for workload in names:
        own = tuple(ActiveScorer(s.name, s.type, s.sample) for s in scorers if s.workload == workload)
        matched = counts[(workload, ALL_CALLS)].matched if (workload, ALL_CALLS) in counts else 0
        scored = sum(c.scored for (w, sid), c in counts.items() if w == workload and sid != ALL_CALLS)
        out[workload] = OnlineCoverage(workload, own, counted.get(workload, 0), matched, scored)
    return out


def _chat_calls(engine: Engine, names: list[str], start: float) -> dict[str, int]:
    r = requests.c
    query = (
        select(r.workload, func.count())
        .where(r.workload.in_(names), r.ts_start >= start, r.status == 200, r.endpoint.in_(CHAT_ENDPOINTS))
        .group_by(r.workload)
    )
    with engine.connect() as conn:
        return {row[0]: int(row[1]) for row in conn.execute(query)} if names else {}
