"""The `rungway models` command group: each part of the models capability adds its own subgroup here
(`catalogue` now; pins, upgrades and routes join the same group)."""

from __future__ import annotations

import click

from rungway.models.catalogue.cli import catalogue_group

__all__ = ["models_group"]


@click.group("models")
def models_group() -> None:
    """Models: the catalogue and its lifecycle."""


models_group.add_command(catalogue_group)
