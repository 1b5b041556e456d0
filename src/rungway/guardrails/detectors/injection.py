"""The `injection` detector: prompt injection and jailbreak attempts, by scored heuristics over a versioned
pattern set shipped as data (`data/injection_patterns.json`).

A pattern is searched only when one of its anchors (a lower-case substring) occurs in the text, so ordinary
text costs one lower-casing and a few substring tests. The text's score combines the distinct patterns it
matches as independent evidence, 1 - prod(1 - weight); below the threshold nothing is reported, so one
weak cue ("ignore the previous paragraph") is not an attack while two together are. The detector's version
is the pattern set's, so a record says which set judged it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import orjson

from rungway.guardrails.detectors.base import DetectorOptionError, Finding
from rungway.guardrails.public import register_detector

__all__ = ["InjectionDetector", "InjectionPattern", "PatternSet", "load_patterns", "make_injection"]

NAME = "injection"


@dataclass(frozen=True, slots=True)
class InjectionPattern:
    """One heuristic: its id (the rule), category, weight as evidence, anchors and compiled expression."""

    id: str
    category: str
    weight: float
    anchors: tuple[str, ...]
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class PatternSet:
    """The shipped set: its version, default threshold and patterns."""

    version: str
    threshold: float
    patterns: tuple[InjectionPattern, ...]


@functools.cache
def load_patterns() -> PatternSet:
    """Read and compile the shipped pattern set once per process."""
    raw = orjson.loads(files("rungway.guardrails.detectors").joinpath("data/injection_patterns.json").read_bytes())
    patterns = tuple(
        InjectionPattern(
            id=p["id"],
            category=p["category"],
            weight=float(p["weight"]),
            anchors=tuple(a.lower() for a in p["anchors"]),
            regex=re.compile(p["regex"], re.IGNORECASE | re.MULTILINE),
        )
        for p in raw["patterns"]
    )
    return PatternSet(version=str(raw["version"]), threshold=float(raw["threshold"]), patterns=patterns)


class InjectionDetector:
    """Scores a text as an injection or jailbreak attempt; reports each matched pattern when the score passes."""

    name = NAME

    def __init__(self, patterns: PatternSet, threshold: float, categories: frozenset[str] | None) -> None:
        self.version = patterns.version
        self._threshold = threshold
        self._patterns = tuple(p for p in patterns.patterns if categories is None or p.category in categories)

    def score(self, text: str) -> tuple[float, list[tuple[InjectionPattern, int, int]]]:
        """The combined score and each matched pattern's first span."""
        lowered = text.lower()
        matched: list[tuple[InjectionPattern, int, int]] = []
        miss = 1.0
        for pattern in self._patterns:
            if not any(anchor in lowered for anchor in pattern.anchors):
                continue
            m = pattern.regex.search(text)
            if m is not None:
                matched.append((pattern, m.start(), max(m.end(), m.start() + 1)))
                miss *= 1.0 - pattern.weight
        return 1.0 - miss, matched

    def scan(self, text: str) -> Sequence[Finding]:
        total, matched = self.score(text)
        if total < self._threshold:
            return []
        rounded = round(total, 3)
        return [Finding(NAME, f"injection.{p.id}", "INJECTION", start, end, rounded) for p, start, end in matched]


@register_detector(NAME)
def make_injection(*, threshold: float | None = None, categories: Sequence[str] | None = None) -> InjectionDetector:
    """`threshold`: the combined score from which a text is reported (the set's default, 0.5, when omitted);
    `categories`: limit to some of injection, extraction, jailbreak."""
    patterns = load_patterns()
    known = {p.category for p in patterns.patterns}
    if threshold is not None and not 0.0 < threshold <= 1.0:
        raise DetectorOptionError(f"detector 'injection': threshold: expected 0 < t <= 1, got {threshold!r}")
    if categories is not None and (isinstance(categories, str) or not set(categories) <= known):
        raise DetectorOptionError(f"detector 'injection': categories: pick from {', '.join(sorted(known))}")
    chosen = None if categories is None else frozenset(categories)
    return InjectionDetector(patterns, patterns.threshold if threshold is None else threshold, chosen)
