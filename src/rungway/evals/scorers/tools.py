"""Tool-call assertions: the right function with the right arguments, tool-selection F1, schema validity.

`tool-call` is Rungway's (promptfoo checks traced tool arguments with `trajectory:tool-args-match`, whose
`name` / `arguments` / `mode: partial | exact` it follows): each expected call must be matched by one the
model made, by name and by arguments, either exactly or as a subset ("partial": every expected key
present with an equal value, recursively; extra keys allowed). `tool-call-f1` and
`is-valid-openai-tools-call` are promptfoo's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import jsonschema_rs
import orjson

from rungway.evals.scorers.base import JsonValue, Sample, Scorer, ScoreResult, ToolCall, json_equal
from rungway.evals.scorers.registry import scorer
from rungway.evals.scorers.spec import MAX_LIST_ITEMS, ScorerContext, SpecReader

__all__ = ["ExpectedCall", "ToolCallF1", "ToolCallMatch", "ValidToolsCall", "arguments_match"]


def arguments_match(expected: JsonValue, actual: JsonValue, partial: bool) -> bool:
    """Exact JSON equality, or (partial) expected as a recursive subset of actual (lists element by element)."""
    if not partial:
        return json_equal(expected, actual)
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and arguments_match(v, actual[k], partial) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(arguments_match(e, a, partial) for e, a in zip(expected, actual, strict=True))
        )
    return json_equal(expected, actual)


@dataclass(frozen=True, slots=True)
class ExpectedCall:
    """One call the model should make: a function name and, optionally, its arguments."""

    name: str
    arguments: Mapping[str, JsonValue] | None = None


def _parsed_arguments(call: ToolCall) -> JsonValue:
    try:
        value: JsonValue = orjson.loads(call.arguments or "{}")
    except orjson.JSONDecodeError:
        return None
    return value


class ToolCallMatch(Scorer):
    """Each expected call is matched by a distinct call the model made; value = the fraction matched."""

    def __init__(self, expected: tuple[ExpectedCall, ...], partial: bool) -> None:
        self.name = "tool-call"
        self.expected = expected
        self.partial = partial

    def score(self, sample: Sample) -> ScoreResult:
        if not sample.tool_calls:
            return self.verdict(False, "the model called no tool")
        unused = [(call, _parsed_arguments(call)) for call in sample.tool_calls]
        missing = []
        for want in self.expected:
            found = next(
                (
                    i
                    for i, (call, args) in enumerate(unused)
                    if call.name == want.name
                    and (want.arguments is None or arguments_match(dict(want.arguments), args, self.partial))
                ),
                None,
            )
            if found is None:
                missing.append(want.name)
            else:
                unused.pop(found)
        matched = len(self.expected) - len(missing)
        value = matched / len(self.expected)
        if missing:
            called = ", ".join(c.name for c in sample.tool_calls[:5])
            return self.result(value, False, f"no matching call for {', '.join(missing)} (called: {called})")
        return self.result(value, True, f"all {matched} expected calls made")


def _expected_call(spec: SpecReader, raw: JsonValue, key: str) -> ExpectedCall:
    if isinstance(raw, str) and raw:
        return ExpectedCall(raw)
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise spec.error(
            key, "expected {name, arguments?}", f"write {key}: {{name: get_weather, arguments: {{city: Paris}}}}"
        )
    unknown = set(raw) - {"name", "arguments", "args"}
    if unknown:
        raise spec.error(f"{key}.{sorted(unknown)[0]}", "is not a key of an expected call", "use name and arguments")
    arguments = raw.get("arguments", raw.get("args"))
    if arguments is not None and not isinstance(arguments, dict):
        raise spec.error(
            f"{key}.arguments", "expected a mapping of argument names to values", "write arguments: {city: Paris}"
        )
    return ExpectedCall(str(raw["name"]), arguments)


@scorer("tool-call")
def _tool_call(spec: SpecReader, context: ScorerContext) -> Scorer:
    spec.no_threshold()
    raw = spec.get("value")
    items = raw if isinstance(raw, list) else [raw]
    if not items or len(items) > MAX_LIST_ITEMS:
        raise spec.error("value", "expected one call or a list of calls", "write value: {name: get_weather}")
    expected = tuple(
        _expected_call(spec, item, f"value[{i}]" if isinstance(raw, list) else "value") for i, item in enumerate(items)
    )
    mode = spec.choice("mode", ("partial", "exact"), "partial")
    return ToolCallMatch(expected, partial=mode == "partial")


class ToolCallF1(Scorer):
    """F1 of the set of tool names called against the expected set (promptfoo's tool-call-f1)."""

    def __init__(self, expected: frozenset[str], threshold: float) -> None:
        self.name = "tool-call-f1"
        self.expected = expected
        self.threshold = threshold

    def score(self, sample: Sample) -> ScoreResult:
        actual = {call.name for call in sample.tool_calls}
        both = len(actual & self.expected)
        precision = both / len(actual) if actual else 0.0
        recall = both / len(self.expected)
        f1 = 2 * precision * recall / (precision + recall) if both else 0.0
        ok = f1 >= self.threshold
        return self.result(f1, ok, f"F1 {f1:.3f} (precision {precision:.3f}, recall {recall:.3f})")


@scorer("tool-call-f1")
def _tool_call_f1(spec: SpecReader, context: ScorerContext) -> Scorer:
    return ToolCallF1(frozenset(spec.texts()), spec.threshold(1.0))


class ValidToolsCall(Scorer):
    """Every tool call names a declared function and its arguments match that function's parameters schema."""

    def __init__(self, validators: Mapping[str, jsonschema_rs.Validator]) -> None:
        self.name = "is-valid-openai-tools-call"
        self.validators = validators

    def score(self, sample: Sample) -> ScoreResult:
        if not sample.tool_calls:
            return self.verdict(False, "the model called no tool")
        for call in sample.tool_calls:
            validator = self.validators.get(call.name)
            if validator is None:
                return self.verdict(False, f"{call.name!r} is not a declared tool")
            try:
                arguments = orjson.loads(call.arguments or "{}")
            except orjson.JSONDecodeError:
                return self.verdict(False, f"{call.name}: arguments are not JSON")
            error = next(iter(validator.iter_errors(arguments)), None)
            if error is not None:
                return self.verdict(False, f"{call.name}: arguments do not match its schema: {error.message[:200]}")
        return self.verdict(True, f"{len(sample.tool_calls)} tool calls match their schemas")


@scorer("is-valid-openai-tools-call")
def _valid_tools_call(spec: SpecReader, context: ScorerContext) -> Scorer:
    spec.no_threshold()
    raw = spec.get("value")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LIST_ITEMS:
        raise spec.error(
            "value",
            "expected the list of tools the model was offered",
            "write value: [{type: function, function: {name, parameters}}]",
        )
    validators: dict[str, jsonschema_rs.Validator] = {}
    for index, tool in enumerate(raw):
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(function, dict) or not isinstance(name, str) or not name:
            raise spec.error(
                f"value[{index}]",
                "expected {type: function, function: {name, parameters}}",
                "write an OpenAI tool definition",
            )
        parameters = function.get("parameters") or {"type": "object"}
        if not isinstance(parameters, dict):
            raise spec.error(f"value[{index}].function.parameters", "expected a JSON Schema mapping", "fix the schema")
        try:
            validators[name] = jsonschema_rs.validator_for(parameters)
        except (jsonschema_rs.ValidationError, ValueError, TypeError) as exc:
            raise spec.error(
                f"value[{index}].function.parameters",
                f"is not a valid JSON Schema: {str(exc).splitlines()[0]}",
                "fix the schema",
            ) from None
    return ValidToolsCall(validators)
