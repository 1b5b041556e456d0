"""The structured detectors hold precision and recall >= 0.95 on the shipped labelled corpora."""

from __future__ import annotations

import json

import pytest

from rungway.guardrails.public import detector
from tests.guardrails.corpus_quality import CORPUS, measure

FLOOR = 0.95


@pytest.mark.parametrize("name", ["pii", "secrets"])
def test_structured_detector_meets_the_precision_and_recall_floor(name: str) -> None:
    quality = measure(detector(name), name)
    assert quality.items >= 150
    report = "\n".join(quality.misses)
    assert quality.precision() >= FLOOR, report
    assert quality.recall() >= FLOOR, report
    for rule in quality.rules():
        assert quality.recall(rule) >= 0.9, f"{rule}: {report}"


def test_injection_corpus_is_scored_by_text_with_most_attacks_caught() -> None:
    scorer = detector("injection")
    cases = [json.loads(line) for line in (CORPUS / "injection.jsonl").read_text().splitlines()]
    caught = sum(1 for c in cases if c["attack"] and scorer.scan(c["text"]))
    flagged_benign = sum(1 for c in cases if not c["attack"] and scorer.scan(c["text"]))
    attacks = sum(1 for c in cases if c["attack"])
    assert caught / attacks >= 0.9
    assert flagged_benign <= 2
