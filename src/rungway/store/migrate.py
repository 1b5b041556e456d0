"""Bring a database to the newest schema (every branch's head), and say which capability a store needs.

Each capability's Alembic branch lives in its own package, applied only while the capability is
installed. A store migrated with a capability that is later uninstalled records a revision no
installed package provides, which Alembic can only report as "Can't locate revision". So the runner
keeps its own small map, `capability_revisions` (like Alembic's `alembic_version`, made by the
runner, not by a migration): every revision of every capability it applied, with the capability's
name and versions package. Before upgrading it looks the store's revisions up, and a missing one is
refused as a `ConfigError` naming the capability and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, delete, insert, inspect, select

from rungway.errors import ConfigError

__all__ = ["MigrationPackages", "alembic_config", "capability_revisions", "check_store", "upgrade"]

MigrationPackages = Mapping[str, str] | Sequence[str]
"""Capabilities' Alembic versions packages: {capability name: package}, or the packages alone (then
each is recorded under its package name)."""

_bookkeeping = MetaData()
capability_revisions = Table(
    "capability_revisions",
    _bookkeeping,
    Column("revision", String(64), primary_key=True),
    Column("capability", String(128), nullable=False),
    Column("package", String(256), nullable=False),
)
"""Which capability (and versions package) each applied capability revision came from."""


def _owners(packages: MigrationPackages) -> dict[str, str]:
    """{package: capability name}."""
    if isinstance(packages, Mapping):
        return {package: name for name, package in packages.items()}
    return {package: package for package in packages}


def alembic_config(packages: MigrationPackages = ()) -> AlembicConfig:
    """The Alembic configuration over the core's versions and those in each of `packages` (a capability's
    Alembic versions folder, as an importable package, one branch per capability)."""
    migrations = resources.files("rungway.store").joinpath("migrations")
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations))
    owners = _owners(packages)
    if owners:
        folders = [str(migrations.joinpath("versions")), *(str(resources.files(p)) for p in owners)]
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("version_locations", os.pathsep.join(folders))
    return cfg


def upgrade(engine: Engine, packages: MigrationPackages = ()) -> None:
    """Apply all migrations, the core's and those of each of `packages` (see `alembic_config`); safe at
    every start and from several processes in turn. A store holding a revision that none of them provides
    (its capability is not installed now) is refused before anything changes, naming that capability."""
    cfg = alembic_config(packages)
    scripts = ScriptDirectory.from_config(cfg)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Two replicas starting together must not both create the tables.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7243001)")
        _refuse_unknown_revisions(connection, scripts)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
        _record_revisions(connection, scripts, _owners(packages))


def check_store(engine: Engine, packages: MigrationPackages = ()) -> None:
    """Refuse, as `upgrade` would, a store holding a revision that neither the core nor `packages` provides;
    reads only (`rungway config check --store`)."""
    scripts = ScriptDirectory.from_config(alembic_config(packages))
    with engine.connect() as connection:
        _refuse_unknown_revisions(connection, scripts)


def _stored_revisions(connection: Connection) -> list[str]:
    if not inspect(connection).has_table("alembic_version"):
        return []
    return [str(row[0]) for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")]


def _refuse_unknown_revisions(connection: Connection, scripts: ScriptDirectory) -> None:
    unknown = []
    for revision in _stored_revisions(connection):
        try:
            scripts.get_revision(revision)
        except CommandError:
            unknown.append(revision)
    if not unknown:
        return
    recorded: dict[str, tuple[str, str]] = {}
    if inspect(connection).has_table(capability_revisions.name):
        rows = connection.execute(select(capability_revisions).where(capability_revisions.c.revision.in_(unknown)))
        recorded = {r.revision: (r.capability, r.package) for r in rows}
    named = sorted({recorded[r] for r in unknown if r in recorded})
    if named:
        which = ("the capability " if len(named) == 1 else "the capabilities ") + ", ".join(repr(n) for n, _ in named)
        packages = ", ".join(package for _, package in named)
        raise ConfigError(
            f"the store was migrated with {which} (migrations in {packages}), not installed now: the store holds "
            f"the revision {', '.join(unknown)}. Fix: install the package that provides {which} (it registers "
            "it in the `rungway.capabilities` entry-point group), or point store.url at a database made without it"
        )
    raise ConfigError(
        f"the store records the migration revision {', '.join(unknown)}, which no installed capability "
        "provides. Fix: install the capability that was installed when this store was last migrated, "
        "or point store.url at a database made without it"
    )


def _record_revisions(connection: Connection, scripts: ScriptDirectory, owners: Mapping[str, str]) -> None:
    """Remember which capability each applied revision came from (core revisions are not recorded)."""
    if not owners:
        return
    folders = {Path(str(resources.files(package))).resolve(): package for package in owners}
    rows = []
    for script in scripts.walk_revisions():
        package = folders.get(Path(script.path).resolve().parent)
        if package is not None:
            rows.append({"revision": script.revision, "capability": owners[package], "package": package})
    capability_revisions.create(connection, checkfirst=True)
    if rows:
        revisions = [row["revision"] for row in rows]
        connection.execute(delete(capability_revisions).where(capability_revisions.c.revision.in_(revisions)))
        connection.execute(insert(capability_revisions), rows)
