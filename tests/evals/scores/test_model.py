"""A score's fields and the rules between them, checked before anything is stored."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.errors import InvalidRequest
from rungway.evals.scores.model import score_from_body

TRACE = "0af7651916cd43dd8448eb211c80319c"


def _score(raw: dict[str, Any]) -> Any:
    return score_from_body(raw, where="", score_id="s1", workload="w", author="ann", author_key_id=None, now=1.0)


def test_the_data_type_follows_the_value_unless_given() -> None:
    assert (_score({"trace_id": TRACE, "name": "n", "value": True}).data_type) == "boolean"
    assert (_score({"trace_id": TRACE, "name": "n", "value": 3}).data_type) == "numeric"
    made = _score({"trace_id": TRACE.upper(), "name": "n", "value": "good"})
    assert (made.data_type, made.value, made.string_value, made.trace_id) == ("categorical", None, "good", TRACE)
    made = _score({"trace_id": TRACE, "name": "n", "value": 0, "data_type": "boolean"})
    assert (made.data_type, made.value) == ("boolean", 0.0)
    made = _score({"run_id": "r", "case_key": "k", "name": "n", "value": 2, "string_value": "b",
                   "data_type": "categorical"})  # fmt: skip
    assert (made.value, made.string_value, made.trace_id) == (2.0, "b", None)


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        ({"trace_id": TRACE, "span_id": "abc", "name": "n", "value": 1}, "span_id"),
        ({"span_id": "00f067aa0ba902b7", "run_id": "r", "case_key": "k", "name": "n", "value": 1}, "span_id"),
        ({"trace_id": TRACE, "name": "n", "value": 1, "string_value": "x"}, "string_value"),
        ({"trace_id": TRACE, "name": "n", "value": float("inf")}, "value"),
        ({"trace_id": TRACE, "name": "n", "data_type": "categorical"}, "string_value"),
        ({"trace_id": TRACE, "name": "n", "value": True, "source": "online"}, "scorer"),
    ],
)
def test_scores_that_break_a_rule_are_refused_naming_the_field(raw: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        _score(raw)
    assert caught.value.param == param
