"""`rungway models`: the models capability's one command group; each part adds its own subgroup."""

from __future__ import annotations

import click

from rungway.models.catalogue.cli import catalogue_group
from rungway.models.pins.cli import pins_group
from rungway.models.routes.cli import routes_group
from rungway.models.shadow.cli import shadow_group
from rungway.models.upgrades.cli import upgrade_group

__all__ = ["models_group"]


@click.group("models")
def models_group() -> None:
    """Models: catalogue, pins and planned upgrades, routes, health, shadow traffic."""


models_group.add_command(catalogue_group)
models_group.add_command(pins_group)
models_group.add_command(upgrade_group)
models_group.add_command(shadow_group)
models_group.add_command(routes_group)
