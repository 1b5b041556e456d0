"""The gateway's in-memory catalog: resolves as the service does, sees changes at refresh, never queries per call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from rungway.prompts.catalog import CATALOG, PromptCatalog
from rungway.prompts.config import PromptsConfig
from rungway.prompts.service import create_version, move_label, review
from tests.conftest import SIMULATOR_CONFIG
from tests.prompts.support import ADMIN, content, open_store, person
from tests.servers import Gateway

ANN, BOB = person("ann"), person("bob")


def test_resolution_by_version_label_and_scope_without_touching_the_store(store_url: str) -> None:
    engine = open_store(store_url)
    for text in ("one {{q}}", "two {{q}}"):
        create_version(engine, workload="test", name="support", content=content(text), message="", actor=ANN)
    create_version(engine, workload=None, name="house", content=content("house {{q}}"), message="", actor=ADMIN)
    create_version(engine, workload="limited", name="own", content=content(), message="", actor=ADMIN)
    review(
        engine, PromptsConfig(), workload="test", name="support", version=1, decision="approve", comment="ok", actor=BOB
    )
    move_label(
        engine,
        PromptsConfig(),
        workload="test",
        name="support",
        label="production",
        version=1,
        reason="ship",
        actor=ANN,
    )
    catalog = PromptCatalog(engine)
    catalog.load()

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        production = catalog.resolve("test", "support", label="production")
        newest = catalog.resolve("test", "support")
        pinned = catalog.resolve("test", "support", version=2)
        latest = catalog.resolve("test", "support", label="latest")
        shared = catalog.resolve("test", "house")
        misses = [
            catalog.resolve("test", "own"),  # another workload's
            catalog.resolve("test", "support", label="staging"),
            catalog.resolve("test", "support", version=9),
            catalog.resolve("test", "nothing"),
            catalog.resolve(None, "support"),  # shared view: no such shared prompt
        ]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []
    assert production is not None and production.version == 1 and production.labels == ("production",)
    assert production.content == content("one {{q}}")
    assert newest == pinned == latest and newest is not None and newest.version == 2 and newest.labels == ()
    assert shared is not None and shared.workload is None and shared.name == "house"
    assert misses == [None] * 5
    assert len(catalog) == 3


def test_a_refresh_picks_up_new_versions_and_moved_labels(store_url: str) -> None:
    engine = open_store(store_url)
    catalog = PromptCatalog(engine)
    catalog.load()
    assert catalog.resolve("test", "support") is None
    create_version(engine, workload="test", name="support", content=content("one {{q}}"), message="", actor=ANN)
    asyncio.run(catalog.refresh())
    first = catalog.resolve("test", "support")
    assert first is not None and first.version == 1
    create_version(engine, workload="test", name="support", content=content("two {{q}}"), message="", actor=ANN)
    move_label(
        engine, PromptsConfig(), workload="test", name="support", label="staging", version=1, reason="try", actor=ANN
    )
    asyncio.run(catalog.refresh())
    staging = catalog.resolve("test", "support", label="staging")
    assert staging is not None and staging.version == 1 and staging.labels == ("staging",)
    newest = catalog.resolve("test", "support")
    assert newest is not None and newest.version == 2


def test_a_version_written_here_is_served_at_once_even_when_stamped_before_the_last_refresh(store_url: str) -> None:
    """A write stamped long before it committed (a wait for a connection) falls outside the refresh's overlap;
    the server that wrote it serves it anyway, because its API hands the catalog the version it wrote."""
    engine = open_store(store_url)
    catalog = PromptCatalog(engine)
    catalog.load()
    asyncio.run(catalog.refresh())
    long_ago = time.time() - 60
    made = create_version(
        engine, workload="test", name="support", content=content("old {{q}}"), message="", actor=ANN, now=long_ago
    )
    asyncio.run(catalog.refresh())
    assert catalog.resolve("test", "support") is None  # what the clock overlap alone would miss
    catalog.learn(made.version)
    served = catalog.resolve("test", "support")
    assert served is not None and served.version == 1 and served.content_hash == made.version.content_hash
    catalog.learn(made.version)  # learning it twice changes nothing
    assert len(catalog) == 1


def test_a_server_loads_its_catalog_at_start_and_refreshes_it_in_the_background(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    engine = open_store(store_url)
    create_version(engine, workload="test", name="support", content=content(), message="", actor=ANN)
    gw = gateway_factory(SIMULATOR_CONFIG + "prompts:\n  refresh_s: 0.05\n", store_url=store_url)
    catalog = gw.state.slots[CATALOG]
    found = catalog.resolve("test", "support")
    assert found is not None and found.version == 1  # loaded before serving
    create_version(engine, workload="test", name="support", content=content("again {{q}}"), message="", actor=ANN)
    deadline = time.monotonic() + 30
    while (seen := catalog.resolve("test", "support")) is not None and seen.version == 1:
        assert time.monotonic() < deadline, "the catalog never refreshed"
        time.sleep(0.02)
    assert seen is not None and seen.version == 2
