"""Bring a database to the newest schema (every branch's head)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import resources

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine


def alembic_config(packages: Sequence[str] = ()) -> AlembicConfig:
    """The Alembic configuration over the core's versions and those in each of `packages` (a capability's
    Alembic versions folder, as an importable package, one branch per capability)."""
    migrations = resources.files("rungway.store").joinpath("migrations")
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations))
    if packages:
        folders = [str(migrations.joinpath("versions")), *(str(resources.files(p)) for p in packages)]
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("version_locations", os.pathsep.join(folders))
    return cfg


def upgrade(engine: Engine, packages: Sequence[str] = ()) -> None:
    """Apply all migrations, the core's and those of each of `packages` (see `alembic_config`); safe at
    every start and from several processes in turn."""
    cfg = alembic_config(packages)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Two replicas starting together must not both create the tables.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7243001)")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
