"""`config.py`: the `responses:` section, its defaults and its refusals with a fix."""

from __future__ import annotations

import pytest

from rungway.errors import ConfigError
from rungway.responses.config import ResponsesConfig, parse_responses


def test_defaults_and_values() -> None:
    assert parse_responses(None) == ResponsesConfig()
    assert parse_responses({"retention_days": 7, "max_chain": 5}).retention_s == 7 * 86400


@pytest.mark.parametrize(
    "raw", [{"retention_days": 0}, {"max_items": "many"}, {"memory_entries": True}, {"other": 1}, [1]]
)
def test_bad_values_are_refused_with_a_fix(raw: object) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_responses(raw)
    assert "responses" in str(refused.value)
