"""The `cache:` section: defaults, and errors that name the key path and the fix."""

from __future__ import annotations

import pytest

from rungway.caching.config import parse_cache
from rungway.errors import ConfigError


def test_defaults_and_a_semantic_layer_with_checks() -> None:
    config = parse_cache(
        {"workloads": {"w": {"semantic": {"embedding_model": "e", "check": {"sample": 0.5}}}, "x": {"ttl_s": 60}}}
    )
    assert config.shared == "auto" and config.workloads["x"].ttl_s == 60 and config.workloads["x"].semantic is None
    semantic = config.workloads["w"].semantic
    assert semantic is not None and semantic.threshold == 0.92 and semantic.check is not None
    assert semantic.check.sample == 0.5 and semantic.check.spec["type"] == "similar"


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"workloads": {"w": {"ttl_s": 0}}}, "cache.workloads.w.ttl_s"),
        ({"workloads": {"w": {"semantic": {}}}}, "cache.workloads.w.semantic.embedding_model"),
        ({"workloads": {"w": {"semantic": {"embedding_model": "e", "threshold": 2}}}}, "threshold"),
        ({"workloads": {"w": {"semantic": {"embedding_model": "e", "check": {"assert": {"type": "nope"}}}}}}, "nope"),
        ({"workloads": {"w": {"tll_s": 5}}}, "tll_s"),
        ({"shared": "disk"}, "cache.shared"),
    ],
)
def test_a_wrong_value_is_refused_naming_where(raw: object, named: str) -> None:
    with pytest.raises(ConfigError, match="Fix") as caught:
        parse_cache(raw)
    assert named in str(caught.value)
