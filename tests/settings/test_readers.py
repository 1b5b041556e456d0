"""The typed readers of a configuration value: each refusal names the key path, what was expected and the fix."""

from __future__ import annotations

import pytest

from rungway.errors import ConfigError
from rungway.settings.readers import choice_at, flag_at, mapping_at, number_at, whole_at


def test_values_are_read_with_their_defaults() -> None:
    data = mapping_at({"n": 2, "w": 3, "f": True, "c": "b"}, "s", "rungway.yaml", {}, "{n: 1}")
    assert number_at(data, "n", 1, 0, 10, "s") == 2.0 and number_at(data, "x", 1.5, 0, 10, "s") == 1.5
    assert whole_at(data, "w", 1, 0, 10, "s") == 3 and flag_at(data, "f", False, "s") is True
    assert choice_at(data, "c", "a", ("a", "b"), "s") == "b"
    assert mapping_at(None, "s", "rungway.yaml", {}, "{}") == {}


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda d: number_at(d, "n", 1, 0, 1, "s"), "s.n"),
        (lambda d: whole_at(d, "h", 1, 0, 10, "s"), "s.h"),
        (lambda d: flag_at(d, "c", False, "s"), "s.c"),
        (lambda d: choice_at(d, "c", "a", ("a",), "s"), "s.c"),
    ],
)
def test_a_wrong_value_names_its_path_and_the_fix(call: object, named: str) -> None:
    data = mapping_at({"n": 5, "h": 1.5, "c": "z"}, "s", "rungway.yaml", {}, "{n: 1}")
    with pytest.raises(ConfigError, match="Fix") as caught:
        call(data)  # type: ignore[operator]
    assert named in str(caught.value)


def test_a_value_that_is_not_a_mapping_is_refused_with_an_example() -> None:
    with pytest.raises(ConfigError, match="expected a mapping"):
        mapping_at([1], "s", "rungway.yaml", {}, "{a: 1}")
