"""The counters registry (`counters/registry.py`): built-ins by name, a plugin's backend through the same door."""

from __future__ import annotations

import pytest

from rungway.counters.memory import MemoryCounters
from rungway.counters.registry import create_counters, register_counters
from rungway.errors import ConfigError
from rungway.settings.config import CountersConfig


def test_an_unknown_backend_names_the_key_and_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        create_counters(CountersConfig(backend="memcached"))
    assert caught.value.message == "counters.backend: unknown backend 'memcached'. Fix: use memory or redis"


def test_a_registered_backend_is_created_with_the_config() -> None:
    seen: list[CountersConfig] = []

    @register_counters("test-registry-backend")
    def create(config: CountersConfig) -> MemoryCounters:
        seen.append(config)
        return MemoryCounters()

    config = CountersConfig(backend="test-registry-backend")
    assert isinstance(create_counters(config), MemoryCounters)
    assert seen == [config]


def test_redis_without_a_url_says_how_to_set_one() -> None:
    with pytest.raises(ConfigError) as caught:
        create_counters(CountersConfig(backend="redis", redis_url=None))
    assert "counters.redis_url: not set" in caught.value.message and "RUNGWAY_REDIS_URL" in caught.value.message
