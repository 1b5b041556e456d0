"""The gate's pure parts: the requirement grammar and its errors, the verdict, Markdown, JUnit and annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rungway.assessment.imported import parse_junit
from rungway.evals.gates.compare import CaseRecord, MetricValue, compare_records
from rungway.evals.gates.gate import (
    RequirementError,
    evaluate,
    github_annotations,
    junit_xml,
    markdown,
    parse_requirement,
)

GOLDEN = Path(__file__).parent / "golden"

RUN: dict[str, Any] = {
    "id": "run_B", "status": "finished", "dataset": "faq", "dataset_version": "3", "prompt": "support",
    "prompt_version": 4, "model": "gpt-4o-mini", "cases": 4, "passed": 2, "errored": 1, "pass_rate": 0.5,
    "started_at": "2026-11-30T10:00:00.000Z",
    "metrics": [{"name": "contains", "count": 4, "mean": 0.6, "pass_rate": 0.5, "errored": 0}],
}  # fmt: skip


def rec(key: str, passed: bool, error: str | None = None) -> CaseRecord:
    return CaseRecord(key, 0, passed, float(passed), {"contains": MetricValue(float(passed), passed,
                      "ok" if passed else "expected 'refund' in the output")}, error)  # fmt: skip


RESULTS = [rec("a", True), rec("b", True), rec("c<&>", False), rec("d", False, "upstream 503 after 3 tries")]


@pytest.mark.parametrize(
    ("text", "subject", "op", "threshold"),
    [
        ("pass_rate>=0.9", "pass_rate", ">=", 0.9),
        (" pass_rate >= 90% ", "pass_rate", ">=", 0.9),
        ("metric:contains>=0.95", "metric:contains", ">=", 0.95),
        ("metric:llm-rubric.mean > .7", "metric:llm-rubric.mean", ">", 0.7),
        ("errored==0", "errored", "==", 0.0),
        ("cost_usd<1e-2", "cost_usd", "<", 0.01),
    ],
)
def test_requirements_parse(text: str, subject: str, op: str, threshold: float) -> None:
    req = parse_requirement(text)
    assert (req.subject, req.op, req.threshold) == (subject, op, threshold)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("pass_rate", "expected SUBJECT OP NUMBER"),
        ("pass_rate=>0.9", "expected SUBJECT OP NUMBER"),
        ("__import__('os')>=1", "expected SUBJECT OP NUMBER"),
        ("pass_rate>=0.9 or 1", "expected SUBJECT OP NUMBER"),
        ("passrate>=0.9", "unknown figure 'passrate'"),
        ("x" * 400, "longer than 300"),
    ],
)
def test_a_bad_requirement_names_the_expression_and_the_fix(text: str, says: str) -> None:
    with pytest.raises(RequirementError) as err:
        parse_requirement(text)
    assert says in str(err.value) and "--require" in str(err.value)
    if "SUBJECT" in says:
        assert text in str(err.value) and "pass_rate>=0.9" in str(err.value)  # an example of the fix


def test_the_verdict_judges_each_requirement_and_names_a_missing_metric() -> None:
    reqs = [parse_requirement(t) for t in ("pass_rate>=0.5", "metric:contains.mean>=0.7", "metric:rouge-l>=0.1")]
    gate = evaluate(RUN, reqs)
    assert [r.passed for r in gate.requirements] == [True, False, False] and not gate.passed
    assert gate.requirements[1].value == 0.6 and "needs >= 0.7" in gate.requirements[1].reason
    assert gate.requirements[2].value is None and "no metric:rouge-l (metrics: metric:contains)" in gate.reasons[1]
    assert evaluate(RUN, reqs[:1]).passed
    assert not evaluate({**RUN, "status": "failed"}, reqs[:1]).passed  # only a finished run can pass
    assert not evaluate(RUN, reqs[:1], notes=["fail: no baseline"]).passed
    assert evaluate(RUN, reqs[:1], notes=["no baseline (--if-no-baseline pass)"]).passed


def test_markdown_summary_matches_the_golden_file() -> None:
    base = [rec("a", True), rec("b", True), rec("c<&>", True), rec("d", True)]
    gate = evaluate(RUN, [parse_requirement("pass_rate>=0.9")], comparison=compare_records(base, RESULTS),
                    baseline_run="run_A", notes=["baseline: run run_A of support@3 (production)"])  # fmt: skip
    text = markdown(gate, RUN)
    assert text == (GOLDEN / "gate_failed.md").read_text(encoding="utf-8")
    assert "| `c<&>`#0 | 1.00 -> 0.00 | contains: expected 'refund' in the output |" in text


def test_junit_has_one_testcase_per_case_and_the_assessment_importer_reads_it_back() -> None:
    data = junit_xml(RUN, RESULTS)
    assert data == (GOLDEN / "gate.junit.xml").read_bytes()
    parsed = parse_junit(data, "gate.xml")
    assert (parsed.tool, parsed.cases, parsed.passed, parsed.failed) == ("junit", 4, 2, 2)
    assert parsed.run_at is not None


def test_github_annotations_are_one_error_line_per_reason_with_newlines_escaped() -> None:
    gate = evaluate(RUN, [parse_requirement("pass_rate>=0.9")], notes=["fail: no baseline\nat all"])
    lines = github_annotations(gate)
    assert lines == ["::error title=eval gate::pass_rate>=0.9: 0.5 does not hold (needs >= 0.9)",
                     "::error title=eval gate::fail: no baseline%0Aat all"]  # fmt: skip
    assert github_annotations(evaluate(RUN, [parse_requirement("pass_rate>=0.5")])) == []


def test_junit_replaces_characters_xml_cannot_hold() -> None:
    odd = CaseRecord("key\x01", 0, False, 0.0, {"regex": MetricValue(0.0, False, "output was \x00\x1b[31m")})
    data = junit_xml(RUN, [odd])
    assert b"\x00" not in data and b"\x1b" not in data
    assert parse_junit(data, "odd.xml").failed == 1
