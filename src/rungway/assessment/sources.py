"""Each item's verdict from the best source available, and which source it was.

The order is fixed: a condition that excludes the workload's risk tier (not applicable); Rungway's
own evidence, when the item's check can assess it; else runs imported from the team's tools
(promptfoo, JUnit), when the model lets the item take them; else a person's attestation; else
nothing. So when a capability lands later (evaluation, prompts, red team) its check becomes
assessable and replaces the import or the attestation without anyone changing a thing, and an
attested item is never shown as evidenced.
"""

from __future__ import annotations

from collections.abc import Sequence

from rungway.assessment.imported import ImportedRun
from rungway.assessment.model import (
    DAY_S,
    Attestation,
    ImportSpec,
    ItemResult,
    MaturityItem,
    Source,
    attestation_result,
)
from rungway.assessment.unavailable import MISSING_FEATURES
from rungway.evidence import CheckOutcome, Verdict

SHOWN_RUNS = 10


def attestable(item: MaturityItem) -> bool:
    """Whether a person may attest the item: only a person can evidence it, the model lets a person attest it
    while its check cannot assess it (`attested: true` beside `check:`), Rungway cannot evidence it yet, or it
    is conditional (attested not applicable). Never an item Rungway evidences from its own records alone."""
    if item.check is None or item.attestable or item.condition is not None:
        return True
    return item.check.id in MISSING_FEATURES


def imported_result(item: MaturityItem, spec: ImportSpec, runs: Sequence[ImportedRun], now: float) -> ItemResult | None:
    """Met when the newest run in the window passes the threshold; partial when it does not; None without runs."""
    since = now - spec.window_days * DAY_S
    mine = [r for r in runs if r.item_id == item.id and since <= r.run_at <= now]
    mine.sort(key=lambda r: (-r.run_at, -r.imported_at))  # newest first; a re-import of the same run wins
    if not mine:
        return None
    latest = mine[0]
    wanted = f">= {spec.threshold * 100:g}% of cases passing, " if spec.threshold is not None else ""
    threshold = f"{wanted}last {spec.window_days} days (imported runs)"
    evidence = {"runs": [r.summary() for r in mine[:SHOWN_RUNS]], "runs_in_window": len(mine)}
    rate = f"{round(100.0 * latest.pass_rate, 2):g}"
    where = f"{latest.tool} run" + (f" at commit {latest.commit[:12]}" if latest.commit else "")
    if spec.threshold is None or latest.pass_rate >= spec.threshold - 1e-12:
        reason = f"{len(mine)} imported run(s) in {spec.window_days} days; the latest {where} passed {rate}%"
        return ItemResult(item.id, Verdict.MET, reason, evidence, threshold, Source.IMPORTED)
    reason = f"the latest imported {where} passed {rate}% of {latest.cases} cases, below {spec.threshold * 100:g}%"
    return ItemResult(item.id, Verdict.PARTIAL, reason, evidence, threshold, Source.IMPORTED)


def resolve_item(
    item: MaturityItem,
    *,
    risk_tier: str,
    outcome: CheckOutcome | None,
    threshold: str | None,
    lowered: str | None,
    runs: Sequence[ImportedRun],
    attestations: Sequence[Attestation],
    now: float,
) -> ItemResult:
    """One item's result for one workload; `outcome` is its check's answer (None for an attested-only item)."""
    if item.condition is not None and not item.condition.applies_to(risk_tier):
        reason = f"not applicable: {item.condition.text} (this workload's risk tier is {risk_tier})"
        return ItemResult(item.id, Verdict.NOT_APPLICABLE, reason, {"risk_tier": risk_tier}, source=Source.RISK_TIER)
    if outcome is not None and outcome.verdict is not Verdict.NOT_ASSESSABLE:
        o = outcome
        return ItemResult(item.id, o.verdict, o.reason, o.evidence, threshold, Source.EVIDENCED, lowered)
    imported = imported_result(item, item.imports, runs, now) if item.imports is not None else None
    if imported is not None and imported.satisfied:
        return imported
    attested = attestation_result(item, attestations, now)
    if attested.satisfied:
        return attested
    if imported is not None:
        return imported
    if outcome is None:
        return attested
    hints = []
    if item.imports is not None:
        fmt, formats = item.imports.formats[0], ", ".join(item.imports.formats)
        command = f"rungway assess import --workload W --item {item.id} --format {fmt} FILE"
        hints.append(f"import runs ({formats}) with `{command}`")
    if attestable(item):
        hints.append(f"attest it with `rungway assess attest {item.id} --workload W --by NAME --link URL`")
    expired = "expired_at" in attested.evidence
    reason = outcome.reason + ("; the attestation expired" if expired else "")
    if hints:
        reason += "; " + " or ".join(hints)
    evidence = dict(outcome.evidence) | dict(attested.evidence)
    return ItemResult(item.id, Verdict.NOT_ASSESSABLE, reason, evidence, threshold, Source.NONE)


__all__ = ["attestable", "imported_result", "resolve_item"]
