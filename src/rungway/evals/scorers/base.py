"""The scorer interface: what a scorer reads (`Sample`), what it returns (`ScoreResult`), and its two kinds.

A deterministic scorer is a `Scorer` with a synchronous `score(sample)`: it runs inline in the eval runner,
so it must be cheap (the runner's budget is under 1 ms of CPU per case for scoring and storage together).
A scorer that calls a model (embedding similarity, LLM-as-judge) is a `ModelScorer` with an async `score`;
the runner awaits it alongside the case's other model calls. `Assertion` is one configured scorer from a
spec (its type as written, weight and metric name); `score_case` runs a case's assertions and
`case_outcome` combines their results the way promptfoo does (every weighted assertion must pass; the
score is the weighted mean).
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = [
    "Assertion",
    "CaseOutcome",
    "JsonValue",
    "JudgeRecord",
    "ModelScorer",
    "Sample",
    "ScoreResult",
    "Scorer",
    "ToolCall",
    "case_outcome",
    "json_equal",
    "score_case",
]

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None


def json_equal(a: JsonValue, b: JsonValue) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1 (Python's == says it is)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call the model asked for: its name and its arguments as the JSON text it wrote."""

    name: str
    arguments: str = "{}"


@dataclass(frozen=True, slots=True)
class Sample:
    """What a scorer judges: one model answer for one case, with what the case expects.

    `expected` is the case's expected output or reference answer (a comparison scorer falls back to it
    when its spec has no `value`); `vars` are the case's input variables; `latency_ms` and `cost_usd`
    are the call's, as the gateway measured and priced it (None when unknown).
    """

    output: str
    tool_calls: tuple[ToolCall, ...] = ()
    expected: str | None = None
    vars: Mapping[str, JsonValue] = field(default_factory=dict)
    latency_ms: float | None = None
    cost_usd: float | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JudgeRecord:
    """What a model-graded score rests on, kept with the score so it can be audited and replayed:
    the judge model, the seed, the exact messages sent, the raw reply and the gateway's request id."""

    model: str
    seed: int
    messages: tuple[tuple[str, str], ...]
    reply: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """One judgement: `value` in [0, 1], whether it passed its threshold, and why.

    `errored` means the scorer could not judge (no latency recorded, a regex that timed out, a judge whose
    reply was not JSON): it never passes, and `not-` does not turn it into a pass. `scorer` and `version`
    name the logic that judged, so stored scores stay comparable when a scorer changes.
    """

    value: float
    passed: bool
    explanation: str
    scorer: str
    version: str
    errored: bool = False
    judges: tuple[JudgeRecord, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.value <= 1.0:  # NaN fails this too
            raise ValueError(f"a score's value is in [0, 1]; {self.scorer} gave {self.value!r}")


class Scorer(abc.ABC):
    """A deterministic scorer: pure, synchronous and cheap. Subclasses set `name` and `version`."""

    name: str = ""
    version: str = "1"

    @abc.abstractmethod
    def score(self, sample: Sample) -> ScoreResult:
        """Judge one sample."""

    def result(self, value: float, passed: bool, explanation: str) -> ScoreResult:
        return ScoreResult(value, passed, explanation, self.name, self.version)

    def verdict(self, passed: bool, explanation: str) -> ScoreResult:
        """A pass/fail judgement: value 1.0 or 0.0."""
        return ScoreResult(1.0 if passed else 0.0, passed, explanation, self.name, self.version)

    def error(self, explanation: str) -> ScoreResult:
        return ScoreResult(0.0, False, explanation, self.name, self.version, errored=True)


class ModelScorer(abc.ABC):
    """A scorer that calls a model through the gateway (judge, embeddings): asynchronous."""

    name: str = ""
    version: str = "1"

    @abc.abstractmethod
    async def score(self, sample: Sample) -> ScoreResult:
        """Judge one sample; model calls go through the gateway, so they are traced and costed."""

    def error(self, explanation: str, judges: tuple[JudgeRecord, ...] = ()) -> ScoreResult:
        return ScoreResult(0.0, False, explanation, self.name, self.version, errored=True, judges=judges)


@dataclass(frozen=True, slots=True)
class Assertion:
    """One configured scorer from a spec: `type` as written (e.g. `not-contains`), its weight and the metric
    its results are aggregated under (the type unless the spec names one)."""

    type: str
    scorer: Scorer | ModelScorer
    weight: float = 1.0
    metric: str = ""

    @property
    def needs_model(self) -> bool:
        return isinstance(self.scorer, ModelScorer)


async def score_case(assertions: Sequence[Assertion], sample: Sample) -> list[ScoreResult]:
    """Every assertion's result, in order: deterministic ones inline, model-graded ones concurrently."""
    results: list[ScoreResult | None] = []
    pending: list[tuple[int, ModelScorer]] = []
    for index, assertion in enumerate(assertions):
        scorer = assertion.scorer
        if isinstance(scorer, Scorer):
            results.append(scorer.score(sample))
        else:
            results.append(None)
            pending.append((index, scorer))
    if pending:
        judged = await asyncio.gather(*(scorer.score(sample) for _, scorer in pending))
        for (index, _), result in zip(pending, judged, strict=True):
            results[index] = result
    return [r for r in results if r is not None]


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """A case's combined judgement: the weighted mean score and whether every weighted assertion passed."""

    score: float
    passed: bool


def case_outcome(assertions: Sequence[Assertion], results: Sequence[ScoreResult]) -> CaseOutcome:
    """Combine a case's results: an assertion of weight 0 is recorded only (no effect on score or pass)."""
    total = 0.0
    weighted = 0.0
    passed = True
    for assertion, result in zip(assertions, results, strict=True):
        if assertion.weight <= 0:
            continue
        total += assertion.weight
        weighted += assertion.weight * result.value
        passed = passed and result.passed
    return CaseOutcome(weighted / total if total else 1.0, passed)
