"""`content_filtering` on seeded stores (SQLite and PostgreSQL): met, partial, unmet and not assessable, from
the rules the server noted in force and the workloads' traffic, by risk tier."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.guardrails.config import parse_guardrails
from rungway.guardrails.store import note_policies, policies_since
from rungway.store.requests import insert_requests
from tests.assessment.helpers import ASSESS_CONFIG, assess
from tests.servers import Gateway

CONFIG = (
    ASSESS_CONFIG
    + """
  unfiltered:
    risk_tier: internal
  one-way:
    risk_tier: internal
guardrails:
  default:
    input: {secrets: {action: block}, pii: {action: redact}}
    output: {secrets: {action: redact}, pii: {action: flag}}
  workloads:
    unfiltered: {input: {}, output: {pii: {action: flag}}}
    one-way: {output: {}}
"""
)


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _calls(gw: Gateway, workload: str, n: int = 3) -> None:
    now = time.time()
    insert_requests(gw.state.engine, [
        RequestRecord(id=new_id("req_"), ts_start=now - 60, ts_end=now - 59, workload=workload, key_id="key_app",
                      user="u1", team=None, model_resolved="gpt-4o-2024-08-06", status=200, latency_ms=20.0)
        for _ in range(n)
    ])  # fmt: skip


def test_content_filtering_by_tier_met_partial_unmet_and_not_assessable(gw: Gateway) -> None:
    for workload in ("good", "weak", "idle", "unfiltered", "one-way"):
        if workload != "idle":
            _calls(gw, workload)
    _calls(gw, "idle-but-configured-elsewhere")
    items = {w: {i["item"]: i for i in r["items"]} for w, r in assess(gw).items()}
    found = {w: items[w]["content_filtering"] for w in ("good", "weak", "idle", "unfiltered", "one-way")}
    # internal needs secrets both ways: the default blocks them in, redacts them out
    assert found["unfiltered"]["verdict"] == "unmet"
    assert found["one-way"]["verdict"] == "partial"
    assert found["one-way"]["evidence"]["missing"] == ["output:secrets"]
    assert found["idle"]["verdict"] == "not_assessable"
    # customer-facing also needs pii both ways: flagging the output is recording, not filtering
    assert found["good"]["verdict"] == "partial" and found["good"]["evidence"]["missing"] == ["output:pii"]
    assert found["weak"]["verdict"] == "partial"
    assert found["weak"]["evidence"]["missing"] == ["input:injection", "output:pii"]


def test_a_policy_covering_every_class_is_met(gw: Gateway) -> None:
    strict = parse_guardrails(
        {
            "workloads": {
                "weak": {
                    "input": {c: {"action": "block"} for c in ("secrets", "pii", "injection")},
                    "output": {c: {"action": "redact"} for c in ("secrets", "pii")},
                }
            }
        }
    )
    note_policies(gw.state.engine, strict, time.time())
    _calls(gw, "weak")
    item = {i["item"]: i for i in assess(gw, "weak")["weak"]["items"]}["content_filtering"]
    assert item["verdict"] == "met", item


def test_noting_the_policy_again_moves_last_seen_and_keeps_first_seen(gw: Gateway) -> None:
    engine = gw.state.engine
    before = {(r.workload, r.direction, r.detector): r for r in policies_since(engine, 0)}
    assert before[("*", "input", "secrets")].action == "block"
    note_policies(engine, parse_guardrails({"default": {"input": {"secrets": {"action": "redact"}}}}), 4e9)
    after = {(r.workload, r.direction, r.detector): r for r in policies_since(engine, 3e9)}
    row = after[("*", "input", "secrets")]
    assert row.action == "redact" and row.last_seen == 4e9
    assert row.first_seen == before[("*", "input", "secrets")].first_seen
    assert after[("*", "output", "-")].action == "none"  # an empty direction is noted as such
    assert len(after) == 2
