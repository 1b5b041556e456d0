"""Checks for items whose feature Rungway does not provide yet: always `not_assessable`, with the reason.

An item is never reported as met without evidence. When a capability lands (evaluation runs,
a prompt library, guardrails, ...), its real check replaces the entry here under the same id.
"""

from __future__ import annotations

from collections.abc import Mapping

from rungway.evidence import CheckContext, CheckFn, CheckOutcome, CheckRequest, Verdict, evidence_check

# check id -> what is missing in Rungway for it to be evidenced
MISSING_FEATURES: dict[str, str] = {
    "multi_tenant_isolation": "tenant isolation of data, limits and traces is not enforced by Rungway yet",
    "developer_platform": "workload templates and deployment are not Rungway capabilities yet",
    "self_service_provisioning": "self-service provisioning within policy is not a Rungway capability yet",
    "fine_tuning_pipeline": "fine-tuning pipelines are not a Rungway capability yet",
    "prompt_ab_testing": "A/B tests of prompt versions are not a Rungway capability yet",
    "aggregate_analytics": "Rungway records no evidence that cross-workload analytics are reviewed",
    "cost_optimisation": "Rungway does not track optimisations and their measured savings yet",
    "cross_team_reuse": "Rungway has no shared prompts, datasets or evaluators to measure reuse of yet",
}


def _not_assessable(reason: str) -> CheckFn:
    def check(ctx: CheckContext, _req: CheckRequest) -> Mapping[str, CheckOutcome]:
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, reason) for w in ctx.workloads}

    return check


for _check_id, _reason in MISSING_FEATURES.items():
    evidence_check(_check_id)(_not_assessable(_reason))
