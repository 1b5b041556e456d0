"""The prompts branch (p0001) applies after the core alone and makes the library's tables on both stores."""

from __future__ import annotations

from sqlalchemy import inspect

from rungway.capability import load_capabilities, migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade

TABLES = {"prompts", "prompt_versions", "prompt_labels", "prompt_label_moves", "prompt_reviews"}


def test_the_prompts_branch_applies_after_the_core_alone(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine)
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine, migration_packages())
    assert migration_packages()["prompts"] == "rungway.prompts.migrations"
    with engine.connect() as conn:
        heads = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert "p0001" in heads
    assert inspect(engine).get_table_names() and set(inspect(engine).get_table_names()) >= TABLES


def test_the_migration_makes_the_tables_the_store_module_declares(store_url: str) -> None:
    from rungway.prompts import store

    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    found = inspect(engine)
    for table in (
        store.prompts,
        store.prompt_versions,
        store.prompt_labels,
        store.prompt_label_moves,
        store.prompt_reviews,
    ):
        assert {c["name"] for c in found.get_columns(table.name)} == {c.name for c in table.columns}, table.name
    uniques = {tuple(u["column_names"]) for u in found.get_unique_constraints("prompt_versions")}
    assert {("prompt_id", "version"), ("prompt_id", "content_hash")} <= uniques
    assert "prompts" in {c.name for c in load_capabilities()}
