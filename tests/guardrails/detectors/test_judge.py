"""The `judge` detector on its own: options, verdicts, and every way a judge can fail becoming `judge.error`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from rungway.errors import ConfigError
from rungway.guardrails.config import parse_guardrails
from rungway.guardrails.detectors.judge import JUDGE_SCHEMA, JudgeDetector, parse_verdict
from rungway.guardrails.install import _check_judges
from rungway.guardrails.public import (
    AsyncDetector,
    DetectorOptionError,
    Finding,
    ScanContext,
    detector,
    detector_names,
    scan_all,
)

RUBRIC = "the text asks for instructions to harm someone"


class Judge:
    """A JudgeClient answering a fixed text (or raising, or never answering), keeping what it was asked."""

    def __init__(self, answer: str = "", error: Exception | None = None, hang: bool = False) -> None:
        self.answer, self.error, self.hang = answer, error, hang
        self.asked: list[tuple[str, list[dict[str, str]], dict[str, Any], float]] = []

    async def complete(
        self, model: str, messages: list[dict[str, str]], response_format: dict[str, Any], timeout_s: float
    ) -> str:
        self.asked.append((model, messages, response_format, timeout_s))
        if self.hang:
            await asyncio.Event().wait()
        if self.error is not None:
            raise self.error
        return self.answer


def _judge(**options: Any) -> JudgeDetector:
    built = detector("judge", model="judge-model", rubric=RUBRIC, **options)
    assert isinstance(built, JudgeDetector)
    return built


def _scan(judge: JudgeDetector, text: str, client: Judge | None) -> list[Finding]:
    return list(asyncio.run(judge.ascan(text, ScanContext(judge=client))))


def test_the_judge_is_a_registered_async_detector_that_scan_all_leaves_out() -> None:
    assert "judge" in detector_names()
    judge = _judge()
    assert isinstance(judge, AsyncDetector)
    assert judge.scan("anything") == ()  # sync callers (streams) are not judged
    assert all(f.detector != "judge" for f in scan_all("mail alice.smith@example.com"))


def test_a_score_at_the_threshold_is_a_violation_covering_the_whole_text() -> None:
    client = Judge(json.dumps({"score": 0.8, "reason": "asks for harm"}))
    text = "how do I hurt my neighbour"
    (finding,) = _scan(_judge(threshold=0.8, kind="HARM"), text, client)
    assert finding == Finding("judge", "judge.violation", "HARM", 0, len(text), 0.8)
    model, messages, response_format, timeout = client.asked[0]
    assert model == "judge-model" and response_format == JUDGE_SCHEMA and timeout == 5.0
    assert RUBRIC in messages[0]["content"] and messages[1] == {"role": "user", "content": text}


def test_a_score_below_the_threshold_is_no_finding_and_the_text_sent_is_bounded() -> None:
    client = Judge('{"score": 0.2, "reason": "fine"}')
    assert _scan(_judge(max_chars=100), "x" * 500, client) == []
    assert len(client.asked[0][1][1]["content"]) == 100


@pytest.mark.parametrize(
    "answer",
    ["not json", "[]", '{"score": "high"}', '{"score": 1.5}', '{"score": true}', '{"reason": "x"}', "9" * 5000],
)
def test_a_malformed_answer_is_a_flagged_judge_error(answer: str) -> None:
    (finding,) = _scan(_judge(), "some text", Judge(answer))
    assert (finding.rule, finding.action, finding.start, finding.end) == ("judge.error", "flag", 0, 9)


def test_a_failed_or_slow_judge_or_none_at_all_is_a_judge_error() -> None:
    for client in (Judge(error=RuntimeError("upstream down")), Judge(hang=True), None):
        (finding,) = _scan(_judge(timeout=0.1), "some text", client)
        assert finding.rule == "judge.error" and finding.action == "flag"


def test_on_error_block_makes_a_failed_judge_block() -> None:
    (finding,) = _scan(_judge(on_error="block"), "some text", Judge("nope"))
    assert finding.action == "block"


def test_blank_text_is_not_sent_to_the_judge() -> None:
    client = Judge('{"score": 1, "reason": "x"}')
    assert _scan(_judge(), "   ", client) == [] and client.asked == []


def test_parse_verdict_reads_the_score_only_when_it_is_a_fraction() -> None:
    assert parse_verdict('{"score": 1, "reason": "r"}') == 1.0
    assert parse_verdict('{"score": NaN}') is None and parse_verdict('{"score": -0.1}') is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rubric": RUBRIC}, "`model` is required"),
        ({"model": "m"}, "`rubric`"),
        ({"model": "m", "rubric": RUBRIC, "threshold": 2}, "threshold"),
        ({"model": "m", "rubric": RUBRIC, "timeout": 600}, "timeout"),
        ({"model": "m", "rubric": RUBRIC, "kind": "judged"}, "kind"),
        ({"model": "m", "rubric": RUBRIC, "max_chars": 10}, "max_chars"),
        ({"model": "m", "rubric": RUBRIC, "on_error": "explode"}, "on_error"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(DetectorOptionError, match=message):
        detector("judge", **options)


def test_config_refuses_redacting_a_judged_finding_naming_the_key_and_the_fix() -> None:
    raw = {"default": {"input": {"judge": {"action": "redact", "options": {"model": "m", "rubric": RUBRIC}}}}}
    with pytest.raises(ConfigError) as refused:
        parse_guardrails(raw, "rungway.yaml")
    message = str(refused.value)
    assert "guardrails.default.input.judge.action" in message and "action: block" in message


def test_config_errors_in_options_name_the_key_path() -> None:
    raw = {"default": {"output": {"judge": {"action": "flag", "options": {"rubric": RUBRIC}}}}}
    with pytest.raises(ConfigError, match=r"guardrails\.default\.output\.judge\.options: .*`model` is required"):
        parse_guardrails(raw, "rungway.yaml")


def test_a_judge_model_the_gateway_does_not_serve_is_refused_at_start() -> None:
    raw = {"default": {"input": {"judge": {"action": "flag", "options": {"model": "nope", "rubric": RUBRIC}}}}}
    config = parse_guardrails(raw, "rungway.yaml")
    _check_judges(config, {"nope"})
    with pytest.raises(ConfigError, match=r"guardrails\.default\.input\.judge\.options\.model: .*'nope'"):
        _check_judges(config, {"gpt-4o-mini"})
