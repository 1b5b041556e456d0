"""SLO use cases: configured SLOs synced into the store (replacing an API one, dropped when no longer named),
and protected from API changes; reads scoped to the workload."""

from __future__ import annotations

import time

import pytest

from rungway.errors import Conflict, NotFound
from rungway.slos import service, store
from rungway.slos.config import SloConfig
from rungway.slos.model import check_slo
from tests.slos.support import open_store


def test_config_sync_replaces_api_slos_and_drops_removed_ones(store_url: str) -> None:
    engine = open_store(store_url)
    api_made = check_slo("test", "avail", {"kind": "availability", "objective": 0.9})
    service.put_slo(engine, SloConfig(), api_made, "ann")
    configured = check_slo("test", "avail", {"kind": "availability", "objective": 0.999})
    config = SloConfig(slos={("test", "avail"): configured})
    service.sync_config(engine, config)
    [found] = store.read_definitions(engine, "test")
    assert (found.source, found.slo.objective) == ("config", 0.999)
    with pytest.raises(Conflict):
        service.put_slo(engine, config, api_made, "ann")
    with pytest.raises(Conflict):
        service.delete_slo(engine, config, "test", "avail")
    service.sync_config(engine, SloConfig())  # the section no longer names it
    assert store.read_definitions(engine, "test") == []


def test_reads_are_scoped_to_the_workload(store_url: str) -> None:
    engine = open_store(store_url)
    store.put_definition(engine, check_slo("test", "a", {"kind": "availability", "objective": 0.99}), "api", None,
                         time.time())  # fmt: skip
    assert service.get_slo(engine, "test", "a", 10).definition.slo.name == "a"
    with pytest.raises(NotFound):
        service.get_slo(engine, "other", "a", 10)
    assert [m.definition.slo.name for m in service.list_slos(engine, None, 10)] == ["a"]
    assert service.list_slos(engine, "other", 10) == []


def test_the_list_reuses_a_fresh_status_of_the_loop_and_measures_a_stale_one(store_url: str) -> None:
    from rungway.slos.burn import BURN_WINDOWS, Counts, status_of

    engine = open_store(store_url)
    now = time.time()
    made = store.put_definition(engine, check_slo("test", "a", {"kind": "availability", "objective": 0.99}), "api",
                                None, now)  # fmt: skip
    loop = status_of(now - 30, 0.99, Counts(7, 10), {s: Counts() for s in BURN_WINDOWS})
    [fresh] = service.list_slos(engine, "test", 5, now, {made.series: loop}, 120)
    assert (fresh.status.window, fresh.measured) == (Counts(7, 10), True)
    [stale] = service.list_slos(engine, "test", 5, now, {made.series: loop}, 10)
    assert stale.status.window == Counts(0, 0) and stale.measured is False  # measured now: an empty log
