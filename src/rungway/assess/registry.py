"""The registry of evidence checks: `@evidence_check("detailed_traces")` and the context checks query.

A check receives the whole set of workloads and answers for all of them at once (one aggregate
query per check, not one per workload), returning a `CheckOutcome` per workload. Built-in checks
register through the same decorator as third-party ones, which are found through the
`rungway.evidence_checks` entry-point group.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from sqlalchemy import Engine, inspect

from rungway.domain.maturity import Verdict
from rungway.domain.workloads import Workload
from rungway.settings.config import ModelRoute
from rungway.store.assessment_facts import RequestFacts, request_facts

DAY = 86_400.0
ENTRY_POINT_GROUP = "rungway.evidence_checks"
_BUILTIN_MODULES = ("rungway.assess.checks", "rungway.assess.unavailable")


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
        self, engine: Engine, now: float, workloads: Sequence[Workload], routes: Mapping[str, ModelRoute]
    ) -> None:
        self.engine = engine
        self.now = now
        self.workloads = list(workloads)
        self.routes = routes
        self._facts: dict[int, tuple[dict[str, list[RequestFacts]], bool]] = {}
        self._tables: set[str] | None = None

    def since(self, window_days: int) -> float:
        return self.now - window_days * DAY

    def has_table(self, name: str) -> bool:
        if self._tables is None:
            self._tables = set(inspect(self.engine).get_table_names())
        return name in self._tables

    def facts(self, window_days: int) -> dict[str, list[RequestFacts]]:
        """Request facts per workload over the window (one roll-up query shared by every request check)."""
        return self._facts_and_spans(window_days)[0]

    def spans_counted(self, window_days: int) -> bool:
        return self._facts_and_spans(window_days)[1]

    def _facts_and_spans(self, window_days: int) -> tuple[dict[str, list[RequestFacts]], bool]:
        if window_days not in self._facts:
            rows, with_spans = request_facts(self.engine, self.since(window_days), self.now)
            grouped: dict[str, list[RequestFacts]] = {}
            for row in rows:
                grouped.setdefault(row.workload, []).append(row)
            self._facts[window_days] = (grouped, with_spans)
        return self._facts[window_days]


CheckFn = Callable[[CheckContext, CheckRequest], Mapping[str, CheckOutcome]]
_CHECKS: dict[str, CheckFn] = {}
_loaded = False


def evidence_check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register `fn` as the check `check_id` (named in the model file's `check.id`)."""

    def register(fn: CheckFn) -> CheckFn:
        if check_id in _CHECKS and _CHECKS[check_id] is not fn:
            raise ValueError(f"evidence check {check_id!r} is registered twice")
        _CHECKS[check_id] = fn
        return fn

    return register


def load_checks() -> Mapping[str, CheckFn]:
    """Every registered check: the built-ins and those of installed plugins."""
    global _loaded
    if not _loaded:
        for module in _BUILTIN_MODULES:
            importlib.import_module(module)
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            ep.load()
        _loaded = True
    return dict(_CHECKS)


__all__ = ["CheckContext", "CheckOutcome", "CheckRequest", "evidence_check", "load_checks"]
