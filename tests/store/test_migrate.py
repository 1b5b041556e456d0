"""The migrations runner: every branch to its head, and a store that needs a capability not installed now
is refused naming that capability and the fix (a real SQLite file; the test plugin's `shout` branch)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, inspect, select

from rungway.capability import load_capabilities, migration_packages
from rungway.errors import ConfigError
from rungway.store.migrate import capability_revisions, upgrade
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
