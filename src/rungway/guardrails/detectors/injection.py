"""The `injection` detector: prompt injection and jailbreak attempts, by scored heuristics over a versioned
pattern set shipped as data (`data/injection_patterns.json`).

A pattern is searched only when one of its anchors (a lower-case substring) occurs in the text; every anchor
of the set is found in one Aho-Corasick pass over the lower-cased text, so ordinary text costs one
lower-casing and one linear scan, whatever the number of patterns. The text's score combines the distinct patterns it
matches as independent evidence, 1 - prod(1 - weight); below the threshold nothing is reported, so one
weak cue ("ignore the previous paragraph") is not an attack while two together are. The detector's version
is the pattern set's, so a record says which set judged it. Zero-width and bidi control characters are dropped
and full-width letters folded before matching ("ig\u200bnore"), with offsets mapped back to the original text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import ahocorasick_rs
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


# Invisible characters that split a word for the eye of a pattern but not for a model (zero-width spaces and
# joiners, soft hyphens, bidi controls), and full-width Latin letters: folded before matching.
_FOLD: dict[int, int | None] = dict.fromkeys(
    (0x00AD, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065), 0xFEFF)
)
_FOLD.update({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)})
_FOLD[0x3000] = 0x20


def _fold(text: str) -> tuple[str, list[int] | None]:
    """The text to match, and when characters were dropped, each kept character's index in the original."""
    if text.isascii():
        return text, None
    folded = text.translate(_FOLD)
    if len(folded) == len(text):
        return folded, None
    return folded, [i for i, ch in enumerate(text) if _FOLD.get(ord(ch), 0) is not None]


class InjectionDetector:
    """Scores a text as an injection or jailbreak attempt; reports each matched pattern when the score passes."""

    name = NAME

    def __init__(self, patterns: PatternSet, threshold: float, categories: frozenset[str] | None) -> None:
        self.version = patterns.version
        self._threshold = threshold
        self._patterns = tuple(p for p in patterns.patterns if categories is None or p.category in categories)
        anchors = sorted({a for p in self._patterns for a in p.anchors})
        self._anchors = ahocorasick_rs.AhoCorasick(anchors) if anchors else None
        # anchor index -> the patterns (by position, kept in the set's order) it lets through
        self._gated = tuple(
            frozenset(i for i, p in enumerate(self._patterns) if anchor in p.anchors) for anchor in anchors
        )

    def candidates(self, lowered: str) -> list[InjectionPattern]:
        """The patterns one of whose anchors occurs in the text, in the set's order."""
        if self._anchors is None:
            return []
        chosen: set[int] = set()
        for index in {m[0] for m in self._anchors.find_matches_as_indexes(lowered, overlapping=True)}:
            chosen |= self._gated[index]
        return [self._patterns[i] for i in sorted(chosen)]

    def score(self, text: str) -> tuple[float, list[tuple[InjectionPattern, int, int]]]:
        """The combined score and each matched pattern's first span (offsets into `text`)."""
        folded, index = _fold(text)
        lowered = folded.lower()
        matched: list[tuple[InjectionPattern, int, int]] = []
        miss = 1.0
        for pattern in self.candidates(lowered):
            m = pattern.regex.search(folded)
            if m is not None:
                start, end = m.start(), max(m.end(), m.start() + 1)
                if index is not None:
                    start, end = index[start], index[min(end, len(index)) - 1] + 1
                matched.append((pattern, start, end))
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
