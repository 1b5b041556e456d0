"""The `multi_layer_caching` evidence for the maturity assessment: caching layers at work on the workload's calls.

Read from what the gateway did in the window, never from the configuration alone. Three layers count, each
active when it served some of the workload's calls: exact hits and semantic hits (the request log's `cache`
column) and the providers' prompt caching (cached prompt tokens on calls that reached the upstream). A semantic
layer counts only with a measured precision: at least `min_checks` of its hits re-asked upstream (its `check:`
policy, 20 by default) of which a share at or above its bar (`min_precision`, 0.9 by default, or the item's
threshold) passed, since a semantic cache that serves wrong answers is a defect, not a saving.

Met with two counting layers; partial with one, or with a semantic layer whose precision is unmeasured or below
its bar (each shortfall named); unmet with chat calls and no layer; not assessable without the caching tables
or without chat calls in the window. Hit rates and savings (`caching/savings.py`) are the evidence, read from the
assessment's hourly request facts (`CheckContext.facts`: hits, what they saved, cached prompt tokens, per
workload, key and resolved model) and priced per model as `rungway cost savings` prices them, so the check reads
no more of the request log than the window's live edges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rungway.caching.config import CACHE_SECTION, HitCheckPolicy
from rungway.caching.savings import ModelCounts, SavingsRow
from rungway.caching.store import precision
from rungway.domain.pricing import PriceTable, usd
from rungway.evidence import (
    NO_CALLS,
    CheckContext,
    CheckOutcome,
    CheckRequest,
    RequestFacts,
    Verdict,
    evidence_check,
)
from rungway.settings.config import shipped_prices

__all__ = ["check_multi_layer_caching", "savings_of"]

_DEFAULT_CHECK = HitCheckPolicy()


def _evidence(row: SavingsRow, checked: int, passed: int, bar: float) -> dict[str, object]:
    return {
        "chat_calls": row.chat_calls,
        "exact_hits": row.exact.hits,
        "exact_hit_rate": round(row.hit_rate(row.exact), 4),
        "semantic_hits": row.semantic.hits,
        "semantic_hit_rate": round(row.hit_rate(row.semantic), 4),
        "prompt_cache_tokens": row.prompt_cache_tokens,
        "saved_usd": round(usd(row.saved_nano), 6),
        "spend_usd": round(usd(row.spend_nano), 6),
        "saved_share": round(row.saved_share, 4),
        "semantic_checks": checked,
        "semantic_precision": round(passed / checked, 4) if checked else None,
        "precision_bar": bar,
    }


def savings_of(workload: str, facts: Sequence[RequestFacts], prices: PriceTable) -> SavingsRow:
    """One workload's savings row from its request facts: summed per resolved model, then priced (as the
    savings report groups and prices them)."""
    by_model: dict[str, ModelCounts] = {}
    for f in facts:
        c = by_model.get(f.model_resolved, ModelCounts())
        by_model[f.model_resolved] = ModelCounts(
            c.chat_calls + f.served_chat,
            c.exact_hits + f.exact_hits,
            c.exact_saved + f.exact_saved,
            c.semantic_hits + f.semantic_hits,
            c.semantic_saved + f.semantic_saved,
            c.cached_tokens + f.upstream_cached_tokens,
            c.spend_nano + f.spend,
        )
    row = SavingsRow(workload)
    for model, counts in by_model.items():
        row = row.plus(counts.row(workload, model or None, prices))
    return row


@evidence_check("multi_layer_caching")
def check_multi_layer_caching(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Two or more caching layers serving the workload's calls, a semantic one with its precision measured."""
    if not ctx.has_table("cache_hit_checks"):
        reason = "the caching tables are absent (the caching capability's migrations have not run)"
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, reason) for w in ctx.workloads}
    names = [w.name for w in ctx.workloads]
    since = ctx.since(req.window_days)
    prices = shipped_prices().with_overrides(
        {key: r.price for r in ctx.routes.values() if r.price is not None for key in (r.name, r.upstream_model)}
    )
    facts = ctx.facts(req.window_days)
    measured = precision(ctx.engine, names, since) if names else {}
    config = ctx.section(CACHE_SECTION)
    out: dict[str, CheckOutcome] = {}
    for name in names:
        row = savings_of(name, facts.get(name, []), prices)
        if row.chat_calls == 0:
            out[name] = CheckOutcome(Verdict.NOT_ASSESSABLE, NO_CALLS, {"chat_calls": 0})
            continue
        policy = config.workloads.get(name)
        semantic = policy.semantic if policy is not None else None
        check = (semantic.check if semantic is not None else None) or _DEFAULT_CHECK
        bar = check.min_precision if req.threshold is None else req.threshold
        checked, passed = measured.get(name, (0, 0))
        counting, gaps = [], []
        if row.exact.hits:
            counting.append(f"exact ({row.hit_rate(row.exact):.1%} of chat calls)")
        if row.prompt_cache_tokens:
            counting.append(f"provider prompt caching ({row.prompt_cache_tokens:,} cached tokens)")
        if row.semantic.hits:
            if checked < check.min_checks:
                gaps.append(f"the semantic layer's precision is unmeasured ({checked} of {check.min_checks} checks)")
            elif passed / checked < bar - 1e-12:
                gaps.append(f"the semantic layer's precision {passed / checked:.0%} is below its bar {bar:.0%}")
            else:
                counting.append(f"semantic ({row.hit_rate(row.semantic):.1%}, precision {passed / checked:.0%})")
        evidence = _evidence(row, checked, passed, bar)
        saved = f"saving ${usd(row.saved_nano):,.2f} ({row.saved_share:.0%} of the uncached bill)"
        if len(counting) >= 2:
            out[name] = CheckOutcome(Verdict.MET, f"{len(counting)} layers: {', '.join(counting)}; {saved}", evidence)
        elif counting or gaps:
            found_layers = f"one layer: {counting[0]}" if counting else "no layer counts yet"
            out[name] = CheckOutcome(Verdict.PARTIAL, "; ".join([found_layers, *gaps]), evidence)
        else:
            reason = f"none of {row.chat_calls} chat calls was served by a cache layer (`cache:` in rungway.yaml)"
            out[name] = CheckOutcome(Verdict.UNMET, reason, evidence)
    return out
