"""The whole configuration, validated by the parsers `serve` uses, before anything touches the store.

`settings.config` parses the core sections and every registered capability's sections (each
capability's `ConfigSection` parser); this adds the checks that need the builders the server uses:
the store URL, the counters backend and each provider's options. `rungway config check` and
`rungway serve` both load with `registered_sections()` and call `check_config`, so a file passes the
check exactly when the server would accept it, and the server refuses a bad file before it migrates
a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from rungway.counters.registry import create_counters
from rungway.providers.registry import create_provider
from rungway.settings.config import Config
from rungway.store.engine import create_store_engine

__all__ = ["CheckedConfig", "check_config"]


@dataclass(frozen=True, slots=True)
class CheckedConfig:
    """A configuration whose every section and builder has been checked (capability sections are typed
    in it: `config.section(SECTION)`)."""

    config: Config


def check_config(config: Config) -> CheckedConfig:
    """Run every builder's option check; ConfigError on the first mistake (the sections were parsed on load).

    The store URL and the counters backend are checked the way the server builds them; neither connects.
    """
    create_store_engine(config.database_url).dispose()  # an engine connects on first use only
    create_counters(config.counters)  # the Redis client connects on first use only
    for provider in config.providers.values():
        create_provider(provider)  # validates the options; opens nothing until the server starts it
    return CheckedConfig(config=config)
