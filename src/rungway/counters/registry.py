"""The counters registry: backend name -> factory; built-ins load lazily."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from rungway.counters.base import Counters
from rungway.errors import ConfigError
from rungway.settings.config import CountersConfig

__all__ = ["CountersFactory", "create_counters", "register_counters"]

CountersFactory = Callable[[CountersConfig], Counters]
_FACTORIES: dict[str, CountersFactory] = {}
_BUILTIN = {"memory": "rungway.counters.memory", "redis": "rungway.counters.redis"}


def register_counters(name: str) -> Callable[[CountersFactory], CountersFactory]:
    def decorate(factory: CountersFactory) -> CountersFactory:
        _FACTORIES[name] = factory
        return factory

    return decorate


def create_counters(config: CountersConfig) -> Counters:
    if config.backend not in _FACTORIES and config.backend in _BUILTIN:
        importlib.import_module(_BUILTIN[config.backend])
    factory = _FACTORIES.get(config.backend)
    if factory is None:
        raise ConfigError(f"counters.backend: unknown backend {config.backend!r}. Fix: use memory or redis")
    return factory(config)
