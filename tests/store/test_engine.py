"""Store engines from one URL (`store/engine.py`): SQLite in WAL mode, PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from rungway.errors import ConfigError
from rungway.store.engine import create_store_engine, is_sqlite, normalise_url


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("postgres://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///./rungway.db", "sqlite:///./rungway.db"),
    ],
)
def test_postgres_urls_use_psycopg_3(url: str, normal: str) -> None:
    assert normalise_url(url) == normal


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path}/r.db")
    assert is_sqlite(engine)
    with engine.connect() as conn:
        names = ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        pragmas = [conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names]
    assert pragmas == ["wal", 30000, 1, 1]


@pytest.mark.postgres
def test_postgres_connects_from_a_plain_url(postgres_url: str) -> None:
    engine = create_store_engine(postgres_url)
    try:
        assert not is_sqlite(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "database URL 'not a url' is not valid. Fix: use sqlite:///./rungway.db or postgresql://"),
        ("mysql://u@h/db", "database URL 'mysql://u@h/db': unsupported database. Fix: use sqlite:/// or postgresql://"),
    ],
)
def test_a_bad_or_unsupported_url_says_which_to_use(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        create_store_engine(url)
    assert caught.value.message.startswith(message)
