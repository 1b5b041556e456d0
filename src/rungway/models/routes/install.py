"""Builds the routes at start: checks `deployments:` and `routing:` against the file, prices the extra
deployments for the meter, and keeps the chooser on the gateway state for the API and the pages."""

from __future__ import annotations

from rungway.gateway.slots import StateKey
from rungway.gateway.state import GatewayState
from rungway.models.routes.chooser import HealthView, TableChooser
from rungway.models.routes.config import DEPLOYMENTS_SECTION, ROUTING_SECTION
from rungway.models.routes.table import build_table

__all__ = ["CHOOSER", "install_routes"]

CHOOSER = StateKey[TableChooser]("models.routes.chooser")
"""The server's route chooser (the API's explain and the pages read it)."""


def install_routes(state: GatewayState, health: HealthView | None = None) -> TableChooser:
    """The chooser for this configuration; raises ConfigError (file:line, key path, fix) on a bad route."""
    config = state.config
    table = build_table(config, config.section(DEPLOYMENTS_SECTION), config.section(ROUTING_SECTION))
    for name, price in table.extra_prices().items():
        state.prices.setdefault(name, price)
    chooser = TableChooser(table, health)
    state.slots[CHOOSER] = chooser
    return chooser
