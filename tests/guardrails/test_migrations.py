"""The guardrails' migrations on both stores: the core's f0070 (the request log's `guardrails` column and its
partial index) and the capability's branch g0001 (`guardrail_policies`) make what the code declares, and
downgrade cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from rungway.capability import migration_packages
from rungway.guardrails.store import guardrail_policies
from rungway.store.engine import create_store_engine
from rungway.store.migrate import alembic_config, upgrade
from rungway.store.schema import requests


def test_f0070_and_g0001_make_what_the_code_declares_and_downgrade(store_url: str) -> None:
    engine = create_store_engine(store_url)
    assert migration_packages()["guardrails"] == "rungway.guardrails.migrations"
    upgrade(engine, migration_packages())
    found = inspect(engine)
    assert "guardrails" in {c["name"] for c in found.get_columns("requests")}
    assert {i["name"] for i in found.get_indexes("requests")} == {i.name for i in requests.indexes}
    columns = {c["name"] for c in found.get_columns("guardrail_policies")}
    assert columns == {c.name for c in guardrail_policies.columns}
    with engine.begin() as conn:
        cfg = alembic_config(migration_packages())
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "guardrails@base")
        command.downgrade(cfg, "f0069")
    found = inspect(engine)
    assert "guardrail_policies" not in found.get_table_names()
    assert "guardrails" not in {c["name"] for c in found.get_columns("requests")}
