"""Each item resolves from its best source and says which: Rungway's own evidence, else imported runs, else an
attestation; a condition that excludes the workload's risk tier makes it not applicable; attested is never evidenced."""

from __future__ import annotations

import pytest

from rungway.assessment.imported import ImportedRun
from rungway.assessment.model import DAY_S, Attestation, ItemResult, Source, parse_model
from rungway.assessment.model_file import load_model
from rungway.assessment.sources import attestable, resolve_item
from rungway.evidence import CheckOutcome, Verdict

NOW = 1_800_000_000.0
TESTS = load_model().item("pre_deployment_tests")
NOT_BUILT = CheckOutcome(Verdict.NOT_ASSESSABLE, "evaluation runs are not a Rungway capability yet")


def _run(passed: int, cases: int = 20, days_ago: float = 1.0, item: str = "pre_deployment_tests") -> ImportedRun:
    at = NOW - days_ago * DAY_S
    failed = cases - passed
    return ImportedRun("imp_1", "w", item, "junit", "tests", at, "abc1234", cases, passed, failed, "j.xml", at, "t")


def _attestation(item: str = "pre_deployment_tests", not_applicable: bool = False) -> Attestation:
    start, end = NOW - DAY_S, NOW + DAY_S
    return Attestation("att_1", "w", item, "ann", "https://wiki/x", start, end, "", "key_p", not_applicable)


def _resolve(outcome: CheckOutcome | None, runs: list[ImportedRun], attested: list[Attestation]) -> ItemResult:
    return resolve_item(
        TESTS, risk_tier="internal", outcome=outcome, threshold=None, lowered=None, runs=runs, attestations=attested,
        now=NOW,
    )  # fmt: skip


def test_an_assessable_check_wins_over_imports_and_attestations() -> None:
    landed = CheckOutcome(Verdict.PARTIAL, "2 of 3 releases had an eval run", {"releases": 3})
    result = _resolve(landed, [_run(20)], [_attestation()])
    assert (result.verdict, result.source) == (Verdict.PARTIAL, Source.EVIDENCED)


def test_imported_runs_meet_the_item_when_the_newest_passes_the_threshold() -> None:
    result = _resolve(NOT_BUILT, [_run(20, days_ago=2), _run(19, days_ago=5)], [])
    assert (result.verdict, result.source) == (Verdict.MET, Source.IMPORTED)
    assert [r["pass_rate_pct"] for r in result.evidence["runs"]] == [100.0, 95.0]
    assert result.evidence["runs"][0]["commit"] == "abc1234"


def test_an_imported_run_below_the_threshold_is_partial_and_old_runs_do_not_count() -> None:
    below = _resolve(NOT_BUILT, [_run(15)], [])
    assert (below.verdict, below.source) == (Verdict.PARTIAL, Source.IMPORTED) and "75%" in below.reason
    stale = _resolve(NOT_BUILT, [_run(20, days_ago=31)], [])
    assert (stale.verdict, stale.source) == (Verdict.NOT_ASSESSABLE, Source.NONE)
    assert "rungway assess import --workload W --item pre_deployment_tests" in stale.reason


def test_an_attestation_stands_in_only_without_evidence_and_is_shown_as_attested() -> None:
    result = _resolve(NOT_BUILT, [], [_attestation()])
    assert (result.verdict, result.source) == (Verdict.ATTESTED, Source.ATTESTED)
    assert result.evidence["acting_key"] == "key_p"
    failing_import = _resolve(NOT_BUILT, [_run(5)], [_attestation()])
    assert failing_import.source is Source.ATTESTED  # a person's sign-off beats a failing run only as attested


def test_a_condition_on_the_risk_tier_makes_the_item_not_applicable_not_unmet() -> None:
    audit = load_model().item("audit_trails")
    outcome = CheckOutcome(Verdict.NOT_ASSESSABLE, "no audit log yet")

    def resolve(tier: str) -> ItemResult:
        return resolve_item(
            audit, risk_tier=tier, outcome=outcome, threshold=None, lowered=None, runs=[], attestations=[], now=NOW
        )

    internal = resolve("internal")
    assert (internal.verdict, internal.source) == (Verdict.NOT_APPLICABLE, Source.RISK_TIER) and internal.satisfied
    assert resolve("regulated").verdict is Verdict.NOT_ASSESSABLE


def test_a_conditional_item_attested_not_applicable_is_satisfied_as_attested() -> None:
    tenants = load_model().item("multi_tenant_isolation")
    result = resolve_item(
        tenants,
        risk_tier="regulated",
        outcome=CheckOutcome(Verdict.NOT_ASSESSABLE, "not built"),
        threshold=None,
        lowered=None,
        runs=[],
        attestations=[_attestation("multi_tenant_isolation", not_applicable=True)],
        now=NOW,
    )
    assert (result.verdict, result.source) == (Verdict.NOT_APPLICABLE, Source.ATTESTED)
    assert "where the architecture requires it" in result.reason


def test_an_item_with_a_check_and_attested_true_is_attestable_only_while_its_check_cannot_assess() -> None:
    review = load_model().item("manual_prompt_review")
    assert attestable(review) and not attestable(load_model().item("authentication"))
    signed = [_attestation("manual_prompt_review")]

    def resolve(outcome: CheckOutcome) -> ItemResult:
        return resolve_item(review, risk_tier="internal", outcome=outcome, threshold=None, lowered=None, runs=[],
                            attestations=signed, now=NOW)  # fmt: skip

    nothing = CheckOutcome(Verdict.NOT_ASSESSABLE, "no protected label moved and no library prompt used")
    assert (resolve(nothing).verdict, resolve(nothing).source) == (Verdict.ATTESTED, Source.ATTESTED)
    unreviewed = CheckOutcome(Verdict.PARTIAL, "1 of 2 protected-label moves were approved by another person")
    assert (resolve(unreviewed).verdict, resolve(unreviewed).source) == (Verdict.PARTIAL, Source.EVIDENCED)
    alone = resolve_item(review, risk_tier="internal", outcome=nothing, threshold=None, lowered=None, runs=[],
                         attestations=[], now=NOW)  # fmt: skip
    assert alone.verdict is Verdict.NOT_ASSESSABLE
    assert "rungway assess attest manual_prompt_review --workload W" in alone.reason


def test_attested_beside_a_check_must_be_true() -> None:
    raw = {"stages": [{"number": 1, "name": "P"}], "investment_order": ["x"],
           "items": [{"id": "x", "stage": 1, "title": "t", "description": "d", "guidance": "g", "builds_with": "b",
                      "check": {"id": "x"}, "attested": "yes"}]}  # fmt: skip
    with pytest.raises(ValueError, match=r"items\[0\]\.attested"):
        parse_model(raw)
