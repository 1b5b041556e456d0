"""The catalogue's evidence for the maturity assessment: `model_catalogue`, traffic only on approved models.

A workload meets it when every call in the window went to a model the catalogue approves (the
configuration merged over the shipped catalogue, with the admins' recorded changes on top, as the
gateway serves it); partially when most did (at least the item's threshold, default half); unmet
otherwise. Calls are read from the assessment's roll-up of the request log (per resolved model),
the statuses from `catalogue:` and the `model_approvals` table, never from another server's memory.
The evidence lists calls per status and the models outside the catalogue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check, pct, threshold_of
from rungway.models.catalogue.config import CATALOGUE_SECTION
from rungway.models.catalogue.entry import ModelStatus
from rungway.models.catalogue.lifecycle import CatalogueLifecycle
from rungway.models.catalogue.view import CatalogueView

__all__ = ["check_model_catalogue"]

SHOWN = 20
UNKNOWN = "not_in_catalogue"


def _catalogue(ctx: CheckContext) -> CatalogueLifecycle:
    view = CatalogueView(ctx.section(CATALOGUE_SECTION), ctx.engine if ctx.has_table("model_approvals") else None)
    view.load()
    return CatalogueLifecycle(view, ctx.routes)


@evidence_check("model_catalogue")
def check_model_catalogue(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """The share of the workload's calls that went to approved catalogue models, with calls per status."""
    threshold = threshold_of(req, 0.5)
    catalogue = _catalogue(ctx)
    facts = ctx.facts(req.window_days)
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        by_status: Counter[str] = Counter()
        unknown: Counter[str] = Counter()
        for row in facts.get(w.name, []):
            if not row.calls or not row.model_resolved:
                continue
            entry = catalogue.entry_for(row.model_resolved)
            if entry is None:
                by_status[UNKNOWN] += row.calls
                unknown[row.model_resolved] += row.calls
            else:
                by_status[entry.status.value] += row.calls
        calls = sum(by_status.values())
        if not calls:
            reason = "no calls in the window: no traffic to judge against the model catalogue"
            out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, reason, {"calls": 0})
            continue
        approved = by_status[ModelStatus.APPROVED.value]
        evidence: dict[str, object] = {
            "calls": calls,
            "approved_calls": approved,
            "approved_pct": pct(approved, calls),
            "calls_by_status": dict(sorted(by_status.items())),
            "models_outside_catalogue": dict(unknown.most_common(SHOWN)),
        }
        if approved == calls:
            verdict, reason = Verdict.MET, f"all {calls} calls went to approved catalogue models"
        else:
            verdict = Verdict.PARTIAL if approved / calls >= threshold - 1e-12 else Verdict.UNMET
            others = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(by_status.items()) if s != "approved")
            reason = (
                f"{pct(approved, calls)}% of {calls} calls went to approved catalogue models ({others}); "
                "approve the models in use with evidence, or move the workload to approved ones"
            )
        out[w.name] = CheckOutcome(verdict, reason, evidence)
    return out
