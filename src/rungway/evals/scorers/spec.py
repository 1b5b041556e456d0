"""Reading an assertion spec `{type, value?, threshold?, weight?, metric?, ...}` at the edge.

A spec comes from a dataset file, a promptfoo test file or an API body; it is checked once, when the
scorer is built, so scoring never meets a bad value. `SpecReader` hands each scorer factory typed getters
that raise `InvalidAssertion` naming where the spec came from (`where`: the file and line, the case), the
field, what was wrong and the fix; like `settings/sections.py`'s `ConfigMapping`, it remembers the keys a
factory read, and `finish()` refuses any other key with the closest known one.
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass

from rungway.errors import InvalidRequest
from rungway.evals.scorers.base import JsonValue
from rungway.evals.scorers.models import ModelClient

__all__ = [
    "MAX_LIST_ITEMS",
    "MAX_TEXT_CHARS",
    "InvalidAssertion",
    "ScorerContext",
    "SpecReader",
]

MAX_TEXT_CHARS = 100_000  # an expected value or rubric; a whole reference document fits
MAX_LIST_ITEMS = 1_000
MAX_NAME_CHARS = 200


class InvalidAssertion(InvalidRequest):
    """An assertion spec is wrong: the message names where it came from, the field and the fix."""

    default_code = "invalid_assertion"


@dataclass(frozen=True, slots=True)
class ScorerContext:
    """What a factory may need beyond the spec: the model client for model-graded scorers, the default
    judge and embedding models (a spec's `model` overrides them), and whether `python` assertions may import
    the code they name: only for specs from the team's own files (the CLI), never for a spec sent to a server.
    """

    models: ModelClient | None = None
    judge_model: str | None = None
    embedding_model: str | None = None
    allow_python: bool = False


class SpecReader:
    """Typed, bounded access to one spec's fields for the factory of its type."""

    def __init__(self, raw: Mapping[str, JsonValue], type_name: str, where: str) -> None:
        self.raw = raw
        self.type = type_name
        self.where = where
        self.asked: set[str] = {"type", "weight", "metric"}

    def error(self, key: str, problem: str, fix: str) -> InvalidAssertion:
        return InvalidAssertion(f"{self.where}: {key}: {problem} ({self.type}). Fix: {fix}", param=key)

    def has(self, key: str) -> bool:
        self.asked.add(key)
        return key in self.raw and self.raw[key] is not None

    def get(self, key: str) -> JsonValue:
        self.asked.add(key)
        return self.raw.get(key)

    def text(self, key: str = "value", *, required: bool = True, max_chars: int = MAX_TEXT_CHARS) -> str | None:
        """A string (numbers are written as text, as promptfoo does); None when absent and not required."""
        raw = self.get(key)
        if raw is None:
            if required:
                raise self.error(key, "is missing", f"write the {key} this assertion checks, e.g. {key}: 'Paris'")
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise self.error(key, f"expected a string, got {_kind(raw)}", f"write {key} as a string")
        text = raw if isinstance(raw, str) else _number_text(raw)
        if len(text) > max_chars:
            raise self.error(key, f"is {len(text)} characters, over the {max_chars} limit", "shorten it")
        return text

    def texts(self, key: str = "value") -> tuple[str, ...]:
        """A non-empty list of strings, or one comma-separated string (promptfoo's CSV form, quotes allowed)."""
        raw = self.get(key)
        if isinstance(raw, str):
            items: list[JsonValue] = [s.strip() for s in next(csv.reader([raw], skipinitialspace=True), [])]
        elif isinstance(raw, list):
            items = raw
        else:
            raise self.error(key, f"expected a list of strings, got {_kind(raw)}", f"write {key}: [first, second]")
        if not items or len(items) > MAX_LIST_ITEMS:
            raise self.error(key, f"has {len(items)} items", f"list 1 to {MAX_LIST_ITEMS} strings")
        out = []
        for index, item in enumerate(items):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.error(f"{key}[{index}]", f"expected a string, got {_kind(item)}", "write a string")
            text = item if isinstance(item, str) else _number_text(item)
            if not text or len(text) > MAX_TEXT_CHARS:
                raise self.error(f"{key}[{index}]", "is empty or too long", f"write 1 to {MAX_TEXT_CHARS} characters")
            out.append(text)
        return tuple(out)

    def number(
        self, key: str, *, default: float | None = None, low: float = -math.inf, high: float = math.inf
    ) -> float | None:
        """A finite number in [low, high]; `default` when absent."""
        raw = self.get(key)
        if raw is None:
            return None if default is None else float(default)
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise self.error(key, f"expected a number, got {_kind(raw)}", f"write a number from {low:g} to {high:g}")
        if not low <= raw <= high:
            raise self.error(key, f"{raw:g} is out of range", f"write a number from {low:g} to {high:g}")
        return float(raw)

    def integer(self, key: str, *, default: int, low: int, high: int) -> int:
        """A whole number in [low, high]; `default` when absent."""
        value = self.number(key, default=default, low=low, high=high)
        if value is None or not value.is_integer():
            raise self.error(key, f"{value:g} is not a whole number", f"write a whole number from {low} to {high}")
        return int(value)

    def required_number(self, key: str, *, low: float = -math.inf, high: float = math.inf, example: str) -> float:
        value = self.number(key, low=low, high=high)
        if value is None:
            raise self.error(key, "is missing", f"write e.g. {key}: {example}")
        return value

    def threshold(self, default: float) -> float:
        """A score threshold in [0, 1]: the result passes when its value is at least this."""
        value = self.number("threshold", default=default, low=0.0, high=1.0)
        return default if value is None else value

    def no_threshold(self) -> None:
        """Pass/fail assertions take no threshold: refuse one rather than ignore it."""
        if self.has("threshold"):
            raise self.error("threshold", "this assertion is pass/fail and takes no threshold", "remove threshold")

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        raw = self.get(key)
        if raw is None:
            return default
        if raw not in options:
            raise self.error(key, f"{raw!r} is not one of {', '.join(options)}", f"write one of {', '.join(options)}")
        return str(raw)

    def mapping(self, key: str = "value", *, required: bool = True) -> Mapping[str, JsonValue] | None:
        raw = self.get(key)
        if raw is None and not required:
            return None
        if not isinstance(raw, dict):
            raise self.error(key, f"expected a mapping, got {_kind(raw)}", f"write {key} as a mapping")
        return raw

    def finish(self, extra: tuple[str, ...] = ()) -> None:
        """Refuse keys the factory did not read, naming the closest known one."""
        unknown = sorted(set(self.raw) - self.asked - set(extra))
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(key, sorted(self.asked), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(self.asked))}"
            raise self.error(key, "is not a key this assertion reads", f"remove it; {hint}")


def _number_text(value: int | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    return "a mapping" if isinstance(value, dict) else type(value).__name__
