"""Create SQLAlchemy engines for SQLite (WAL) and PostgreSQL from one URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from rungway.errors import ConfigError


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` use psycopg 3; SQLite URLs stay as they are."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_store_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine with the settings Rungway needs: WAL and a busy timeout on SQLite, pooling on PostgreSQL."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        raise ConfigError(
            f"database URL {url!r} is not valid. Fix: use sqlite:///./rungway.db or postgresql://user@host:5432/dbname"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # A database host that vanishes (no RST) would otherwise hold a connect ~2 minutes and a
        # query until the kernel gives up; keepalives let the writer see it in about a minute.
        connect_args = {"connect_timeout": 10, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
        return create_engine(
            parsed, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, connect_args=connect_args
        )
    raise ConfigError(f"database URL {url!r}: unsupported database. Fix: use sqlite:/// or postgresql://")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
