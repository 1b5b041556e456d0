"""ConfigMapping: a key is known exactly when a parser asks for it."""

from __future__ import annotations

import copy

import pytest

from rungway.errors import ConfigError
from rungway.settings.sections import ConfigMapping, tracked


def section() -> ConfigMapping:
    data = {"port": 1, "nested": {"depth": 2, "extra": 3}, "items": [{"name": "a", "oops": 1}]}
    mapping: ConfigMapping = tracked(data, "server", "rungway.yaml")
    return mapping


def test_keys_asked_for_present_or_absent_are_known_and_the_rest_refused() -> None:
    raw = section()
    raw.get("port")
    raw.get("host")  # absent, but known: offered as a suggestion
    with pytest.raises(ConfigError, match=r"server\.nested: unknown key"):
        raw.reject_unknown_keys()
    assert raw.asked == {"port", "host"}


def test_mappings_below_and_inside_lists_are_checked_too() -> None:
    raw = section()
    raw.get("port"), raw.get("items")
    nested = raw["nested"]
    nested.get("depth")
    with pytest.raises(ConfigError, match=r"server\.nested\.extra: unknown key"):
        raw.reject_unknown_keys()
    nested.get("extra")
    with pytest.raises(ConfigError, match=r"server\.items\[0\]\.oops: unknown key. Fix: known keys here: name"):
        raw["items"][0].get("name")
        raw.reject_unknown_keys()


def test_iterating_takes_every_key_and_a_delegated_mapping_is_its_consumers_to_check() -> None:
    raw = section()
    assert sorted(raw) == ["items", "nested", "port"]
    assert raw["nested"].delegate() == {"depth": 2, "extra": 3}
    raw["items"][0].copy()
    raw.reject_unknown_keys()


def test_a_deep_copy_is_plain_data_and_asks_for_nothing() -> None:
    raw = section()
    copied = copy.deepcopy(raw)
    assert type(copied) is dict and copied["nested"] == {"depth": 2, "extra": 3}
    assert raw.asked == set()
