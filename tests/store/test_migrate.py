"""The migrations runner (`store/migrate.py`): every branch to its head, safe to run again (and on
PostgreSQL from several replicas starting at once), and a store that needs a capability not installed now
is refused naming that capability and the fix (a real SQLite file; the test plugin's `shout` branch)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, delete, inspect, select

from rungway.capability import load_capabilities, migration_packages
from rungway.errors import ConfigError
from rungway.store.engine import create_store_engine
from rungway.store.migrate import alembic_config, at_heads, capability_revisions, upgrade
from tests.capability.shout_plugin import SHOUT


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield made
    made.dispose()


def with_shout() -> dict[str, str]:
    return migration_packages([*load_capabilities(), SHOUT])


def stored_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}


def test_each_applied_capability_revision_is_recorded_with_its_capability(engine: Engine) -> None:
    upgrade(engine, with_shout())
    with engine.connect() as conn:
        owners = {r.revision: (r.capability, r.package) for r in conn.execute(select(capability_revisions))}
    assert owners["s0001"] == ("shout", "tests.capability.shout_migrations")
    assert owners["t0001"] == ("traces", "rungway.traces.migrations")
    assert owners["b0064"] == ("budgets", "rungway.budgets.migrations")
    assert "f0001" not in owners  # the core's own revisions need no capability
    assert "shout_refusals" in inspect(engine).get_table_names()


def test_a_store_migrated_with_a_capability_not_installed_now_is_refused_naming_it_and_the_fix(
    engine: Engine,
) -> None:
    upgrade(engine, with_shout())
    before = stored_revisions(engine)
    with pytest.raises(ConfigError) as refused:
        upgrade(engine, migration_packages())
    message = str(refused.value)
    assert "'shout'" in message and "tests.capability.shout_migrations" in message and "s0001" in message
    assert "Fix: install the package that provides the capability 'shout'" in message
    assert "Can't locate revision" not in message
    assert stored_revisions(engine) == before  # nothing changed

    upgrade(engine, with_shout())  # with the capability installed again, the store opens as before
    assert stored_revisions(engine) == before


def test_a_revision_nobody_recorded_is_refused_naming_the_revision(engine: Engine) -> None:
    upgrade(engine, with_shout())
    with engine.begin() as conn:  # as a store last migrated before the runner kept its map
        conn.execute(delete(capability_revisions))
    with pytest.raises(ConfigError, match=r"revision s0001, which no installed capability provides\. Fix: install"):
        upgrade(engine, migration_packages())


def test_a_store_without_a_capability_s_branch_gains_it_when_the_capability_is_installed(engine: Engine) -> None:
    upgrade(engine, migration_packages())
    assert "s0001" not in stored_revisions(engine)
    upgrade(engine, with_shout())
    assert "s0001" in stored_revisions(engine)


def test_every_capability_missing_is_named(engine: Engine) -> None:
    upgrade(engine, with_shout())
    without = [c for c in load_capabilities() if c.name != "traces"]
    with pytest.raises(ConfigError, match=r"with the capabilities 'shout', 'traces' \(migrations in"):
        upgrade(engine, migration_packages(without))


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_creates_the_cores_and_each_capabilitys_tables_and_runs_again_harmlessly(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine)
    core = tables(engine)
    assert {"requests", "api_keys", "workloads"} <= core and "budgets" not in core
    upgrade(engine, migration_packages())
    assert {"budgets", "budget_events", "spans", "traces"} <= tables(engine)
    at_heads = stored_revisions(engine)
    assert at_heads <= set(ScriptDirectory.from_config(alembic_config(migration_packages())).get_heads())
    upgrade(engine, migration_packages())
    assert stored_revisions(engine) == at_heads  # a second run changes nothing


@pytest.mark.postgres
def test_postgres_replicas_starting_together_each_end_with_the_newest_schema(postgres_url: str) -> None:
    engines = [create_store_engine(postgres_url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda e: upgrade(e, migration_packages()), engines))
        assert {"requests", "budgets", "spans"} <= tables(engines[0])
    finally:
        for engine in engines:
            engine.dispose()


def test_the_config_names_every_branchs_versions() -> None:
    cfg = alembic_config(migration_packages())
    locations = cfg.get_main_option("version_locations") or ""
    assert len(locations.split(os.pathsep)) == len(migration_packages()) + 1


def test_a_store_at_every_head_is_known_without_alembic_and_one_behind_is_not(engine: Engine) -> None:
    with engine.connect() as conn:
        assert not at_heads(conn, migration_packages())  # a new store
    upgrade(engine, migration_packages())
    with engine.connect() as conn:
        assert at_heads(conn, migration_packages())  # what `upgrade` will find to do: nothing
        assert not at_heads(conn, with_shout())  # a capability installed since: its branch is pending
    upgrade(engine, with_shout())
    with engine.connect() as conn:
        assert at_heads(conn, with_shout())
        assert not at_heads(conn, migration_packages())  # a revision no installed package declares: refused below
    with pytest.raises(ConfigError, match="'shout'"):
        upgrade(engine, migration_packages())
    with engine.begin() as conn:  # one branch a revision behind (the assessment's a0005 not applied yet)
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'a0004' WHERE version_num = 'a0005'")
    with engine.connect() as conn:
        assert not at_heads(conn, with_shout())
