"""The audit trail's evidence for the maturity assessment: `audit_trails`.

Met when the workload has audit records in the window, the chain verifies over the window (every record hashes
to its stored hash and links to the one before; checkpoints match) and the window's checkpoints are signed and
their signatures check with the key in RUNGWAY_AUDIT_SIGNING_KEY. Partial when the chain verifies but the
checkpoints are unsigned, absent, or cannot be checked here (no key, or another key). Unmet when the workload
has no records in the window (nothing captured) or the chain does not verify. Not assessable on a store
without the audit tables.
"""

from __future__ import annotations

from collections.abc import Mapping

from rungway.audit.chain import ChainReport
from rungway.audit.service import verify_store
from rungway.audit.signing import ENV_VAR, signer_from_env
from rungway.audit.store import first_seq_since, list_records
from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check

__all__ = ["check_audit_trails"]


def _checkpoint_gap(report: ChainReport) -> str | None:
    """Why the window's checkpoints do not prove it whole, or None when they do."""
    if report.checkpoints == 0:
        return "no checkpoint was written in the window yet (the server writes them)"
    if report.unsigned:
        return f"{report.unsigned} checkpoint(s) are unsigned: set {ENV_VAR} (rungway audit keygen) on every server"
    if report.other_key:
        return f"{report.other_key} checkpoint(s) are signed by a key that is not in {ENV_VAR} here: not checked"
    return None


@evidence_check("audit_trails")
def check_audit_trails(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """The workload's changes are recorded, and the window's chain verifies under signed checkpoints."""
    if not ctx.has_table("audit_records") or not ctx.has_table("audit_checkpoints"):
        reason = "the store has no audit tables (the audit capability is not installed)"
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, reason) for w in ctx.workloads}
    since = ctx.since(req.window_days)
    start = first_seq_since(ctx.engine, since)
    signer = signer_from_env()
    report = verify_store(ctx.engine, start, None if signer is None else signer.public_raw) if start else None
    gap = None if report is None else _checkpoint_gap(report)
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        mine = len(list_records(ctx.engine, workload=w.name, since_ts=since, limit=1000))
        evidence: dict[str, object] = {"records": mine if mine < 1000 else "1000+"}
        if report is not None:
            evidence |= {"chain": report.summary(), "checkpoints": report.checkpoints,
                         "signatures_verified": report.signed_ok, "unsigned": report.unsigned}  # fmt: skip
        if report is None or mine == 0:
            reason = "no audit records of the workload's changes in the window: nothing was captured"
            out[w.name] = CheckOutcome(Verdict.UNMET, reason, evidence)
        elif not report.intact:
            reason = f"the audit chain does not verify: {report.problems[0].message} (rungway audit verify)"
            out[w.name] = CheckOutcome(Verdict.UNMET, reason, evidence)
        elif gap is not None:
            out[w.name] = CheckOutcome(Verdict.PARTIAL, f"the chain verifies, but {gap}", evidence)
        else:
            reason = (f"{mine} record(s) of the workload's changes; the chain verifies under {report.signed_ok} "
                      "signed checkpoint(s)")  # fmt: skip
            out[w.name] = CheckOutcome(Verdict.MET, reason, evidence)
    return out
