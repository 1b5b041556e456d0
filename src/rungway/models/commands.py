"""`rungway models`: the models capability's one command group; each part adds its own subgroup."""

from __future__ import annotations

import click

from rungway.models.shadow.cli import shadow_group

__all__ = ["models_group"]


@click.group("models")
def models_group() -> None:
    """Models: catalogue, pins and upgrades, routes, shadow traffic."""


models_group.add_command(shadow_group)
