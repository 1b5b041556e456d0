"""The scorers table and the hourly counts on SQLite and PostgreSQL: counts add up across flushes (the upsert adds),
a scorer name is unique per workload, and the configured scorers are synced to exactly the configured set."""

from __future__ import annotations

from collections.abc import Callable

from rungway.online_evals.model import CallFilter, OnlineScorer
from rungway.online_evals.store import (
    ALL_CALLS,
    Counts,
    add_counts,
    delete_scorer,
    insert_scorer,
    list_scorers,
    read_counts,
    sync_config_scorers,
)
from tests.servers import Gateway


def _scorer(id_: str, name: str, source: str = "api", workload: str = "test") -> OnlineScorer:
    return OnlineScorer(id_, workload, name, {"type": "is-json"}, 0.5, CallFilter(model="m", tags={"a": "b"}), source,
                        1.0, "me")  # fmt: skip


def test_counts_add_up_across_flushes_and_hours(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    engine = gateway_factory(store_url=store_url).state.engine
    add_counts(engine, {("test", "s1", 100): Counts(matched=3, sampled=1, cost_nano=50),
                        ("test", ALL_CALLS, 100): Counts(matched=3)})  # fmt: skip
    add_counts(engine, {("test", "s1", 100): Counts(matched=2, scored=1, cost_nano=25),
                        ("test", "s1", 101): Counts(dropped=4), ("other", "s9", 101): Counts(matched=7)})  # fmt: skip
    found = read_counts(engine, ["test"], 100)
    assert found[("test", "s1")] == Counts(matched=5, sampled=1, scored=1, dropped=4, cost_nano=75)
    assert found[("test", ALL_CALLS)] == Counts(matched=3) and ("other", "s9") not in found
    assert read_counts(engine, ["test"], 101)[("test", "s1")] == Counts(dropped=4)
    assert read_counts(engine, [], 0) == {}


def test_scorers_are_unique_per_workload_and_config_is_synced(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    engine = gateway_factory(store_url=store_url).state.engine
    assert insert_scorer(engine, _scorer("ons_1", "polite"))
    assert not insert_scorer(engine, _scorer("ons_2", "polite"))
    assert insert_scorer(engine, _scorer("ons_3", "polite", workload="other"))
    (stored,) = list_scorers(engine, ["test"])
    assert stored == _scorer("ons_1", "polite")  # spec and filter round-trip
    sync_config_scorers(engine, [_scorer("cfg_a", "short", "config"), _scorer("cfg_b", "polite", "config")])
    names = {(s.name, s.source) for s in list_scorers(engine, ["test"])}
    assert names == {("short", "config"), ("polite", "config")}  # the configured name replaced the API one
    sync_config_scorers(engine, [_scorer("cfg_a", "short", "config")])
    assert [s.id for s in list_scorers(engine, ["test"])] == ["cfg_a"]
    assert delete_scorer(engine, "test", "nope") is None
    assert delete_scorer(engine, "other", "polite") is not None and list_scorers(engine, ["other"]) == []
