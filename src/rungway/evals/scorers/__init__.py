"""Scorers: one registry of assertion types that judge a model's output for the eval runner.

Build one from a spec with `scorer_from_spec({"type": "contains", "value": "Paris"}, where="cases.yaml:12")`;
run a case's assertions with `score_case`. Types follow promptfoo's names wherever one exists (docs/evals.md
has the reference). A new type registers with `@scorer("name")` in a module named under the
`rungway.scorers` entry-point group; the built-ins are declared there the same way.
"""

from rungway.evals.scorers.base import (
    Assertion,
    CaseOutcome,
    JsonValue,
    JudgeRecord,
    ModelScorer,
    Sample,
    Scorer,
    ScoreResult,
    ToolCall,
    case_outcome,
    score_case,
)
from rungway.evals.scorers.models import ChatReply, ChatRequest, ModelCallError, ModelClient
from rungway.evals.scorers.registry import ENTRY_POINT_GROUP, known_types, scorer, scorer_from_spec
from rungway.evals.scorers.spec import InvalidAssertion, ScorerContext, SpecReader

__all__ = [
    "ENTRY_POINT_GROUP",
    "Assertion",
    "CaseOutcome",
    "ChatReply",
    "ChatRequest",
    "InvalidAssertion",
    "JsonValue",
    "JudgeRecord",
    "ModelCallError",
    "ModelClient",
    "ModelScorer",
    "Sample",
    "ScoreResult",
    "Scorer",
    "ScorerContext",
    "SpecReader",
    "ToolCall",
    "case_outcome",
    "known_types",
    "score_case",
    "scorer",
    "scorer_from_spec",
]
