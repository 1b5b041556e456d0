"""Structured-output assertions: is-json and contains-json (each with an optional JSON Schema), numeric closeness.

A schema is compiled once with jsonschema-rs when the assertion is built (an invalid schema is refused
there, naming the field); scoring parses the output with orjson and validates it.
"""

from __future__ import annotations

import json
import math
import re

import jsonschema_rs
import orjson

from rungway.evals.scorers.base import Sample, Scorer, ScoreResult
from rungway.evals.scorers.registry import scorer
from rungway.evals.scorers.spec import ScorerContext, SpecReader

__all__ = ["MAX_JSON_CANDIDATES", "ContainsJson", "IsJson", "Numeric", "first_number"]

MAX_JSON_CANDIDATES = 200  # positions contains-json tries to decode from: bounds its work on long outputs
_DECODER = json.JSONDecoder()
_NUMBER = re.compile(r"[-+]?(?:\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?")


def _compile(spec: SpecReader) -> jsonschema_rs.Validator | None:
    schema = spec.get("value")
    if schema is None:
        return None
    if not isinstance(schema, dict):
        raise spec.error("value", "expected a JSON Schema mapping", "write the schema inline, e.g. {type: object}")
    try:
        return jsonschema_rs.validator_for(dict(schema))
    except (jsonschema_rs.ValidationError, ValueError) as exc:
        raise spec.error("value", f"is not a valid JSON Schema: {str(exc).splitlines()[0]}", "fix the schema") from None


def _schema_problem(validator: jsonschema_rs.Validator | None, value: object) -> str | None:
    if validator is None:
        return None
    error = next(iter(validator.iter_errors(value)), None)
    if error is None:
        return None
    path = "/".join(str(p) for p in error.instance_path) or "(root)"
    return f"at {path}: {error.message[:200]}"


class IsJson(Scorer):
    """The whole output is JSON (and, with a schema, conforms to it)."""

    def __init__(self, validator: jsonschema_rs.Validator | None) -> None:
        self.name = "is-json"
        self.validator = validator

    def score(self, sample: Sample) -> ScoreResult:
        try:
            value = orjson.loads(sample.output)
        except orjson.JSONDecodeError as exc:
            return self.verdict(False, f"output is not JSON: {str(exc)[:120]}")
        problem = _schema_problem(self.validator, value)
        if problem:
            return self.verdict(False, f"JSON does not match the schema {problem}")
        return self.verdict(True, "output is JSON" + (" matching the schema" if self.validator else ""))


@scorer("is-json")
def _is_json(spec: SpecReader, context: ScorerContext) -> Scorer:
    spec.no_threshold()
    return IsJson(_compile(spec))


def json_candidates(text: str) -> list[object]:
    """JSON objects and arrays found in text (e.g. inside a code fence), in order; bounded work."""
    found: list[object] = []
    tried = 0
    index = 0
    while tried < MAX_JSON_CANDIDATES:
        starts = [p for p in (text.find("{", index), text.find("[", index)) if p >= 0]
        if not starts:
            break
        start = min(starts)
        tried += 1
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            index = start + 1
            continue
        found.append(value)
        index = end
    return found


class ContainsJson(Scorer):
    """Some JSON object or array in the output parses (and, with a schema, one conforms to it)."""

    def __init__(self, validator: jsonschema_rs.Validator | None) -> None:
        self.name = "contains-json"
        self.validator = validator

    def score(self, sample: Sample) -> ScoreResult:
        candidates = json_candidates(sample.output)
        if not candidates:
            return self.verdict(False, "no JSON object or array in the output")
        problem = None
        for value in candidates:
            problem = _schema_problem(self.validator, value)
            if problem is None:
                return self.verdict(True, "output contains JSON" + (" matching the schema" if self.validator else ""))
        return self.verdict(False, f"no JSON in the output matches the schema (last {problem})")


@scorer("contains-json")
def _contains_json(spec: SpecReader, context: ScorerContext) -> Scorer:
    spec.no_threshold()
    return ContainsJson(_compile(spec))


def first_number(text: str) -> float | None:
    """The output as a number: the whole text if it is one, else the first number in it (1,234.5 reads as 1234.5)."""
    stripped = text.strip()
    try:
        return float(stripped)
    except ValueError:
        pass
    match = _NUMBER.search(text[:10_000])
    return float(match.group(0).replace(",", "")) if match else None


class Numeric(Scorer):
    """The number in the output is within `threshold` (absolute) of the expected number."""

    def __init__(self, expected: float, tolerance: float) -> None:
        self.name = "numeric"
        self.expected = expected
        self.tolerance = tolerance

    def score(self, sample: Sample) -> ScoreResult:
        actual = first_number(sample.output)
        if actual is None or not math.isfinite(actual):
            return self.verdict(False, "no number in the output")
        diff = abs(actual - self.expected)
        ok = diff <= self.tolerance
        return self.verdict(ok, f"{actual:g} is {diff:g} from {self.expected:g} (tolerance {self.tolerance:g})")


@scorer("numeric")
def _numeric(spec: SpecReader, context: ScorerContext) -> Scorer:
    expected = spec.required_number("value", example="42")
    tolerance = spec.number("threshold", default=0.0, low=0.0)
    return Numeric(expected, tolerance or 0.0)
