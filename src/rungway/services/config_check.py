"""The whole configuration, validated by the parsers `serve` uses, before anything touches the store.

`settings.config` parses the core sections; each capability parses its own (`tracing:`,
`budgets:`, `alerts:`, `assessment:`) and each provider validates its options. `rungway config
check` and `rungway serve` both call `check_config`, so a file passes the check exactly when the
server would accept it, and the server refuses a bad file before it migrates a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from rungway.assess.settings import AssessmentSettings
from rungway.counters.registry import create_counters
from rungway.providers.registry import create_provider
from rungway.services.alerts import AlertSettings
from rungway.services.assessment import assessment_settings
from rungway.services.budget_book import BudgetSettings
from rungway.settings.config import Config
from rungway.store.engine import create_store_engine
from rungway.telemetry.config import TracingConfig, parse_tracing

__all__ = ["CheckedConfig", "check_config"]


@dataclass(frozen=True, slots=True)
class CheckedConfig:
    """A configuration whose every section has been parsed, with the capability sections typed."""

    config: Config
    tracing: TracingConfig
    budgets: BudgetSettings
    alerts: AlertSettings
    assessment: AssessmentSettings


def check_config(config: Config) -> CheckedConfig:
    """Run every section's parser and every provider's option check; ConfigError on the first mistake.

    The store URL and the counters backend are checked the way the server builds them; neither connects.
    """
    create_store_engine(config.database_url).dispose()  # an engine connects on first use only
    create_counters(config.counters)  # the Redis client connects on first use only
    for provider in config.providers.values():
        create_provider(provider)  # validates the options; opens nothing until the server starts it
    return CheckedConfig(
        config=config,
        tracing=parse_tracing(config.extra.get("tracing"), config.source),
        budgets=BudgetSettings.from_config(config),
        alerts=AlertSettings.from_config(config),
        assessment=assessment_settings(config),
    )
