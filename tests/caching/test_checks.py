"""The `multi_layer_caching` evidence check on seeded stores (SQLite and PostgreSQL): met with two layers (a semantic
one only with its precision measured at its bar), partial with one or an unmeasured semantic layer, unmet with none."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from rungway.assessment.facts import refresh_rollup, request_facts
from rungway.caching.checks import savings_of
from rungway.caching.model import HitCheck
from rungway.caching.savings import savings
from rungway.caching.store import append_checks
from rungway.capability import migration_packages
from rungway.evidence import RequestFacts
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from tests.assessment.helpers import ASSESS_CONFIG, assess
from tests.caching.seeding import PRICES, call, seed_savings
from tests.servers import Gateway

WORKLOADS = ("layered", "checked", "unchecked", "exact-only", "uncached", "quiet")
CONFIG = ASSESS_CONFIG + "".join(f"  {w}:\n    risk_tier: internal\n" for w in WORKLOADS)


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _checks(workload: str, passed: int, failed: int) -> list[HitCheck]:
    now = time.time()
    return [
        HitCheck(f"chk_{workload}_{i}", now - 60, workload, f"req_{i}", i, 0.95, 1.0 if i < passed else 0.1,
                 i < passed, 100, "scored")
        for i in range(passed + failed)
    ]  # fmt: skip


def test_multi_layer_caching(gw: Gateway) -> None:
    engine = gw.state.engine
    insert_requests(engine, [
        call("layered", model="gpt-4o-mini", cost=5000, tokens_cached=2000), call("layered"),
        call("layered", cache="exact", saved=5000),
        call("checked", cost=5000), call("checked", cache="exact", saved=5000),
        call("checked", cache="semantic", saved=5000),
        call("unchecked", cost=5000), call("unchecked", cache="exact", saved=5000),
        call("unchecked", cache="semantic", saved=5000),
        call("exact-only", cost=5000), call("exact-only", cache="exact", saved=5000),
        call("uncached", cost=5000), call("uncached", cost=5000),
    ])  # fmt: skip
    append_checks(engine, [*_checks("checked", 19, 1), *_checks("unchecked", 5, 0)])
    reports = assess(gw)
    items = {w: {i["item"]: i for i in reports[w]["items"]}["multi_layer_caching"] for w in WORKLOADS}
    verdict = {w: items[w]["verdict"] for w in WORKLOADS}
    assert verdict == {"layered": "met", "checked": "met", "unchecked": "partial", "exact-only": "partial",
                       "uncached": "unmet", "quiet": "not_assessable"}  # fmt: skip
    layered = items["layered"]["evidence"]
    assert layered["exact_hits"] == 1 and layered["exact_hit_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert layered["prompt_cache_tokens"] == 2000 and layered["saved_usd"] == pytest.approx(
        0.000005 + 0.00015
    )  # gpt-4o-mini: 0.075 USD/Mtok off
    assert items["checked"]["evidence"]["semantic_precision"] == 0.95
    assert "unmeasured (5 of 20 checks)" in items["unchecked"]["reason"]
    assert items["exact-only"]["reason"].startswith("one layer: exact")
    assert "none of 2 chat calls" in items["uncached"]["reason"]


def test_a_semantic_layer_below_its_precision_bar_does_not_count(gw: Gateway) -> None:
    insert_requests(gw.state.engine, [
        call("checked", cost=5000), call("checked", cache="exact", saved=5000),
        call("checked", cache="semantic", saved=5000),
    ])  # fmt: skip
    append_checks(gw.state.engine, _checks("checked", 15, 5))
    item = {i["item"]: i for i in assess(gw, "checked")["checked"]["items"]}["multi_layer_caching"]
    assert item["verdict"] == "partial" and "precision 75% is below its bar 90%" in item["reason"]


def test_savings_from_the_hourly_facts_agree_with_the_savings_report(store_url: str) -> None:
    """What the check reads (the assessment's hourly facts, rolled up and live) is what `rungway cost savings` reports
    from the request log, per workload, with hours rolled up, a row stored late and calls after the watermark."""
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    seed_savings(engine)  # an hour ago (and one hit 40 days ago)
    insert_requests(engine, [call("support", cache="exact", saved=300, ago_s=5 * 86400 + 1800),
                             call("other", cost=70, tokens_cached=30, ago_s=2 * 86400)])  # fmt: skip
    now = time.time()
    refresh_rollup(engine, now)
    insert_requests(engine, [call("support", cache="semantic", saved=11, ago_s=10),  # after the watermark
                             call("other", ago_s=5, tokens_cached=7, cost=9),
                             call("support", cache="exact", saved=13, ago_s=3 * 86400)])  # stored late  # fmt: skip
    refresh_rollup(engine, now + 1000)  # the late row is recounted into its hour
    since = now - 30 * 86400
    facts, _ = request_facts(engine, since, now)
    by_workload: dict[str, list[RequestFacts]] = {}
    for f in facts:
        by_workload.setdefault(f.workload, []).append(f)
    report = savings(engine, PRICES, "workload", since, now, ["support", "other"])
    assert {row.key for row in report.rows} == {"support", "other"}
    for row in report.rows:
        assert row.key is not None and savings_of(row.key, by_workload[row.key], PRICES) == row
    engine.dispose()
