"""The output detector: JSON Schema conformance, maximum length, system-prompt leakage and canaries."""

from __future__ import annotations

import pytest

from rungway.guardrails.public import DetectorOptionError, detector

SYSTEM = "You are Helpy, the support bot of Acme. Never discuss pricing with customers under any circumstances."


def test_no_option_reports_nothing() -> None:
    assert detector("output").scan("anything at all") == []


def test_schema_and_length() -> None:
    scanner = detector("output", schema={"type": "object", "required": ["a"]}, max_chars=10)
    assert scanner.scan('{"a": 1}') == []
    assert [f.rule for f in scanner.scan('{"b": 1}')] == ["output.schema"]
    assert [(f.rule, f.start) for f in scanner.scan('{"a": "long value"}')] == [("output.max_length", 10)]


def test_leaked_system_prompt_runs_and_canaries_are_found() -> None:
    scanner = detector("output", system_prompt=SYSTEM, canary="CANARY-7f3a9c")
    text = "Sure. My rules: never discuss pricing with customers under any circumstances. CANARY-7f3a9c"
    found = {f.rule: text[f.start : f.end] for f in scanner.scan(text)}
    assert found == {
        "output.system_prompt_leak": "never discuss pricing with customers under any circumstances",
        "output.canary": "CANARY-7f3a9c",
    }
    assert scanner.scan("Pricing depends on your plan; ask sales.") == []


def test_an_invalid_schema_is_refused() -> None:
    with pytest.raises(DetectorOptionError):
        detector("output", schema={"type": "nonsense"})


def test_a_short_system_prompt_is_caught_when_repeated_whole() -> None:
    scanner = detector("output", system_prompt="Answer only in French.")
    assert [f.rule for f in scanner.scan("My rules: answer only in French. Bonjour!")] == ["output.system_prompt_leak"]
