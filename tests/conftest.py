"""Shared fixtures: real stores (SQLite and PostgreSQL), real counters (memory and Redis), real servers.

PostgreSQL and Redis tests skip when the service is absent on a laptop and fail when CI=true.
Each PostgreSQL test gets its own schema, each Redis test its own key prefix.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import Gateway, write_config
from tests.web.support import UiClient

POSTGRES_BASE = os.environ.get("RUNGWAY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RUNGWAY_TEST_REDIS", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

SIMULATOR_CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  sim:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
  gpt-4o:
    provider: sim
    model: gpt-4o-2024-08-06
  text-embedding-3-small:
    provider: sim
    model: text-embedding-3-small
  unpriced-model:
    provider: sim
    model: my-private-model
workloads:
  test:
    team: qa
"""


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    if IN_CI:
        pytest.fail(f"{name} at {host}:{port} is unreachable and CI=true: CI must provide it")
    pytest.skip(f"{name} at {host}:{port} is not running")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for this test, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import sqlalchemy as sa

    schema = "t_" + secrets.token_hex(6)
    admin = sa.create_engine(POSTGRES_BASE.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_BASE}?options=-csearch_path%3D{schema}"
    finally:
        _drop_schema(admin, schema)
        admin.dispose()


def _drop_schema(admin: object, schema: str) -> None:
    """Drop the test's schema. A gateway the test started may still be stopping (fixtures end in reverse order of
    their start) with a background query in flight: a deadlock with it is retried, not the test's error."""
    import sqlalchemy as sa

    engine = admin if isinstance(admin, sa.Engine) else None
    assert engine is not None
    for attempt in range(10):
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            return
        except sa.exc.OperationalError:
            if attempt == 9:
                raise
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/rungway.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/rungway.db"


@pytest.fixture
def gateway_factory(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    """Start gateways from YAML text (`{store_url}` is filled in); all are stopped after the test."""
    started: list[Gateway] = []

    def start(config_text: str = SIMULATOR_CONFIG, store_url: str | None = None, **variables: str) -> Gateway:
        url = store_url or f"sqlite:///{tmp_path}/rungway-{len(started)}.db"
        config = write_config(tmp_path, config_text.replace("{store_url}", url), **variables)
        if config.recorder.spill_dir is None:  # PostgreSQL's default (./.rungway/spill) is shared by every test
            spill_dir = str(tmp_path / f"spill-{len(started)}")
            config = dataclasses.replace(config, recorder=dataclasses.replace(config.recorder, spill_dir=spill_dir))
        gateway = Gateway(config)
        started.append(gateway)
        return gateway

    try:
        yield start
    finally:
        for gateway in started:
            gateway.stop()


@pytest.fixture
def gateway(gateway_factory: Callable[..., Gateway]) -> Gateway:
    """A gateway on SQLite with the simulator."""
    return gateway_factory()


@pytest.fixture
def ui_client() -> Iterator[Callable[[Gateway], UiClient]]:
    """Signed-out dashboard (/ui) clients for gateways, every page test's entry; all closed after the test."""
    made: list[UiClient] = []

    def make(gateway: Gateway) -> UiClient:
        client = UiClient(gateway)
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            client.close()
