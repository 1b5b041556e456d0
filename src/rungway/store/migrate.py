"""Bring a database to the newest schema (every branch's head), and say which capability a store needs.

Each capability's Alembic branch lives in its own package, applied only while the capability is
installed. A store migrated with a capability that is later uninstalled records a revision no
installed package provides, which Alembic can only report as "Can't locate revision". So the runner
keeps its own small map, `capability_revisions` (like Alembic's `alembic_version`, made by the
runner, not by a migration): every revision of every capability it applied, with the capability's
name and versions package. Before upgrading it looks the store's revisions up, and a missing one is
refused as a `ConfigError` naming the capability and the fix.

Every command that opens the store upgrades it first, so the common case, a store already at every head, is
answered without Alembic: the revisions the version files declare (`revision`, `down_revision`, `depends_on`,
read as text) are compared with `alembic_version`, and only a store that is behind, or holds a revision no file
declares, goes through Alembic (importing and running it costs a fresh CLI ~0.25 s of CPU).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, delete, insert, inspect, select

from rungway.errors import ConfigError

if TYPE_CHECKING:  # imported where used: a store at its heads opens without Alembic (not a cycle)
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

# Alembic is imported lazily, after the server configured logging: its INFO chatter (plugins, each revision)
# is not the operator's business; its warnings and errors still show.
logging.getLogger("alembic").setLevel(logging.WARNING)

__all__ = ["MigrationPackages", "alembic_config", "at_heads", "capability_revisions", "check_store", "upgrade"]

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
    from alembic.config import Config as AlembicConfig

    migrations = resources.files("rungway.store").joinpath("migrations")
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations))
    owners = _owners(packages)
    if owners:
        folders = [str(migrations.joinpath("versions")), *(str(resources.files(p)) for p in owners)]
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("version_locations", os.pathsep.join(folders))
    return cfg


_DECLARED = re.compile(r"^(revision|down_revision|depends_on)(?:\s*:[^=\n]*)?\s*=\s*(.+?)\s*$", re.MULTILINE)


_QUOTED = re.compile(r"""^(?:"([^"\\]*)"|'([^'\\]*)')$""")


def _revision_names(raw: str) -> tuple[str, ...] | None:
    """The revisions a declaration names: None, a quoted name or a tuple of them (read without `ast`, which is
    not safe from several threads at once on Python 3.11); None when it is anything else."""
    text = raw.strip()
    if text == "None":
        return ()
    if text.startswith("(") and text.endswith(")"):
        parts = [p.strip() for p in text[1:-1].split(",") if p.strip()]
    else:
        parts = [text]
    names = []
    for part in parts:
        quoted = _QUOTED.match(part)
        if quoted is None:
            return None
        names.append(quoted.group(1) if quoted.group(1) is not None else quoted.group(2))
    return tuple(names)


def _declared_revisions(packages: MigrationPackages) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]] | None:
    """revision -> (its down revisions, the revisions it depends on), read as text from every versions folder;
    None when a file does not declare them as plain literals (then only Alembic can tell)."""
    core = resources.files("rungway.store").joinpath("migrations").joinpath("versions")
    folders = [Path(str(core)), *(Path(str(resources.files(p))) for p in _owners(packages))]
    graph: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.py")):
            if path.name == "__init__.py":
                continue
            found = _DECLARED.findall(path.read_text(encoding="utf-8"))
            if sorted(name for name, _ in found) != ["depends_on", "down_revision", "revision"]:
                return None
            values = {name: _revision_names(raw) for name, raw in found}
            revision, downs, depends = values["revision"], values["down_revision"], values["depends_on"]
            if revision is None or len(revision) != 1 or downs is None or depends is None or revision[0] in graph:
                return None
            graph[revision[0]] = (downs, depends)
    return graph


def at_heads(connection: Connection, packages: MigrationPackages = ()) -> bool:
    """Whether the store has every revision the version files declare applied (each head is stored, or a
    stored revision depends on it), and holds none they do not declare: `upgrade` would change nothing."""
    graph = _declared_revisions(packages)
    stored = _stored_revisions(connection)
    if graph is None or not stored or any(r not in graph for r in stored):
        return False
    applied: set[str] = set()
    pending = list(stored)
    while pending:
        revision = pending.pop()
        if revision in applied:
            continue
        if revision not in graph:
            return False
        applied.add(revision)
        downs, depends = graph[revision]
        pending.extend((*downs, *depends))
    followed = {down for downs, _ in graph.values() for down in downs}
    return all(head in applied for head in graph if head not in followed)


def upgrade(engine: Engine, packages: MigrationPackages = ()) -> None:
    """Apply all migrations, the core's and those of each of `packages` (see `alembic_config`); safe at
    every start and from several processes in turn. A store holding a revision that none of them provides
    (its capability is not installed now) is refused before anything changes, naming that capability."""
    with engine.connect() as connection:
        if at_heads(connection, packages):
            return
    from alembic import command
    from alembic.script import ScriptDirectory

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
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(packages))
    with engine.connect() as connection:
        _refuse_unknown_revisions(connection, scripts)


def _stored_revisions(connection: Connection) -> list[str]:
    if not inspect(connection).has_table("alembic_version"):
        return []
    return [str(row[0]) for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")]


def _refuse_unknown_revisions(connection: Connection, scripts: ScriptDirectory) -> None:
    from alembic.util.exc import CommandError

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
