"""The evals branch (e0001 datasets, e0002 scores, e0003 runs, e0004 gates, e0005 bindings) applies after the core
alone and makes its tables on both stores."""

from __future__ import annotations

from sqlalchemy import inspect

from rungway.capability import load_capabilities, migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade

TABLES = {"eval_datasets", "eval_dataset_versions", "eval_cases", "eval_scores", "eval_runs", "eval_bindings"}


def test_the_evals_branch_applies_after_the_core_alone(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine)
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine, migration_packages())
    assert migration_packages()["evals"] == "rungway.evals.migrations"
    with engine.connect() as conn:
        heads = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert heads & {"e0005"}
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert "evals" in {c.name for c in load_capabilities()}


def test_the_migrations_make_the_tables_the_store_modules_declare(store_url: str) -> None:
    from rungway.evals.bindings import store as bindings
    from rungway.evals.datasets import store as datasets
    from rungway.evals.gates import store as gates
    from rungway.evals.runs import store as runs
    from rungway.evals.scores import store as scores

    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    found = inspect(engine)
    tables = (
        datasets.eval_datasets,
        datasets.eval_dataset_versions,
        datasets.eval_cases,
        scores.eval_scores,
        runs.eval_runs,
        gates.eval_gates,
        bindings.eval_bindings,
    )
    for table in tables:
        assert {c["name"] for c in found.get_columns(table.name)} == {c.name for c in table.columns}, table.name
        indexes = {i["name"] for i in found.get_indexes(table.name)} - {"uq_" + n for n in ("eval_datasets_scope_name",
                   "eval_dataset_versions_version", "eval_dataset_versions_hash", "eval_cases_key",
                   "eval_bindings_target")}  # fmt: skip
        assert indexes == {i.name for i in table.indexes}, table.name  # PostgreSQL lists unique constraints too
    uniques = {tuple(u["column_names"]) for u in found.get_unique_constraints("eval_dataset_versions")}
    assert {("dataset_id", "version"), ("dataset_id", "content_hash")} <= uniques
    assert found.get_pk_constraint("eval_scores")["constrained_columns"] == ["workload", "id"]
