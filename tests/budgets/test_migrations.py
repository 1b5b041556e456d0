"""The budgets capability's migrations branch runs with the capability: a store without it has no budget
tables but a whole request log, and the branch keeps the revision ids existing stores record."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select

from rungway.capability import load_capabilities, migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.schema import requests
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway, write_config


def test_a_server_without_the_budgets_capability_makes_no_budget_tables_and_still_records_calls(
    tmp_path: Path, store_url: str
) -> None:
    others = [c for c in load_capabilities() if c.name != "budgets"]
    gw = Gateway(write_config(tmp_path, SIMULATOR_CONFIG.replace("{store_url}", store_url)), others)
    try:
        answer = gw.sdk().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert answer.choices[0].message.content
    finally:
        gw.stop()  # drains the request writer

    engine = create_store_engine(store_url)
    tables = set(inspect(engine).get_table_names())
    assert "requests" in tables
    assert not {"budgets", "budget_events"} & tables
    with engine.connect() as conn:
        rows = conn.execute(select(requests.c.model_requested, requests.c.usage_anomaly)).all()
    assert [tuple(r) for r in rows] == [("gpt-4o-mini", None)]


def test_the_budgets_branch_keeps_its_revision_ids_and_applies_after_the_core_alone(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine)  # the core alone first, as a store that never had the capability
    upgrade(engine, migration_packages())  # then with every installed capability
    with engine.connect() as conn:
        heads = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
        columns = {c["name"] for c in inspect(conn).get_columns("requests")}
    assert "b0064" in heads  # the foundation (f0067) is below the assessment's head, which depends on it
    assert {"usage_anomaly", "model_pinned", "user_from_request", "recorded_at"} <= columns
    assert {"budgets", "budget_events"} <= set(inspect(engine).get_table_names())
