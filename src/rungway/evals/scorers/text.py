"""Text assertions: equals, contains (any / all / case-insensitive), starts-with, regex, word and character counts.

Semantics follow promptfoo's assertions of the same names. Each scorer's work is a few string operations
on the output: these are the ones the eval runner's 1 ms-per-case budget is measured with.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import regex

from rungway.evals.scorers.base import JsonValue, Sample, Scorer, ScoreResult, json_equal
from rungway.evals.scorers.registry import scorer
from rungway.evals.scorers.spec import ScorerContext, SpecReader

__all__ = [
    "MAX_REGEX_INPUT_CHARS",
    "MAX_REGEX_PATTERN_CHARS",
    "REGEX_TIMEOUT_S",
    "Contains",
    "Equals",
    "LengthBounds",
    "RegexMatch",
    "StartsWith",
]

# `regex` (not `re`) for its per-match timeout: a pattern that backtracks catastrophically on some output
# gives an errored score after REGEX_TIMEOUT_S instead of stalling the run; both lengths are capped too.
MAX_REGEX_PATTERN_CHARS = 1_000
MAX_REGEX_INPUT_CHARS = 1_000_000
REGEX_TIMEOUT_S = 0.05


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


class Equals(Scorer):
    """The output is exactly the expected text, or (for a JSON value) parses to an equal JSON value."""

    def __init__(self, expected: str | None, expected_json: JsonValue | None = None, is_json: bool = False) -> None:
        self.name = "equals"
        self.expected = expected
        self.expected_json = expected_json
        self.is_json = is_json

    def score(self, sample: Sample) -> ScoreResult:
        if self.is_json:
            try:
                actual = orjson.loads(sample.output)
            except orjson.JSONDecodeError:
                return self.verdict(False, "output is not JSON, expected a JSON value")
            same = json_equal(actual, self.expected_json)
            return self.verdict(same, "output equals the expected JSON" if same else "output JSON differs")
        expected = self.expected if self.expected is not None else sample.expected
        if expected is None:
            return self.error("no value and no expected output to compare with")
        same = sample.output == expected
        return self.verdict(
            same, "output equals the expected text" if same else f"output differs from {_shown(expected)}"
        )


@scorer("equals")
def _equals(spec: SpecReader, context: ScorerContext) -> Scorer:
    spec.no_threshold()
    raw = spec.get("value")
    if isinstance(raw, dict | list):
        return Equals(None, raw, is_json=True)
    return Equals(spec.text(required=False))


@dataclass(frozen=True, slots=True)
class _Mode:
    many: bool
    require_all: bool
    ignore_case: bool


class Contains(Scorer):
    """The output contains one value, any of several, or all of them; optionally ignoring case."""

    def __init__(self, name: str, needles: tuple[str, ...], mode: _Mode) -> None:
        self.name = name
        self.mode = mode
        self.needles = tuple(n.lower() for n in needles) if mode.ignore_case else needles
        self.shown = needles

    def score(self, sample: Sample) -> ScoreResult:
        haystack = sample.output.lower() if self.mode.ignore_case else sample.output
        if not self.mode.many:
            found = self.needles[0] in haystack
            return self.verdict(found, f"{'found' if found else 'did not find'} {_shown(self.shown[0])}")
        hits = [needle in haystack for needle in self.needles]
        if self.mode.require_all:
            missing = [s for s, hit in zip(self.shown, hits, strict=True) if not hit]
            if missing:
                return self.verdict(
                    False, f"missing {len(missing)} of {len(hits)}: {', '.join(map(_shown, missing[:5]))}"
                )
            return self.verdict(True, f"found all {len(hits)}")
        if any(hits):
            first = next(s for s, hit in zip(self.shown, hits, strict=True) if hit)
            return self.verdict(True, f"found {_shown(first)}")
        return self.verdict(False, f"found none of {len(hits)}")


def _contains_factory(type_name: str, mode: _Mode) -> None:
    @scorer(type_name)
    def build(spec: SpecReader, context: ScorerContext) -> Scorer:
        spec.no_threshold()
        if mode.many:
            return Contains(type_name, spec.texts(), mode)
        text = spec.text()
        assert text is not None
        if not text:
            raise spec.error("value", "is empty, which every output contains", "write the text to look for")
        return Contains(type_name, (text,), mode)


for _name, _mode in {
    "contains": _Mode(False, False, False),
    "icontains": _Mode(False, False, True),
    "contains-any": _Mode(True, False, False),
    "icontains-any": _Mode(True, False, True),
    "contains-all": _Mode(True, True, False),
    "icontains-all": _Mode(True, True, True),
}.items():
    _contains_factory(_name, _mode)


class StartsWith(Scorer):
    """The output begins with the value."""

    def __init__(self, prefix: str) -> None:
        self.name = "starts-with"
        self.prefix = prefix

    def score(self, sample: Sample) -> ScoreResult:
        ok = sample.output.startswith(self.prefix)
        return self.verdict(ok, f"output {'starts' if ok else 'does not start'} with {_shown(self.prefix)}")


@scorer("starts-with")
def _starts_with(spec: SpecReader, context: ScorerContext) -> Scorer:
    spec.no_threshold()
    text = spec.text()
    assert text is not None
    return StartsWith(text)


class RegexMatch(Scorer):
    """The output matches the pattern somewhere (a search, as JavaScript's `RegExp.test`)."""

    def __init__(self, pattern: regex.Pattern[str]) -> None:
        self.name = "regex"
        self.pattern = pattern

    def score(self, sample: Sample) -> ScoreResult:
        if len(sample.output) > MAX_REGEX_INPUT_CHARS:
            return self.error(
                f"output is {len(sample.output)} characters, over the {MAX_REGEX_INPUT_CHARS} regex limit"
            )
        try:
            match = self.pattern.search(sample.output, timeout=REGEX_TIMEOUT_S)
        except TimeoutError:
            return self.error(f"regex gave up after {REGEX_TIMEOUT_S * 1000:g} ms (catastrophic backtracking?)")
        if match is None:
            return self.verdict(False, f"no match for /{self.pattern.pattern}/")
        return self.verdict(True, f"matched {_shown(match.group(0))}")


@scorer("regex")
def _regex(spec: SpecReader, context: ScorerContext) -> Scorer:
    spec.no_threshold()
    text = spec.text(max_chars=MAX_REGEX_PATTERN_CHARS)
    assert text is not None
    try:
        return RegexMatch(regex.compile(text))
    except regex.error as exc:
        raise spec.error("value", f"is not a valid regular expression: {exc}", "fix the pattern") from None


class LengthBounds(Scorer):
    """The output's word count (`word-count`) or character count (`length`) is within [min, max]."""

    def __init__(self, name: str, low: int | None, high: int | None, words: bool) -> None:
        self.name = name
        self.low = low
        self.high = high
        self.words = words

    def score(self, sample: Sample) -> ScoreResult:
        count = len(sample.output.split()) if self.words else len(sample.output)
        unit = "words" if self.words else "characters"
        ok = (self.low is None or count >= self.low) and (self.high is None or count <= self.high)
        bounds = f"{self.low if self.low is not None else 0}..{self.high if self.high is not None else 'any'}"
        return self.verdict(ok, f"{count} {unit}, {'within' if ok else 'outside'} {bounds}")


def _bounds_factory(type_name: str, words: bool) -> None:
    @scorer(type_name)
    def build(spec: SpecReader, context: ScorerContext) -> Scorer:
        spec.no_threshold()
        raw = spec.get("value")
        if isinstance(raw, int) and not isinstance(raw, bool):
            if raw < 0:
                raise spec.error("value", f"{raw} is negative", "write a count >= 0")
            return LengthBounds(type_name, raw, raw, words)
        if not isinstance(raw, dict) or not raw or set(raw) - {"min", "max"}:
            raise spec.error("value", "expected a count or {min, max}", "write value: 50 or value: {min: 20, max: 100}")
        low, high = (_count(spec, raw.get(key), key) for key in ("min", "max"))
        if low is not None and high is not None and low > high:
            raise spec.error("value", f"min {low} is above max {high}", "swap them")
        return LengthBounds(type_name, low, high, words)


def _count(spec: SpecReader, raw: JsonValue, key: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise spec.error(f"value.{key}", f"expected a whole number >= 0, got {raw!r}", f"write e.g. {key}: 10")
    return raw


_bounds_factory("word-count", words=True)
_bounds_factory("length", words=False)
