"""The terms detector: configured lists on word boundaries, topics, and user patterns with a timeout."""

from __future__ import annotations

import pytest

from rungway.guardrails.public import DetectorOptionError, detector


def test_terms_match_whole_words_case_insensitively_by_default() -> None:
    scanner = detector("terms", terms=["acme corp"], topics={"weapons": ["rifle"]})
    text = "ACME Corp sells a Rifle; acmecorp and rifles do not count"
    assert [(f.rule, text[f.start : f.end]) for f in scanner.scan(text)] == [
        ("terms.blocked", "ACME Corp"),
        ("terms.topic.weapons", "Rifle"),
    ]


def test_options_for_case_inside_words_and_patterns() -> None:
    assert detector("terms", terms=["Acme"], case_sensitive=True).scan("acme") == []
    assert len(detector("terms", terms=["acme"], whole_words=False).scan("acmecorp")) == 1
    assert [f.rule for f in detector("terms", patterns={"ticket": r"TCK-\d{4}"}).scan("see TCK-1234")] == [
        "terms.pattern.ticket"
    ]


def test_a_catastrophic_pattern_is_cut_short_not_stalled() -> None:
    scanner = detector("terms", patterns={"bad": r"(a+)+$"})
    assert scanner.scan("a" * 5000 + "!") == []


def test_bad_options_are_refused() -> None:
    with pytest.raises(DetectorOptionError):
        detector("terms", terms="acme")
    with pytest.raises(DetectorOptionError):
        detector("terms", patterns={"x": "("})
