"""The core evidence-check interface: checks share one request-facts query per window, handed in by the caller."""

from __future__ import annotations

from sqlalchemy import create_engine

from rungway.domain.workloads import Workload
from rungway.evidence import DAY, CheckContext, RequestFacts, Verdict, ratio_verdict


def test_check_context_asks_its_facts_source_once_per_window_and_groups_by_workload() -> None:
    asked: list[tuple[float, float]] = []

    def facts(since: float, until: float) -> tuple[list[RequestFacts], bool]:
        asked.append((since, until))
        rows = [RequestFacts("alpha", "k1", "m", calls=3), RequestFacts("alpha", "k2", "m", calls=2)]
        return [*rows, RequestFacts("beta", "k3", "m", calls=1)], True

    now = 100 * DAY
    ctx = CheckContext(create_engine("sqlite://"), now, [Workload(name="alpha")], {}, facts)
    first = ctx.facts(30)
    assert ctx.facts(30) is first and ctx.spans_counted(30) is True
    assert [r.calls for r in first["alpha"]] == [3, 2] and [r.calls for r in first["beta"]] == [1]
    ctx.facts(7)
    assert asked == [(now - 30 * DAY, now), (now - 7 * DAY, now)]


def test_ratio_verdict_is_unmet_without_calls_partial_below_the_threshold_and_met_at_it() -> None:
    assert ratio_verdict(0, 0, 0.9) is Verdict.UNMET
    assert ratio_verdict(5, 10, 0.9) is Verdict.PARTIAL
    assert ratio_verdict(9, 10, 0.9) is Verdict.MET
