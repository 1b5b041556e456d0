"""The provider registry: `type` name -> factory.

Built-in adapters and third-party plugins register the same way: a module listed under the
`rungway.providers` entry point group is imported on first use and registers its factory with
`@register_provider("name")`. Importing the registry never imports an SDK.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from rungway.errors import ConfigError
from rungway.providers.base import Provider
from rungway.providers.faults import FaultSwitch, FaultyProvider
from rungway.settings.config import ProviderConfig

__all__ = ["ProviderFactory", "create_provider", "fault_switch", "known_types", "register_provider"]

ProviderFactory = Callable[[ProviderConfig], Provider]

_FACTORIES: dict[str, ProviderFactory] = {}
_BUILTIN_MODULES = {
    "simulator": "rungway.providers.simulator",
    "openai": "rungway.providers.openai",
    "anthropic": "rungway.providers.anthropic",
    "bedrock": "rungway.providers.bedrock",
    "gemini": "rungway.providers.gemini",
}


def register_provider(type_name: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Register a factory that builds a provider from its configuration."""

    def decorate(factory: ProviderFactory) -> ProviderFactory:
        _FACTORIES[type_name] = factory
        return factory

    return decorate


def _load(type_name: str) -> ProviderFactory | None:
    if type_name in _FACTORIES:
        return _FACTORIES[type_name]
    modules = {ep.name: ep.value for ep in entry_points(group="rungway.providers")}
    module = modules.get(type_name) or _BUILTIN_MODULES.get(type_name)
    if module is not None:
        importlib.import_module(module.split(":")[0])
    return _FACTORIES.get(type_name)


def known_types() -> list[str]:
    names = set(_FACTORIES) | set(_BUILTIN_MODULES)
    names |= {ep.name for ep in entry_points(group="rungway.providers")}
    return sorted(names)


def create_provider(config: ProviderConfig) -> Provider:
    """Build the provider a configuration entry names; ConfigError for an unknown type."""
    factory = _load(config.type)
    if factory is None:
        raise ConfigError(
            f"{config.key_path}.type: unknown provider type {config.type!r}. "
            f"Fix: use one of {', '.join(known_types())}, or install the plugin that provides it"
        )
    return factory(config)


def fault_switch(provider: Provider, wrap: bool) -> tuple[Provider, FaultSwitch | None]:
    """The provider to serve with and its fault switch (for outage drills): the provider's own switch
    when it has one (the simulator), else, when `wrap` allows it (test environments), the provider
    wrapped in a `FaultyProvider`; else the provider unchanged and None (it cannot be faulted)."""
    own = getattr(provider, "faults", None)
    if isinstance(own, FaultSwitch):
        return provider, own
    if not wrap:
        return provider, None
    wrapped = FaultyProvider(provider)
    return wrapped, wrapped.faults
