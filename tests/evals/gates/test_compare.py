"""compare_records: planted regressions are found and flagged, seeded noise is not, cases match by key and repeat."""

from __future__ import annotations

import random

from rungway.evals.gates.compare import OVERALL, CaseRecord, MetricValue, compare_records
from rungway.evals.stats import Verdict


def record(key: str, passed: bool, repeat: int = 0, explanation: str = "", score: float | None = None) -> CaseRecord:
    value = (1.0 if passed else 0.0) if score is None else score
    return CaseRecord(key, repeat, passed, value, {"contains": MetricValue(value, passed, explanation)})


def test_planted_regressions_are_listed_by_case_key_and_flagged_significant() -> None:
    a = [record(f"c{i:03d}", True) for i in range(100)]
    planted = {f"c{i:03d}" for i in range(0, 100, 5)}  # 20 of 100 cases now fail
    b = [record(r.case_key, r.case_key not in planted, explanation="expected 'refund'") for r in a]
    cmp = compare_records(a, b)
    assert {c.case_key for c in cmp.regressions} == planted and not cmp.improvements
    assert all("contains: expected 'refund'" in c.explanation for c in cmp.regressions)
    assert {m.metric for m in cmp.significant_regressions} == {OVERALL, "contains"}
    overall = cmp.metrics[0]
    assert overall.metric == OVERALL and overall.test.passes.regressed == 20 and overall.mean_b == 0.8
    # The same runs the other way round are an improvement, not a regression.
    back = compare_records(b, a)
    assert not back.significant_regressions and len(back.improvements) == 20
    assert back.metrics[0].verdict is Verdict.IMPROVEMENT


def test_noise_between_two_runs_of_the_same_quality_is_not_flagged() -> None:
    flagged = 0
    for seed in range(20):
        rng = random.Random(seed)
        a = [record(f"c{i}", rng.random() < 0.8) for i in range(200)]
        b = [record(f"c{i}", rng.random() < 0.8) for i in range(200)]
        cmp = compare_records(a, b, seed=seed)
        assert cmp.regressions and cmp.improvements  # individual cases do flip
        flagged += bool(cmp.significant_regressions)
    assert flagged <= 2  # alpha 0.05 over 20 seeded pairs: at most a chance false alarm or two


def test_cases_match_on_key_and_repeat_and_the_unmatched_are_counted() -> None:
    a = [record("x", True, 0), record("x", True, 1), record("only-a", True)]
    b = [record("x", True, 0), record("x", False, 1), record("only-b", False)]
    cmp = compare_records(a, b)
    assert (cmp.matched, cmp.only_in_a, cmp.only_in_b) == (2, 1, 1)
    assert [(c.case_key, c.repeat) for c in cmp.regressions] == [("x", 1)]
    assert cmp.to_json()["regressions"][0]["case_key"] == "x"


def test_an_errored_case_explains_itself_and_a_record_reads_the_api_shape() -> None:
    raw = {"case_key": "k", "repeat": 2, "passed": False, "score": 0.25, "error": None,
           "scores": [{"metric": "regex", "value": 0.25, "passed": False, "explanation": "no match"},
                      {"metric": "length", "value": 1.0, "passed": True, "explanation": "ok"}]}  # fmt: skip
    rec = CaseRecord.from_json(raw)
    assert (rec.case_key, rec.repeat, rec.score) == ("k", 2, 0.25) and rec.why_failed() == "regex: no match"
    errored = CaseRecord.from_json({**raw, "error": "upstream 503"})
    assert errored.why_failed() == "error: upstream 503"
