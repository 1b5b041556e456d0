"""`python` assertions: a team's function by `module:function` path, checked when built and when run."""

from __future__ import annotations

import pytest

from rungway.evals.scorers import InvalidAssertion, ScorerContext, ScoreResult
from tests.evals.scorers import support

MODULE = "tests.evals.scorers.custom_checks"
TRUSTED = ScorerContext(allow_python=True)


def judge(spec: dict[str, object], output: str) -> ScoreResult:
    return support.judge(spec, output, TRUSTED)


def build(spec: dict[str, object]) -> object:
    return support.build(spec, TRUSTED)


def test_python_assertions_are_refused_unless_the_context_trusts_the_spec() -> None:
    with pytest.raises(InvalidAssertion, match=r"type: python assertions are not allowed here"):
        support.build({"type": "python", "value": f"{MODULE}:is_polite"})
    with pytest.raises(InvalidAssertion, match=r"not allowed here"):
        support.build({"type": "python", "value": "os:system"})


def test_a_function_returning_a_bool_is_pass_fail() -> None:
    assert judge({"type": "python", "value": f"{MODULE}:is_polite"}, "Please sit").passed
    result = judge({"type": "python", "value": f"{MODULE}:is_polite"}, "Sit")
    assert not result.passed and result.value == 0.0 and result.scorer == "python"


def test_a_function_returning_a_number_passes_at_the_threshold() -> None:
    spec = {"type": "python", "value": f"{MODULE}:share_of_vowels"}
    assert judge(spec, "aei").value == 1.0
    result = judge({**spec, "threshold": 0.5}, "abcd")
    assert result.value == 0.25 and not result.passed
    assert judge({**spec, "threshold": 0.2}, "abcd").passed


def test_a_function_may_return_its_own_score_result() -> None:
    result = judge({"type": "python", "value": f"{MODULE}:full_result"}, "x")
    assert (result.value, result.scorer, result.version) == (0.25, "team-scorer", "7")


def test_a_function_that_raises_or_returns_nonsense_is_an_errored_score() -> None:
    raised = judge({"type": "python", "value": f"{MODULE}:broken"}, "x")
    assert raised.errored and "RuntimeError: the team's bug" in raised.explanation
    nonsense = judge({"type": "python", "value": f"{MODULE}:wrong_type"}, "x")
    assert nonsense.errored and "returned str" in nonsense.explanation
    outside = judge({"type": "python", "value": f"{MODULE}:out_of_range"}, "x")
    assert outside.errored and "in [0, 1]" in outside.explanation


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("print('hi')", r"is not a module:function path"),
        ("tests/evals/check.py", r"is not a module:function path"),
        (f"{MODULE}:missing", r"cannot load .*missing"),
        ("no_such_module_here:f", r"cannot load .*No module named"),
        (f"{MODULE}:NOT_CALLABLE", r"is not callable"),
    ],
)
def test_a_bad_path_is_refused_when_built(value: str, message: str) -> None:
    with pytest.raises(InvalidAssertion, match=message):
        build({"type": "python", "value": value})
