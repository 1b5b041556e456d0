"""The anomaly tests' store: a real SQLite file or PostgreSQL schema with every capability's migrations."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade


@pytest.fixture
def engine(store_url: str) -> Engine:
    made = create_store_engine(store_url)
    upgrade(made, migration_packages())
    return made
