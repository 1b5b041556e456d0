"""The anomalies branch (an0001) applies after the core alone and makes the tables the store module declares."""

from __future__ import annotations

from sqlalchemy import inspect

from rungway.anomalies import store
from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade

TABLES = (store.anomaly_hourly, store.anomaly_rollup_state, store.anomaly_watch, store.anomalies)


def test_the_anomalies_branch_makes_its_tables(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine)
    assert not {t.name for t in TABLES} & set(inspect(engine).get_table_names())
    upgrade(engine, migration_packages())
    assert migration_packages()["anomalies"] == "rungway.anomalies.migrations"
    with engine.connect() as conn:
        heads = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert "an0001" in heads
    found = inspect(engine)
    for table in TABLES:
        assert {c["name"] for c in found.get_columns(table.name)} == {c.name for c in table.columns}, table.name
