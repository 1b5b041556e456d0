"""Embedding similarity, LLM-as-judge and pairwise comparison against a real Rungway gateway (the simulator).

The simulator's embeddings are deterministic per text (near when texts share their words) and its JSON
answers follow the schema asked for, so these run offline; every judge call is a real call through the gateway,
recorded as the workload's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from rungway.evals.scorers import (
    ChatReply,
    ChatRequest,
    InvalidAssertion,
    ModelCallError,
    Sample,
    ScorerContext,
    ScoreResult,
)
from rungway.evals.scorers.http_client import HttpModelClient
from rungway.evals.scorers.judge import RUBRIC_SYSTEM, compare_pair
from tests.evals.scorers.support import build
from tests.servers import Gateway


def run(gateway: Gateway, spec: dict[str, object], samples: Sequence[Sample], **context: str) -> list[ScoreResult]:
    async def go() -> list[ScoreResult]:
        client = HttpModelClient(gateway.base_url, gateway.create_key().secret)
        try:
            assertion = build(spec, ScorerContext(models=client, **context))  # type: ignore[arg-type]
            scorer = assertion.scorer
            return [await scorer.score(sample) for sample in samples]  # type: ignore[misc]
        finally:
            await client.close()

    return asyncio.run(go())


def test_similar_scores_identical_text_one_a_paraphrase_high_and_unrelated_text_low(gateway: Gateway) -> None:
    spec = {"type": "similar", "value": "The capital of France is Paris.", "model": "text-embedding-3-small"}
    samples = [
        Sample("The capital of France is Paris."),
        Sample("Paris is the capital of France."),
        Sample("Bananas are yellow."),
    ]
    same, paraphrase, other = run(gateway, spec, samples)
    assert same.value == pytest.approx(1.0) and same.passed
    assert 0.75 < paraphrase.value < 1.0 and paraphrase.passed  # the default threshold, 0.75
    assert other.value < 0.2 and not other.passed
    assert "text-embedding-3-small" in same.explanation


def test_similar_takes_the_best_of_several_values_and_the_expected_output(gateway: Gateway) -> None:
    spec = {"type": "similar", "value": ["first answer", "second answer"], "threshold": 0.9}
    (best,) = run(gateway, spec, [Sample("second answer")], embedding_model="text-embedding-3-small")
    assert best.passed
    (from_expected,) = run(gateway, {"type": "similar"}, [Sample("yes", expected="yes")],
                           embedding_model="text-embedding-3-small")  # fmt: skip
    assert from_expected.passed
    (missing,) = run(gateway, {"type": "similar"}, [Sample("yes")], embedding_model="text-embedding-3-small")
    assert missing.errored


def test_an_unknown_embedding_model_is_an_errored_score_not_a_crash(gateway: Gateway) -> None:
    (result,) = run(gateway, {"type": "similar", "value": "x", "model": "no-such-model"}, [Sample("x")])
    assert result.errored and not result.passed and "no-such-model" in result.explanation


def test_llm_rubric_records_the_judge_prompt_model_and_seed_and_is_repeatable(gateway: Gateway) -> None:
    spec = {"type": "llm-rubric", "value": "The answer names a city.", "model": "gpt-4o-mini", "seed": 7}
    first, again = run(gateway, spec, [Sample("Paris"), Sample("Paris")])
    same = ("value", "passed", "explanation")
    assert [getattr(first, f) for f in same] == [getattr(again, f) for f in same]  # temperature 0, a fixed seed
    assert first.judges[0].reply == again.judges[0].reply and first.judges[0].request_id != again.judges[0].request_id
    assert 0 <= first.value <= 1 and not first.errored
    (record,) = first.judges
    assert record.model.startswith("gpt-4o-mini") and record.seed == 7 and record.request_id
    assert record.messages[0] == ("system", RUBRIC_SYSTEM)
    assert "<Output>\nParis\n</Output>" in record.messages[1][1] and "The answer names a city." in record.messages[1][1]
    assert '"score"' in record.reply and "seed 7" in first.explanation
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        rows = conn.exec_driver_sql("select workload, model_requested, status from requests").fetchall()
    assert [tuple(r) for r in rows] == [("test", "gpt-4o-mini", 200)] * 2  # judged through the gateway, as the workload


def test_a_judge_seed_must_be_a_whole_number() -> None:
    context = ScorerContext(models=ContentJudge(None), judge_model="m")
    with pytest.raises(InvalidAssertion, match=r"seed: 1.5 is not a whole number"):
        build({"type": "llm-rubric", "value": "x", "seed": 1.5}, context)
    with pytest.raises(InvalidAssertion, match=r"seed: -1 is out of range"):
        build({"type": "pairwise", "seed": -1}, context)


def test_llm_rubric_threshold_decides_the_pass(gateway: Gateway) -> None:
    spec = {"type": "llm-rubric", "value": "is good", "threshold": 0.0}
    (lenient,) = run(gateway, spec, [Sample("x")], judge_model="gpt-4o-mini")
    assert lenient.passed  # any score reaches 0
    (strict,) = run(gateway, {**spec, "threshold": 1.0}, [Sample("x")], judge_model="gpt-4o-mini")
    assert strict.passed is (strict.value >= 1.0)


def test_a_judge_call_the_gateway_refuses_is_an_errored_score(gateway: Gateway) -> None:
    async def go() -> ScoreResult:
        client = HttpModelClient(gateway.base_url, "not-a-key")
        try:
            assertion = build(
                {"type": "llm-rubric", "value": "x"}, ScorerContext(models=client, judge_model="gpt-4o-mini")
            )
            return await assertion.scorer.score(Sample("x"))  # type: ignore[no-any-return,misc]
        finally:
            await client.close()

    result = asyncio.run(go())
    assert result.errored and "401" in result.explanation


def test_pairwise_judges_both_orders_through_the_gateway(gateway: Gateway) -> None:
    spec = {"type": "pairwise", "model": "gpt-4o-mini"}
    (result,) = run(gateway, spec, [Sample("Paris.", expected="It is Lyon.", vars={"question": "Capital?"})])
    assert result.value in (0.0, 0.5, 1.0) and result.passed is (result.value >= 0.5)
    first, second = result.judges
    assert "<Response A>\nParis.\n" in first.messages[1][1] and "<Response A>\nIt is Lyon.\n" in second.messages[1][1]
    assert '{"question":"Capital?"}' in first.messages[1][1]
    (no_baseline,) = run(gateway, spec, [Sample("Paris.")])
    assert no_baseline.errored


class ContentJudge:
    """A stand-in judge with a known preference and, optionally, a bias for the first position."""

    def __init__(self, prefers: str | None) -> None:
        self.prefers = prefers

    async def chat(self, request: ChatRequest) -> ChatReply:
        text = request.messages[1][1]
        a = text.split("<Response A>\n")[1].split("\n</Response A>")[0]
        winner = "A" if self.prefers is None or self.prefers in a else "B"
        return ChatReply(f'Verdict: {{"reason": "r", "winner": "{winner}"}}', request.model)

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        raise ModelCallError("no embeddings here")


def test_pairwise_counts_a_win_only_when_both_orders_agree() -> None:
    good = asyncio.run(compare_pair(ContentJudge("good"), "m", "q", "a good answer", "a poor answer"))
    assert good.winner == "a" and len(good.judges) == 2
    assert asyncio.run(compare_pair(ContentJudge("good"), "m", "q", "poor", "good")).winner == "b"
    biased = asyncio.run(compare_pair(ContentJudge(None), "m", "q", "one", "two"))
    assert biased.winner == "tie" and "disagree" in biased.reason
