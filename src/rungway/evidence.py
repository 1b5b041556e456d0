"""The evidence-check interface: `@evidence_check("detailed_traces")`, the context checks query, their answers.

The maturity assessment (`rungway.assessment`) asks every check it knows for a verdict per
workload; the checks themselves belong to the capability whose records they read (budgets,
traces, ...), so this interface is core: a capability's `checks.py` registers here and never
imports the assessment. A check receives the whole set of workloads and answers for all of them
at once (one aggregate query per check, not one per workload), returning a `CheckOutcome` per
workload. The modules holding checks are named in each `Capability.checks`, so the built-in
checks and a plugin's load through the same door (`rungway.capabilities`).
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, inspect

from rungway.capability import Capability, load_capabilities
from rungway.domain.timespec import DAY
from rungway.domain.workloads import Workload
from rungway.settings.config import ModelRoute
from rungway.settings.sections import ConfigSection

T = TypeVar("T")


class Verdict(enum.StrEnum):
    """What an assessment says about one item for one workload."""

    MET = "met"
    PARTIAL = "partial"
    UNMET = "unmet"
    NOT_ASSESSABLE = "not_assessable"
    ATTESTED = "attested"
    NOT_APPLICABLE = "not_applicable"  # the item's condition excludes the workload (its risk tier, or attested)


def ratio_verdict(part: int, whole: int, threshold: float) -> Verdict:
    """met at or above the threshold, partial above zero, unmet at zero (or with no calls)."""
    if whole <= 0 or part <= 0:
        return Verdict.UNMET
    return Verdict.MET if part / whole >= threshold - 1e-12 else Verdict.PARTIAL


MEASURES = (
    "calls",
    "ok_calls",
    "ok_chat",
    "traced",
    "with_user",
    "ok_priced",
    "with_account",
    "errors",
    "with_latency",
    "with_end_user",
    "pinned",
    "rate_limited",
    "upstream_errors",
    "server_errors",
    "spend",
    "spend_with_user",
    "served_chat",
    "exact_hits",
    "exact_saved",
    "semantic_hits",
    "semantic_saved",
    "upstream_cached_tokens",
)


@dataclass(slots=True)
class RequestFacts:
    """Counts of request-log facts for one (workload, key, resolved model) over a window.

    The assessment computes them once per window (a roll-up of the request log) and every
    check that reads the request log shares them through `CheckContext.facts`.
    """

    workload: str
    key_id: str
    model_resolved: str
    calls: int = 0
    ok_calls: int = 0
    ok_chat: int = 0
    traced: int = 0
    with_user: int = 0
    ok_priced: int = 0
    with_account: int = 0
    errors: int = 0
    with_latency: int = 0
    with_end_user: int = 0  # the user came with the call (`user` / x-rungway-user), not from the key's owner
    pinned: int = 0  # the route resolved at call time pinned its model
    rate_limited: int = 0  # answered 429 (a rate limit or a budget refused the call)
    upstream_errors: int = 0  # the provider failed and the caller got a clean 502/503/504
    server_errors: int = 0  # answered 500: an unhandled failure, not a clean error
    spend: int = 0  # nano-dollars
    spend_with_user: int = 0  # nano-dollars of calls attributed to a user
    served_chat: int = 0  # chat calls answered 200 (what a cache's hit rate is of)
    exact_hits: int = 0  # calls the exact answer cache served (`requests.cache`)
    exact_saved: int = 0  # nano-dollars: what the calls those hits replayed had cost
    semantic_hits: int = 0  # calls the semantic answer cache served
    semantic_saved: int = 0  # nano-dollars
    upstream_cached_tokens: int = 0  # prompt tokens the provider read from its cache, on calls no cache answered

    def add(self, values: Iterable[int]) -> None:
        for name, value in zip(MEASURES, values, strict=True):
            setattr(self, name, getattr(self, name) + int(value or 0))


FactsSource = Callable[[float, float], tuple[list[RequestFacts], bool]]
"""Request facts over [since, until) and whether span evidence was counted (the assessment's roll-up)."""


@dataclass(slots=True)
class PromptFacts:
    """Calls of one workload that rendered one registry prompt version (`requests.prompt_name`/`prompt_version`)
    over a window: all of them, and the successful chat completions among them."""

    workload: str
    prompt_name: str
    prompt_version: int
    calls: int = 0
    ok_chat: int = 0


PromptFactsSource = Callable[[float, float], list[PromptFacts]]
"""Prompt facts over [since, until) (the assessment's roll-up of calls that rendered a library prompt)."""


@dataclass(slots=True)
class RouteFacts:
    """The calls of one (workload, requested model, deployment, routing rule) over a window: all of them, those
    answered under 400, and those served or failed on another deployment than their plan's first
    (`requests.deployment`, `route_rule`, `failed_over`; None: the call recorded no deployment or rule)."""

    workload: str
    model: str
    deployment: str | None
    rule: str | None
    calls: int = 0
    ok: int = 0
    failed_over: int = 0


RouteFactsSource = Callable[[float, float], list[RouteFacts]]
"""Route facts over [since, until) (the assessment's roll-up of calls by deployment and routing rule)."""


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """One check's answer for one workload: a verdict, why, and the numbers and ids behind it."""

    verdict: Verdict
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """The standard a check applies: the effective threshold (a fraction) and window in days."""

    id: str
    threshold: float | None
    window_days: int


class CheckContext:
    """What checks query: the store, the time, the workloads, the model routes; shared results are cached."""

    def __init__(
        self,
        engine: Engine,
        now: float,
        workloads: Sequence[Workload],
        routes: Mapping[str, ModelRoute],
        facts: FactsSource,
        default_key_limits: bool = False,
        prompt_facts: PromptFactsSource | None = None,
        sections: Mapping[str, object] | None = None,
        route_facts: RouteFactsSource | None = None,
    ) -> None:
        self.engine = engine
        self.sections: Mapping[str, object] = sections or {}  # the config's capability sections, by name
        # rungway.yaml's `limits.key_rpm`/`key_tpm` bind every key that sets no limit of its own
        self.default_key_limits = default_key_limits
        self.now = now
        self.workloads = list(workloads)
        self.routes = routes
        self._facts_source = facts
        self._facts: dict[int, tuple[dict[str, list[RequestFacts]], bool]] = {}
        self._prompt_source = prompt_facts
        self._prompt_facts: dict[int, dict[str, list[PromptFacts]]] = {}
        self._route_source = route_facts
        self._route_facts: dict[int, list[RouteFacts] | None] = {}
        self._tables: set[str] | None = None

    def section(self, key: ConfigSection[T]) -> T:
        """A capability's parsed configuration section (its defaults when the run was given none)."""
        if key.name in self.sections:
            return cast(T, self.sections[key.name])
        return key.parse(None, "rungway.yaml")

    def since(self, window_days: int) -> float:
        return self.now - window_days * DAY

    def has_table(self, name: str) -> bool:
        if self._tables is None:
            self._tables = set(inspect(self.engine).get_table_names())
        return name in self._tables

    def facts(self, window_days: int) -> dict[str, list[RequestFacts]]:
        """Request facts per workload over the window (one roll-up query shared by every request check)."""
        return self._facts_and_spans(window_days)[0]

    def prompt_facts(self, window_days: int) -> dict[str, list[PromptFacts]]:
        """Calls per workload and registry prompt version over the window (empty without a source)."""
        if window_days not in self._prompt_facts:
            grouped: dict[str, list[PromptFacts]] = {}
            rows = self._prompt_source(self.since(window_days), self.now) if self._prompt_source else []
            for row in rows:
                grouped.setdefault(row.workload, []).append(row)
            self._prompt_facts[window_days] = grouped
        return self._prompt_facts[window_days]

    def route_facts(self, window_days: int) -> list[RouteFacts] | None:
        """Calls per workload, requested model, deployment and routing rule over the window; None without a
        source (a context built without the assessment's roll-up)."""
        if window_days not in self._route_facts:
            source = self._route_source
            self._route_facts[window_days] = None if source is None else source(self.since(window_days), self.now)
        return self._route_facts[window_days]

    def spans_counted(self, window_days: int) -> bool:
        return self._facts_and_spans(window_days)[1]

    def _facts_and_spans(self, window_days: int) -> tuple[dict[str, list[RequestFacts]], bool]:
        if window_days not in self._facts:
            rows, with_spans = self._facts_source(self.since(window_days), self.now)
            grouped: dict[str, list[RequestFacts]] = {}
            for row in rows:
                grouped.setdefault(row.workload, []).append(row)
            self._facts[window_days] = (grouped, with_spans)
        return self._facts[window_days]


NO_CALLS = "no calls through the gateway in the window: nothing to evidence"


def total(rows: Sequence[RequestFacts], measure: str, where: Callable[[RequestFacts], bool] | None = None) -> int:
    """The sum of one measure over a workload's facts (optionally only the rows `where` accepts)."""
    return sum(int(getattr(r, measure)) for r in rows if where is None or where(r))


def pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def threshold_of(req: CheckRequest, default: float = 1.0) -> float:
    return req.threshold if req.threshold is not None else default


def per_workload(
    ctx: CheckContext, req: CheckRequest, answer: Callable[[str, list[RequestFacts]], CheckOutcome]
) -> dict[str, CheckOutcome]:
    """`answer` for each workload with calls in the window; unmet (no evidence) for the others."""
    facts = ctx.facts(req.window_days)
    out = {}
    for w in ctx.workloads:
        rows = facts.get(w.name, [])
        if total(rows, "calls") == 0:
            out[w.name] = CheckOutcome(Verdict.UNMET, NO_CALLS, {"calls": 0})
        else:
            out[w.name] = answer(w.name, rows)
    return out


CheckFn = Callable[[CheckContext, CheckRequest], Mapping[str, CheckOutcome]]
_CHECKS: dict[str, CheckFn] = {}


def evidence_check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register `fn` as the check `check_id` (named in the model file's `check.id`)."""

    def register(fn: CheckFn) -> CheckFn:
        if check_id in _CHECKS and _CHECKS[check_id] is not fn:
            raise ValueError(f"evidence check {check_id!r} is registered twice")
        _CHECKS[check_id] = fn
        return fn

    return register


def load_checks(capabilities: Sequence[Capability] | None = None) -> Mapping[str, CheckFn]:
    """Every registered check: those in the `checks` modules of these (default: every installed) capabilities.

    Importing a module registers its checks; Python imports each module once, so this is cheap after the first call.
    """
    chosen = load_capabilities() if capabilities is None else capabilities
    for capability in chosen:
        for module in capability.checks:
            importlib.import_module(module)
    return dict(_CHECKS)


__all__ = [
    "MEASURES",
    "NO_CALLS",
    "CheckContext",
    "CheckFn",
    "CheckOutcome",
    "CheckRequest",
    "FactsSource",
    "PromptFacts",
    "PromptFactsSource",
    "RequestFacts",
    "RouteFacts",
    "RouteFactsSource",
    "Verdict",
    "evidence_check",
    "load_checks",
    "pct",
    "per_workload",
    "ratio_verdict",
    "threshold_of",
    "total",
]
