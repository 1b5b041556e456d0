"""The `rungway models` command group: each slice of the models capability adds its own subgroup here
(`models routes`, ...), so the capability names this one module."""

from __future__ import annotations

import click

from rungway.models.routes.cli import routes_group

__all__ = ["models_group"]


@click.group("models")
def models_group() -> None:
    """Models: catalogue, pins and upgrades, routing across deployments."""


models_group.add_command(routes_group)
