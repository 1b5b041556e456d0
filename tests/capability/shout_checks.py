"""The shout capability's evidence check, named in its `Capability.checks` and imported only when checks load."""

from __future__ import annotations

from collections.abc import Mapping

from rungway.evidence import CheckContext, CheckOutcome, CheckRequest, Verdict, evidence_check


@evidence_check("shout_banned_word")
def banned_word_configured(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    return {w.name: CheckOutcome(Verdict.MET, "the shout capability refuses its banned word") for w in ctx.workloads}
