"""Model-graded assertions: `llm-rubric` (promptfoo's) and `pairwise` (Rungway's), judged through the gateway.

The judge is asked for JSON that follows a schema (`response_format: json_schema`), at temperature 0 with
a fixed seed; every call's model, seed, messages and raw reply are kept on the score (`JudgeRecord`), so a
judgement can be audited and replayed. `pairwise` asks twice with the two answers swapped and only counts
a win both orders agree on, which cancels the judge's preference for a position.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import orjson

from rungway.evals.scorers.base import JsonValue, JudgeRecord, ModelScorer, Sample, ScoreResult
from rungway.evals.scorers.embedding import client_for, model_for
from rungway.evals.scorers.models import ChatRequest, ModelCallError, ModelClient
from rungway.evals.scorers.registry import scorer
from rungway.evals.scorers.spec import ScorerContext, SpecReader
from rungway.evals.scorers.structured import json_candidates

__all__ = [
    "PAIRWISE_SCHEMA",
    "PAIRWISE_SYSTEM",
    "RUBRIC_SCHEMA",
    "RUBRIC_SYSTEM",
    "PairwiseJudge",
    "PairwiseVerdict",
    "RubricJudge",
    "compare_pair",
]

MAX_JUDGED_CHARS = 50_000  # of each text shown to a judge

RUBRIC_SYSTEM = (
    "You are grading an output against a rubric. Read the rubric, then the output. The output passes if "
    "the rubric's statement is true of it. Answer with JSON only: "
    '{"reason": "<one or two sentences>", "pass": true|false, "score": <0.0 to 1.0>}.'
)
RUBRIC_SCHEMA: dict[str, JsonValue] = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},
        "pass": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["reason", "pass", "score"],
    "additionalProperties": False,
}
PAIRWISE_SYSTEM = (
    "You compare two responses to the same input against the criteria given. Judge content, not length or "
    'position. Answer with JSON only: {"reason": "<one or two sentences>", "winner": "A" | "B" | "tie"}.'
)
PAIRWISE_SCHEMA: dict[str, JsonValue] = {
    "type": "object",
    "properties": {"reason": {"type": "string"}, "winner": {"type": "string", "enum": ["A", "B", "tie"]}},
    "required": ["reason", "winner"],
    "additionalProperties": False,
}
DEFAULT_CRITERIA = "Which response answers the input better: correct, complete, and to the point?"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_JUDGED_CHARS else text[:MAX_JUDGED_CHARS] + "\n[... cut]"


def _reply_object(text: str) -> dict[str, JsonValue] | None:
    """The judge's JSON object: the whole reply, else the first object in it (a judge may add prose)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = next((c for c in json_candidates(text) if isinstance(c, dict)), None)
    return value if isinstance(value, dict) else None


async def _ask(client: ModelClient, request: ChatRequest) -> tuple[dict[str, JsonValue] | None, JudgeRecord]:
    reply = await client.chat(request)
    record = JudgeRecord(
        reply.model or request.model, request.seed, request.messages, reply.text[:MAX_JUDGED_CHARS], reply.request_id
    )
    return _reply_object(reply.text), record


class RubricJudge(ModelScorer):
    """`llm-rubric`: a judge model grades the output against a rubric; value = its score.

    Without a threshold the judge's own pass stands; with one, the score must reach it (as in promptfoo)."""

    def __init__(self, client: ModelClient, model: str, rubric: str, threshold: float | None, seed: int) -> None:
        self.name = "llm-rubric"
        self.client = client
        self.model = model
        self.rubric = rubric
        self.threshold = threshold
        self.seed = seed

    def request(self, sample: Sample) -> ChatRequest:
        user = f"<Output>\n{_clip(sample.output)}\n</Output>\n<Rubric>\n{self.rubric}\n</Rubric>"
        messages = (("system", RUBRIC_SYSTEM), ("user", user))
        return ChatRequest(self.model, messages, seed=self.seed, json_schema=RUBRIC_SCHEMA)

    async def score(self, sample: Sample) -> ScoreResult:
        try:
            answer, record = await _ask(self.client, self.request(sample))
        except ModelCallError as exc:
            return self.error(f"judge {self.model} failed: {exc.message}")
        score, passed, reason = (answer or {}).get("score"), (answer or {}).get("pass"), (answer or {}).get("reason")
        if (
            isinstance(score, bool)
            or not isinstance(score, int | float)
            or not 0 <= score <= 1
            or not isinstance(passed, bool)
        ):
            return self.error(
                f"judge {self.model} did not answer {{reason, pass, score}}: {record.reply[:200]!r}", (record,)
            )
        ok = float(score) >= self.threshold if self.threshold is not None else passed
        explanation = f"{reason if isinstance(reason, str) else ''} (judge {record.model}, seed {self.seed})".strip()
        return ScoreResult(float(score), ok, explanation, self.name, self.version, judges=(record,))


@scorer("llm-rubric")
def _llm_rubric(spec: SpecReader, context: ScorerContext) -> ModelScorer:
    rubric = spec.text()
    assert rubric is not None
    threshold = spec.threshold(0.0) if spec.has("threshold") else None
    seed = spec.integer("seed", default=0, low=0, high=2**31 - 1)
    model = model_for(spec, context.judge_model, "judge")
    return RubricJudge(client_for(spec, context), model, rubric, threshold, seed)


@dataclass(frozen=True, slots=True)
class PairwiseVerdict:
    """Which of two answers won: "a", "b" or "tie" ("tie" also when the two orders disagree), with both
    judgements kept."""

    winner: str
    reason: str
    judges: tuple[JudgeRecord, ...]


def _pair_request(model: str, seed: int, criteria: str, question: str, first: str, second: str) -> ChatRequest:
    user = (f"<Criteria>\n{criteria}\n</Criteria>\n<Input>\n{_clip(question)}\n</Input>\n"
            f"<Response A>\n{_clip(first)}\n</Response A>\n<Response B>\n{_clip(second)}\n</Response B>")  # fmt: skip
    return ChatRequest(model, (("system", PAIRWISE_SYSTEM), ("user", user)), seed=seed, json_schema=PAIRWISE_SCHEMA)


async def compare_pair(
    client: ModelClient, model: str, question: str, a: str, b: str, *, criteria: str = DEFAULT_CRITERIA, seed: int = 0
) -> PairwiseVerdict:
    """Judge answer `a` against answer `b` in both orders; ModelCallError when a judge call fails."""
    (first, r1), (second, r2) = await asyncio.gather(
        _ask(client, _pair_request(model, seed, criteria, question, a, b)),
        _ask(client, _pair_request(model, seed, criteria, question, b, a)),
    )
    forward = {"A": "a", "B": "b"}.get(str((first or {}).get("winner")), "tie")
    backward = {"A": "b", "B": "a"}.get(str((second or {}).get("winner")), "tie")
    winner = forward if forward == backward else "tie"
    reason = f"a-first: {(first or {}).get('reason', '?')}; b-first: {(second or {}).get('reason', '?')}"
    if forward != backward:
        reason = f"the two orders disagree ({forward} / {backward}); {reason}"
    return PairwiseVerdict(winner, reason[:2000], (r1, r2))


class PairwiseJudge(ModelScorer):
    """`pairwise`: the output against the case's expected (baseline) answer; 1 win, 0.5 tie, 0 loss."""

    def __init__(self, client: ModelClient, model: str, criteria: str, threshold: float, seed: int) -> None:
        self.name = "pairwise"
        self.client = client
        self.model = model
        self.criteria = criteria
        self.threshold = threshold
        self.seed = seed

    async def score(self, sample: Sample) -> ScoreResult:
        if sample.expected is None:
            return self.error("pairwise needs the case's expected (baseline) answer to compare with")
        question = orjson.dumps(dict(sample.vars)).decode() if sample.vars else ""
        try:
            verdict = await compare_pair(self.client, self.model, question, sample.output, sample.expected,
                                         criteria=self.criteria, seed=self.seed)  # fmt: skip
        except ModelCallError as exc:
            return self.error(f"judge {self.model} failed: {exc.message}")
        value = {"a": 1.0, "tie": 0.5, "b": 0.0}[verdict.winner]
        outcome = {"a": "output wins", "tie": "tie", "b": "baseline wins"}[verdict.winner]
        ok = value >= self.threshold
        return ScoreResult(value, ok, f"{outcome}: {verdict.reason}", self.name, self.version, judges=verdict.judges)


@scorer("pairwise")
def _pairwise(spec: SpecReader, context: ScorerContext) -> ModelScorer:
    criteria = spec.text(required=False) or DEFAULT_CRITERIA
    seed = spec.integer("seed", default=0, low=0, high=2**31 - 1)
    model = model_for(spec, context.judge_model, "judge")
    return PairwiseJudge(client_for(spec, context), model, criteria, spec.threshold(0.5), seed)
