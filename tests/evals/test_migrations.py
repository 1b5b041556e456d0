"""The evals branch (e0001 datasets, e0002 scores) applies after the core alone and makes its tables on both stores."""

from __future__ import annotations

from sqlalchemy import inspect

from rungway.capability import load_capabilities, migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade

TABLES = {"eval_datasets", "eval_dataset_versions", "eval_cases", "eval_scores"}


def test_the_evals_branch_applies_after_the_core_alone(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine)
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine, migration_packages())
    assert migration_packages()["evals"] == "rungway.evals.migrations"
    with engine.connect() as conn:
        heads = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert heads & {"e0002", "e0003"}
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert "evals" in {c.name for c in load_capabilities()}
