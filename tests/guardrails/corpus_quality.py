"""Precision and recall of a detector on a labelled corpus (`corpus/*.jsonl`), per detector and per rule.

A detector's finding counts as a true positive only when its rule and its exact span match a labelled
value; a span that is off by one character is both a false positive and a false negative. Shared by
`test_quality.py` (which asserts the floor) and `bench/guardrails/quality.py` (which prints the table).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rungway.guardrails.public import Detector

CORPUS = Path(__file__).parent / "corpus"


@dataclass
class Quality:
    """Counts for one detector on one corpus, with the same counts per rule and the misses for a report."""

    items: int = 0
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def ratio(hits: int, total: int) -> float:
        return hits / total if total else 1.0

    def precision(self, rule: str | None = None) -> float:
        tp = self.tp[rule] if rule else sum(self.tp.values())
        return self.ratio(tp, tp + (self.fp[rule] if rule else sum(self.fp.values())))

    def recall(self, rule: str | None = None) -> float:
        tp = self.tp[rule] if rule else sum(self.tp.values())
        return self.ratio(tp, tp + (self.fn[rule] if rule else sum(self.fn.values())))

    def rules(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))


def measure(detector: Detector, corpus: str) -> Quality:
    quality = Quality()
    for line in (CORPUS / f"{corpus}.jsonl").read_text().splitlines():
        case = json.loads(line)
        text = case["text"]
        quality.items += 1
        expected = set()
        for f in case["findings"]:
            start = text.index(f["value"])
            expected.add((f["rule"], start, start + len(f["value"])))
        got = {(f.rule, f.start, f.end) for f in detector.scan(text)}
        for rule, _, _ in got & expected:
            quality.tp[rule] += 1
        for rule, start, end in got - expected:
            quality.fp[rule] += 1
            quality.misses.append(f"FP {rule} {text[start:end]!r} in {text[:80]!r}")
        for rule, start, end in expected - got:
            quality.fn[rule] += 1
            quality.misses.append(f"FN {rule} {text[start:end]!r} in {text[:80]!r}")
    return quality
