"""Keys and workloads in memory (`gateway/directory.py`): loaded at start, refreshed off the request path,
a key not seen yet looked up once, with a negative cache and a cap on look-ups per second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.keys import ApiKey, hash_key, visible_prefix
from rungway.domain.workloads import Workload
from rungway.gateway.directory import Directory
from rungway.services.keys import create_api_key
from rungway.store.engine import create_store_engine
from rungway.store.keys import insert_key, revoke_key
from rungway.store.migrate import upgrade
from rungway.store.workloads import upsert_workload


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    engine = create_store_engine(sqlite_url)
    upgrade(engine, migration_packages())
    return engine


def test_load_reads_every_key_and_workload(engine: Engine) -> None:
    created = create_api_key(engine, workload="bot")
    directory = Directory(engine)
    directory.load()
    assert asyncio.run(directory.key_for(created.secret)) == created.key
    workload = directory.workload("bot")
    assert workload is not None and (workload.name, workload.team) == ("bot", None)
    assert directory.workload("none") is None


def test_a_key_created_after_load_is_looked_up_once_and_then_served_from_memory(engine: Engine) -> None:
    directory = Directory(engine)
    directory.load()
    created = create_api_key(engine, workload="bot")

    async def twice() -> None:
        assert await directory.key_for(created.secret) == created.key
        revoke_key(engine, created.key.id)  # the second answer comes from memory: not revoked there yet
        assert (await directory.key_for(created.secret)).revoked_at is None  # type: ignore[union-attr]

    asyncio.run(twice())


def test_an_unknown_key_is_remembered_as_unknown_until_the_directory_learns_it(engine: Engine) -> None:
    directory = Directory(engine)
    directory.load()
    secret = "rw-" + "k" * 40
    key = ApiKey("key_late", visible_prefix(secret), hash_key(secret), "late", "bot")

    async def body() -> None:
        assert await directory.key_for(secret) is None
        insert_key(engine, key)  # created by another process just after the miss
        assert await directory.key_for(secret) is None  # the miss is cached: no second look-up
        directory.put_key(key)  # what the refresh does
        assert await directory.key_for(secret) == key

    asyncio.run(body())


def test_look_ups_of_unknown_keys_are_capped_per_second(engine: Engine) -> None:
    directory = Directory(engine, miss_lookups_per_s=3)
    directory.load()
    keys = [create_api_key(engine, workload="bot") for _ in range(5)]

    async def body() -> list[object]:
        while time.monotonic() % 1 > 0.5:  # all five look-ups inside one second of the cap's clock
            await asyncio.sleep(0.01)
        return [await directory.key_for(k.secret) for k in keys]

    found = asyncio.run(body())
    assert [k is not None for k in found] == [True, True, True, False, False]


def test_the_background_refresh_picks_up_changed_keys_and_workloads(engine: Engine) -> None:
    created = create_api_key(engine, workload="bot")
    directory = Directory(engine, refresh_s=0.01)
    directory.load()

    async def body() -> None:
        directory.start()
        try:
            revoke_key(engine, created.key.id)
            upsert_workload(engine, Workload("bot", team="qa", rpm_limit=5))
            await until(lambda: directory.workload("bot").rpm_limit == 5)  # type: ignore[union-attr]
            key = await directory.key_for(created.secret)
            assert key is not None and key.revoked_at is not None
        finally:
            await directory.stop()

    asyncio.run(body())


async def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.005)  # waiting for the refresh task, not for time to pass
    assert condition()
