"""The maturity model file and the pure rules: stage, partial credit, next investment, drift, expiry."""

from __future__ import annotations

import pytest

from rungway.assessment.model import (
    Attestation,
    ItemResult,
    MaturityModel,
    WorkloadAssessment,
    assess_workload,
    attestation_result,
    detect_drift,
    parse_model,
)
from rungway.assessment.model_file import load_model
from rungway.evidence import Verdict, load_checks

ISSUE_ITEMS = {
    2: "authentication authorisation basic_logging error_handling rate_limiting manual_prompt_review "
    "provider_cost_monitoring pre_deployment_tests on_call_rotation",
    3: "detailed_traces curated_eval_set eval_on_prompt_change user_cost_attribution budgets model_pinning "
    "planned_model_upgrades prompt_library basic_red_teaming content_filtering",
    4: "continuous_evaluation multi_model_routing multi_layer_caching cost_forecasting audit_trails governance_process "
    "structured_red_teaming multi_tenant_isolation slos provider_outage_recovery",
    5: "developer_platform model_catalogue self_service_provisioning fine_tuning_pipeline prompt_ab_testing "
    "aggregate_analytics cost_optimisation cross_team_reuse",
}


def test_model_file_holds_every_item_of_the_issue_with_its_stage() -> None:
    model = load_model()
    for stage, ids in ISSUE_ITEMS.items():
        assert {i.id for i in model.items_of(stage)} == set(ids.split())
    assert [s.name for s in model.stages][:2] == ["Prototype", "Initial production"]
    for item in model.items:
        assert item.title and item.description and item.guidance and item.builds_with


def test_every_check_named_by_the_model_is_registered() -> None:
    checks = load_checks()
    for item in load_model().items:
        assert item.attested or (item.check is not None and item.check.id in checks), item.id


def test_evidence_standards_have_the_documented_defaults() -> None:
    model = load_model()
    defaults = {i.id: i.check.threshold for i in model.items if i.check is not None}
    assert defaults["detailed_traces"] == 0.95
    assert defaults["user_cost_attribution"] == 0.95
    assert defaults["model_pinning"] == 1.0
    assert model.item("basic_red_teaming").check.window_days == 90  # type: ignore[union-attr]
    assert {i.id for i in model.items if i.attested} == {
        "on_call_rotation",
        "governance_process",
        "planned_model_upgrades",
    }
    # evidenced where the prompt library is used, attestable where prompts are reviewed elsewhere
    review = model.item("manual_prompt_review")
    assert review.check is not None and review.check.threshold == 1.0 and review.attestable
    assert model.item("prompt_library").check.threshold == 0.8  # type: ignore[union-attr]
    assert defaults["budgets"] == 0.9 and defaults["error_handling"] == 0.95
    assert dict(model.target_stages) == {"internal": 2, "customer-facing": 3, "regulated": 4}


def test_model_without_check_or_attestation_is_rejected() -> None:
    raw = {"stages": [{"number": 1, "name": "P"}], "items": [{"id": "x", "stage": 1}], "investment_order": ["x"]}
    with pytest.raises(ValueError, match=r"items\[0\]"):
        parse_model(raw)


def _results(model: MaturityModel, verdicts: dict[str, Verdict], default: Verdict) -> dict[str, ItemResult]:
    return {i.id: ItemResult(i.id, verdicts.get(i.id, default), "") for i in model.items}


def _assess(model: MaturityModel, results: dict[str, ItemResult], tier: str = "customer-facing") -> WorkloadAssessment:
    return assess_workload(
        model,
        workload="w",
        risk_tier=tier,
        results=results,
        assessed_at=1.0,
        claimed_stage=3,
        targets=model.target_stages,
    )


def test_stage_counts_only_when_all_its_items_and_earlier_stages_are_satisfied() -> None:
    model = load_model()
    stage2 = {i.id: Verdict.MET for i in model.items_of(2)} | {"on_call_rotation": Verdict.ATTESTED}
    stage3_but_one = {i.id: Verdict.MET for i in model.items_of(3)} | {"budgets": Verdict.PARTIAL}
    a = _assess(model, _results(model, stage2 | stage3_but_one, Verdict.UNMET))
    assert a.stage == 2
    progress = {p.stage: p for p in a.progress}
    assert progress[3].fraction == "9.5/10"
    assert a.target_stage == 3 and a.gap == 1 and a.claimed_stage == 3
    assert a.next_investment == "budgets"
    everything_but_stage2 = {i.id: Verdict.MET for i in model.items if i.stage != 2}
    assert _assess(model, _results(model, everything_but_stage2, Verdict.UNMET)).stage == 1


def test_not_assessable_items_never_count_as_met() -> None:
    model = load_model()
    verdicts = {i.id: Verdict.MET for i in model.items_of(2)} | {"pre_deployment_tests": Verdict.NOT_ASSESSABLE}
    a = _assess(model, _results(model, verdicts, Verdict.NOT_ASSESSABLE))
    assert a.stage == 1
    assert {p.stage: p.fraction for p in a.progress}[2] == "8/9"


def test_next_investment_prefers_actionable_items_of_the_earliest_unfinished_stage() -> None:
    model = load_model()
    verdicts = {i.id: Verdict.MET for i in model.items_of(2)}
    verdicts |= {"pre_deployment_tests": Verdict.NOT_ASSESSABLE, "on_call_rotation": Verdict.UNMET}
    assert _assess(model, _results(model, verdicts, Verdict.UNMET)).next_investment == "on_call_rotation"
    verdicts["on_call_rotation"] = Verdict.ATTESTED
    # Rungway cannot evidence the tests yet, but imported CI runs can: it is the next step, not a wall.
    assert _assess(model, _results(model, verdicts, Verdict.UNMET)).next_investment == "pre_deployment_tests"
    verdicts["pre_deployment_tests"] = Verdict.MET
    # Stage 2 done: the 2->3 disciplines come next, in the model's order, traces first.
    assessed = _assess(model, _results(model, verdicts, Verdict.UNMET))
    assert assessed.next_investments == ("detailed_traces", "curated_eval_set", "eval_on_prompt_change")


def test_items_without_evidence_or_import_come_after_the_actionable_ones() -> None:
    model = load_model()
    verdicts = {i.id: Verdict.MET for i in model.items_of(2)} | {"detailed_traces": Verdict.UNMET}
    results = _results(model, verdicts, Verdict.NOT_ASSESSABLE)  # stage 3: nothing built, nothing imported
    picks = _assess(model, results).next_investments
    assert picks[0] == "detailed_traces"  # actionable first, though later in no order
    assert picks[1] == "curated_eval_set"  # not assessable, but it takes imported promptfoo runs


def test_attestation_counts_until_it_expires() -> None:
    item = load_model().item("on_call_rotation")
    a = Attestation("att_1", "w", "on_call_rotation", "ann", "https://wiki/runbook", 100.0, 200.0)
    assert attestation_result(item, [a], 150.0).verdict is Verdict.ATTESTED
    expired = attestation_result(item, [a], 200.0)
    assert expired.verdict is Verdict.UNMET and "expired" in expired.reason
    assert attestation_result(item, [], 150.0).verdict is Verdict.UNMET


def test_drift_is_a_stage_drop_or_an_item_that_stopped_being_satisfied() -> None:
    model = load_model()
    base = {i.id: Verdict.MET for i in model.items_of(2)}
    before = _assess(model, _results(model, base, Verdict.UNMET))
    after = _assess(model, _results(model, base | {"authentication": Verdict.PARTIAL}, Verdict.UNMET))
    drift = detect_drift(before, after)
    assert drift is not None and drift.regressed_items == ("authentication",) and drift.stage_dropped
    assert detect_drift(before, before) is None
    assert detect_drift(None, after) is None
    assert WorkloadAssessment.from_dict(after.to_dict()) == after
