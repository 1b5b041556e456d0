"""Bring a database to the newest schema (every branch's head)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine


def upgrade(engine: Engine) -> None:
    """Apply all migrations; safe to call at every start and from several processes in turn."""
    script_location = str(resources.files("rungway.store").joinpath("migrations"))
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", script_location)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Two replicas starting together must not both create the tables.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7243001)")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
