"""Migrations (`store/migrate.py`): every branch to its head, safe to run again, and on PostgreSQL from
several replicas starting at once."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import alembic_config, upgrade


def tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_creates_the_cores_and_each_capabilitys_tables_and_runs_again_harmlessly(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine)
    core = tables(engine)
    assert {"requests", "api_keys", "workloads"} <= core and "budgets" not in core
    upgrade(engine, migration_packages())
    assert {"budgets", "budget_events", "spans", "traces"} <= tables(engine)
    upgrade(engine, migration_packages())
    with engine.connect() as conn:
        heads = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert len(heads) == len(migration_packages()) + 1  # one head per branch: the core's and each capability's


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
