"""A small, seeded run of the quality benchmark (bench/anomalies/quality.py): the detector finds the planted
steps and spikes with few false alarms, and a static threshold at the same recall raises more."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from rungway.anomalies.detector import DetectorSettings

BENCH = Path(__file__).resolve().parents[2] / "bench" / "anomalies" / "quality.py"


@pytest.fixture(scope="module")
def quality() -> ModuleType:
    spec = importlib.util.spec_from_file_location("anomaly_quality_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_the_corpus_is_the_same_for_the_same_seed(quality: ModuleType) -> None:
    assert quality.make_corpus(6, 3) == quality.make_corpus(6, 3)
    assert quality.make_corpus(6, 3) != quality.make_corpus(6, 4)


def test_planted_steps_and_spikes_are_found_with_few_false_alarms(quality: ModuleType) -> None:
    settings = DetectorSettings()
    corpus = quality.make_corpus(24, 7)
    scores = quality.score(corpus, settings)
    for kind in ("step", "spike"):
        assert scores[kind].planted == 8
        assert scores[kind].recall >= 0.9, kind
        assert scores[kind].precision >= 0.9, kind
    assert scores["drift"].recall >= 0.75
    static_false = ours_false = 0
    for kind in ("step", "spike"):
        curve = quality.static_curve(corpus, kind, settings)
        best = max(p.recall for p in curve)
        static = quality.static_at_recall(curve, min(scores[kind].recall, best))
        assert static is not None
        assert static.false_alarms >= scores[kind].false_alarms, kind  # never worse, kind by kind
        static_false, ours_false = static_false + static.false_alarms, ours_false + scores[kind].false_alarms
    assert static_false > ours_false  # and better over both
