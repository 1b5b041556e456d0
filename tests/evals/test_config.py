"""The `evals:` section: defaults, per-workload policy, and errors that name the key and the fix."""

from __future__ import annotations

import pytest

from rungway.errors import ConfigError
from rungway.evals.config import EvalsConfig, parse_evals


def test_defaults_and_per_workload_policy() -> None:
    assert parse_evals(None) == EvalsConfig()
    config = parse_evals({"require_eval_pass": True, "max_runs": 3, "workloads": {"a": {"require_eval_pass": False},
                                                                                   "b": {}}})  # fmt: skip
    assert config.requires_pass("a") is False and config.requires_pass("b") is True
    assert config.requires_pass("unlisted") is True and config.requires_pass(None) is False
    assert config.max_runs == 3 and config.run_concurrency == 4


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"require_eval_pass": "yes"}, "evals.require_eval_pass"),
        ({"run_concurrency": 0}, "evals.run_concurrency"),
        ({"max_runs": 99}, "evals.max_runs"),
        ({"workloads": {"a": {"gate": True}}}, "gate"),
        ({"typo": 1}, "typo"),
        ([1], "evals"),
    ],
)
def test_mistakes_name_the_key(raw: object, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_evals(raw)
    assert says in str(error.value)
