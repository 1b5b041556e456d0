"""The continuous-evaluation evidence for the maturity assessment: production scored, and watched for anomalies.

`continuous_evaluation` needs both halves of the item ("production traffic is sampled and scored
continuously, with alerts on anomalies"), read from what the server did in the window, never from its
configuration alone:
- scoring: online scorers whose filters matched at least the item's threshold (default 0.8) of the workload's
  successful chat calls, with judgements stored (`online_evals.public.coverage`);
- watching: anomaly detection on for the workload and its hours judged in the window
  (`anomalies.public.watch_states`).

Met with both; partial with one, or with scorers that cover too little of the traffic or stored no score
(each shortfall named); unmet with traffic and neither; not assessable without chat calls in the window.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from rungway.anomalies.public import WatchState, watch_states
from rungway.evidence import NO_CALLS, CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check, total
from rungway.online_evals.public import OnlineCoverage, coverage

__all__ = ["DEFAULT_SHARE", "check_continuous_evaluation"]

DEFAULT_SHARE = 0.8
"""The share of a workload's chat calls its online scorers' filters must match, when the model sets none."""


def _scoring_gaps(cov: OnlineCoverage, share: float) -> list[str]:
    if not cov.scorers:
        return ["no online scorer (`online_evals:` in rungway.yaml, or the `online-evals add` command)"]
    gaps = []
    if cov.matched_share < share:
        gaps.append(
            f"the scorers' filters matched {cov.matched_share:.0%} of {cov.chat_calls} chat calls (needs {share:.0%})"
        )
    if cov.scored == 0:
        gaps.append("no online score stored in the window")
    return gaps


def _watch_gap(state: WatchState) -> str | None:
    if not state.enabled:
        return "anomaly detection is off for this workload (`anomalies:` in rungway.yaml)"
    if not state.evaluated:
        return "anomaly detection judged none of this workload's hours in the window"
    return None


@evidence_check("continuous_evaluation")
def check_continuous_evaluation(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Online scorers covering the workload's chat calls, and anomaly detection judging its hours."""
    since = datetime.fromtimestamp(ctx.since(req.window_days), UTC)
    share = DEFAULT_SHARE if req.threshold is None else req.threshold
    names = [w.name for w in ctx.workloads]
    has_scorers = ctx.has_table("online_eval_scorers") and ctx.has_table("online_eval_counts")
    facts = ctx.facts(req.window_days)  # the hourly roll-up's successful chat calls, not a scan of the log
    calls = {name: total(facts.get(name, []), "ok_chat") for name in names}
    covered = coverage(ctx.engine, names, since, calls) if has_scorers else {}
    watched = watch_states(ctx.engine, names, since)
    out: dict[str, CheckOutcome] = {}
    for name in names:
        cov = covered.get(name) or OnlineCoverage(name, (), calls[name], 0, 0)
        state = watched[name]
        if cov.chat_calls == 0:
            out[name] = CheckOutcome(Verdict.NOT_ASSESSABLE, NO_CALLS, {"chat_calls": 0})
            continue
        evidence: dict[str, object] = {
            "chat_calls": cov.chat_calls,
            "matched_share": round(cov.matched_share, 4),
            "scored": cov.scored,
            "scorers": [f"{s.name} ({s.type}, {s.sample:g})" for s in cov.scorers],
            "anomaly_detection": state.enabled,
            "anomalies_judged_at": state.last_evaluated_at,
            "anomalies_in_window": state.anomalies_in_window,
        }
        scoring = _scoring_gaps(cov, share)
        watching = _watch_gap(state)
        gaps = [*scoring, *([watching] if watching else [])]
        if not gaps:
            reason = (
                f"{len(cov.scorers)} online scorer(s) matched {cov.matched_share:.0%} of {cov.chat_calls} chat calls"
                f" ({cov.scored} scores), and anomaly detection judged the workload's hours in the window"
            )
            out[name] = CheckOutcome(Verdict.MET, reason, evidence)
        elif not cov.scorers and watching is not None:
            out[name] = CheckOutcome(Verdict.UNMET, "; ".join(gaps), evidence)
        else:
            out[name] = CheckOutcome(Verdict.PARTIAL, "; ".join(gaps), evidence)
    return out
