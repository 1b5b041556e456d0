"""The models branch (m0000 base; m0002 pins, m0003 upgrade reports) applies after the core alone, makes the
tables the store modules declare on both stores, and downgrades cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from rungway.capability import migration_packages
from rungway.models.pins.store import model_pin_changes, model_pins
from rungway.models.upgrades.store import model_upgrade_reports
from rungway.store.engine import create_store_engine
from rungway.store.migrate import alembic_config, upgrade

TABLES = (model_pins, model_pin_changes, model_upgrade_reports)


def test_the_models_branch_makes_the_tables_the_store_modules_declare(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine)
    assert not {t.name for t in TABLES} & set(inspect(engine).get_table_names())
    assert migration_packages()["models"] == "rungway.models.migrations"
    upgrade(engine, migration_packages())
    found = inspect(engine)
    for table in TABLES:
        assert {c["name"] for c in found.get_columns(table.name)} == {c.name for c in table.columns}, table.name
        declared = {i.name for i in table.indexes}
        assert {i["name"] for i in found.get_indexes(table.name)} == declared, table.name
    with engine.begin() as conn:
        cfg = alembic_config(migration_packages())
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "m0000")
    assert not {t.name for t in TABLES} & set(inspect(engine).get_table_names())
