"""Running a case's assertions and combining them: order kept, model-graded ones awaited, weights applied."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from rungway.evals.scorers import (
    Assertion,
    ChatReply,
    ChatRequest,
    Sample,
    ScorerContext,
    ScoreResult,
    case_outcome,
    score_case,
)
from tests.evals.scorers.support import build


class FixedJudge:
    """A stand-in model that grades everything 0.8 (the real gateway is in test_judge.py)."""

    async def chat(self, request: ChatRequest) -> ChatReply:
        await asyncio.sleep(0)
        return ChatReply('{"reason": "fine", "pass": true, "score": 0.8}', request.model, "req-1")

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]


def test_results_come_back_in_assertion_order_with_model_graded_ones_awaited() -> None:
    context = ScorerContext(models=FixedJudge(), judge_model="judge")
    assertions = [
        build({"type": "contains", "value": "Paris"}),
        build({"type": "llm-rubric", "value": "names a city"}, context),
        build({"type": "not-contains", "value": "London"}),
    ]
    assert [a.needs_model for a in assertions] == [False, True, False]
    results = asyncio.run(score_case(assertions, Sample("Paris")))
    assert [r.scorer for r in results] == ["contains", "llm-rubric", "not-contains"]
    assert [r.value for r in results] == [1.0, 0.8, 1.0]


def _result(value: float, passed: bool) -> ScoreResult:
    return ScoreResult(value, passed, "", "x", "1")


def test_case_outcome_is_the_weighted_mean_and_every_weighted_assertion_must_pass() -> None:
    contains = build({"type": "contains", "value": "a"}).scorer
    a = Assertion("contains", contains, weight=3.0)
    b = Assertion("contains", contains, weight=1.0)
    metric_only = Assertion("contains", contains, weight=0.0)
    outcome = case_outcome([a, b, metric_only], [_result(1.0, True), _result(0.0, False), _result(0.0, False)])
    assert outcome.score == pytest.approx(0.75) and not outcome.passed
    passing = case_outcome([a, metric_only], [_result(1.0, True), _result(0.0, False)])
    assert passing.passed and passing.score == 1.0
    assert case_outcome([], []).passed
