"""The `shadow:` section: targets parsed, every mistake refused naming the key path and the fix."""

from __future__ import annotations

import pytest

from rungway.errors import ConfigError
from rungway.models.shadow.config import ShadowTarget, parse_shadow


def test_defaults_and_a_target() -> None:
    assert parse_shadow(None).workloads == {}
    config = parse_shadow({"refresh": "5s", "timeout": "30s",
                           "workloads": {"support": {"from": "a", "to": "b", "sample": 0.05}}})  # fmt: skip
    assert config.refresh_s == 5 and config.timeout_s == 30
    assert config.workloads == {"support": ShadowTarget("a", "b", 0.05, 4)}


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"workloads": {"w": {"from": "a", "to": "a", "sample": 0.1}}}, "shadow.workloads.w.to"),
        ({"workloads": {"w": {"from": "a", "to": "b", "sample": 0}}}, "shadow.workloads.w.sample"),
        ({"workloads": {"w": {"from": "a", "to": "b", "sample": 1.5}}}, "shadow.workloads.w.sample"),
        ({"workloads": {"w": {"from": "a", "to": "b", "sample": True}}}, "shadow.workloads.w.sample"),
        ({"workloads": {"w": {"from": "a", "to": "b", "sample": 0.1, "max_in_flight": 0}}}, "max_in_flight"),
        ({"workloads": {"w": {"to": "b", "sample": 0.1}}}, "shadow.workloads.w.from"),
        ({"workloads": {"w": {"from": "a", "to": "b", "sample": 0.1, "rate": 2}}}, "shadow.workloads.w.rate"),
        ({"workloads": {"w": "a->b"}}, "expected a mapping"),
        ({"refresh": "soon"}, "shadow.refresh"),
        ({"refresh_s": 1}, "did you mean `refresh`"),
    ],
)
def test_mistakes_are_refused_naming_the_key(raw: object, says: str) -> None:
    with pytest.raises(ConfigError, match="Fix:") as caught:
        parse_shadow(raw)
    assert says in str(caught.value)
