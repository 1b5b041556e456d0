"""A migrated store and a few records, for the audit trail's tests."""

from __future__ import annotations

from sqlalchemy import Engine

from rungway.audit.public import record_change
from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade


def open_store(url: str) -> Engine:
    """A store with every capability's tables, the audit's included."""
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    return engine


def seed_changes(engine: Engine, count: int, workload: str = "test") -> None:
    """`count` key changes by ann in `workload`, each with a before and an after."""
    for i in range(count):
        record_change(engine, "keys.update", object_type="keys", object_id=f"key_{i}", workload=workload,
                      actor="ann", before={"rpm": i}, after={"rpm": i + 1})  # fmt: skip
