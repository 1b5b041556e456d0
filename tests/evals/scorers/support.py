"""Helpers for scorer tests: build an assertion from a spec and score one output."""

from __future__ import annotations

import asyncio
from typing import Any

from rungway.evals.scorers import Assertion, Sample, ScorerContext, ScoreResult, score_case, scorer_from_spec


def build(spec: dict[str, Any], context: ScorerContext | None = None) -> Assertion:
    return scorer_from_spec(spec, where="cases.yaml:3 (case 'c1') assert[0]", context=context)


def judge(spec: dict[str, Any], output: str = "", context: ScorerContext | None = None, **sample: Any) -> ScoreResult:
    assertion = build(spec, context)
    return asyncio.run(score_case([assertion], Sample(output, **sample)))[0]
