"""The use cases `/api/online-evals`, `rungway online-evals` and the dashboard share: add, remove, status.

`add_scorer` checks a scorer from an API body exactly as the configuration does (the assertion built once,
`python` refused) and stores it; `remove_scorer` refuses a configured scorer (it is removed from rungway.yaml);
`workload_status` reads today's counts and spend against the cap, and the score means of the last day from
the online scorers and from the application's feedback side by side.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from rungway.domain.ids import new_id
from rungway.errors import Conflict, InvalidRequest, NotFound, RungwayError
from rungway.evals.public import ScoreMean, score_means
from rungway.online_evals.book import day_start_hour
from rungway.online_evals.config import MAX_SAMPLE_MIN, OnlineEvalsConfig, check_spec
from rungway.online_evals.model import MAX_SCORERS_PER_WORKLOAD, CallFilter, OnlineScorer
from rungway.online_evals.store import ALL_CALLS, Counts, delete_scorer, insert_scorer, list_scorers, read_counts

__all__ = ["ScorerStatus", "WorkloadStatus", "add_scorer", "remove_scorer", "workload_status"]

MEANS_WINDOW_S = 86_400.0


def add_scorer(
    engine: Engine,
    served: Collection[str],
    config: OnlineEvalsConfig,
    workload: str,
    body: Mapping[str, Any],
    actor: str,
    now: float | None = None,
) -> OnlineScorer:
    """Store a scorer from an API body (its shape already checked by the route's schema); a judge or embedding
    model it names must be one of `served` (the gateway's `models:`)."""
    name = str(body["name"])
    spec = body["assert"]
    model = spec.get("model")
    if isinstance(model, str) and model not in served:
        raise InvalidRequest(
            f"assert.model: this gateway serves no model {model!r}; name one of its models", param="assert"
        )
    try:
        check_spec(spec, f"assert of scorer {name!r}", config)
    except RungwayError as exc:
        raise InvalidRequest(exc.message, param="assert") from None
    sample = float(body.get("sample", 0.1))
    if not MAX_SAMPLE_MIN <= sample <= 1.0:
        raise InvalidRequest(f"sample: expected a share from {MAX_SAMPLE_MIN:g} to 1, got {sample!r}", param="sample")
    if len(list_scorers(engine, [workload])) >= MAX_SCORERS_PER_WORKLOAD:
        raise Conflict(
            f"workload {workload!r} has {MAX_SCORERS_PER_WORKLOAD} online scorers: remove one first", param="name"
        )
    scorer = OnlineScorer(
        new_id("ons_"),
        workload,
        name,
        dict(spec),
        sample,
        CallFilter.from_json(body.get("filter") or {}),
        "api",
        now or time.time(),
        actor,
    )
    if not insert_scorer(engine, scorer):
        raise Conflict(f"workload {workload!r} already has an online scorer named {name!r}", param="name")
    return scorer


def remove_scorer(engine: Engine, workload: str, name: str) -> OnlineScorer:
    """Remove the workload's scorer added through the API; a configured one is removed from rungway.yaml."""
    found = [s for s in list_scorers(engine, [workload]) if s.name == name]
    if not found:
        raise NotFound(f"no online scorer {name!r} in workload {workload!r}", param="name")
    if found[0].source == "config":
        raise Conflict(
            f"online scorer {name!r} is declared in rungway.yaml: remove it from "
            f"online_evals.workloads.{workload}.scorers and restart",
            param="name",
        )
    removed = delete_scorer(engine, workload, name)
    if removed is None:
        raise NotFound(f"no online scorer {name!r} in workload {workload!r}", param="name")
    return removed


@dataclass(frozen=True, slots=True)
class ScorerStatus:
    """One scorer and what it did today (UTC)."""

    scorer: OnlineScorer
    today: Counts

    def to_json(self) -> dict[str, Any]:
        c = self.today
        return {
            **self.scorer.to_json(),
            "today": {
                "matched": c.matched,
                "sampled": c.sampled,
                "scored": c.scored,
                "dropped": c.dropped,
                "capped": c.capped,
                "errors": c.errors,
                "cost_usd": c.cost_nano / 1e9,
            },
        }


@dataclass(frozen=True, slots=True)
class WorkloadStatus:
    """A workload's online scoring today: its scorers, the spend against the cap, and the last day's score means
    per name and source (online scorers beside the application's feedback)."""

    workload: str
    cap_usd: float
    spent_usd: float
    capped: bool
    matched_calls: int
    scorers: tuple[ScorerStatus, ...]
    means: tuple[ScoreMean, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "daily_cost_cap_usd": self.cap_usd,
            "spent_today_usd": self.spent_usd,
            "capped": self.capped,
            "matched_calls_today": self.matched_calls,
            "scorers": [s.to_json() for s in self.scorers],
            "means": [{"name": m.name, "source": m.source, "count": m.count, "mean": m.mean} for m in self.means],
        }


def workload_status(
    engine: Engine, config: OnlineEvalsConfig, workloads: Sequence[str] | None, now: float | None = None
) -> list[WorkloadStatus]:
    """The status of these workloads (None: every workload with a scorer), by name."""
    now = time.time() if now is None else now
    scorers = list_scorers(engine, workloads)
    names = sorted(set(workloads) if workloads is not None else {s.workload for s in scorers})
    counts = read_counts(engine, names, day_start_hour(now))
    means = score_means(engine, names, now - MEANS_WINDOW_S)
    out = []
    for workload in names:
        own = [ScorerStatus(s, counts.get((workload, s.id), Counts())) for s in scorers if s.workload == workload]
        spent = sum(c.cost_nano for (w, sid), c in counts.items() if w == workload and sid != ALL_CALLS)
        cap = config.cap_usd(workload)
        out.append(
            WorkloadStatus(
                workload,
                cap,
                spent / 1e9,
                spent >= round(cap * 1e9),
                counts.get((workload, ALL_CALLS), Counts()).matched,
                tuple(own),
                tuple(m for m in means if m.workload == workload),
            )
        )
    return out
