"""`/api/slos/*` over real HTTP: create, list with status, one SLO, history, delete; OpenSLO import and export;
the workload scope (another workload's SLO is the same 404 as a missing one); bad input is a 4xx in the API's
error shape; configured SLOs cannot be changed through the API; the gauges on /metrics."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable

import pytest

from rungway.domain.keys import Role
from rungway.slos.monitor import MONITOR
from tests.api.http import ADMIN, call
from tests.servers import Gateway
from tests.slos.support import CONFIG, calls, spread

CONFIGURED = (
    CONFIG
    + """
slos:
  tick_s: 3600
  min_calls: 10
  workloads:
    test:
      declared:
        kind: availability
        objective: 99
"""
)


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIGURED, store_url=store_url)


def test_create_list_read_and_delete_an_slo_in_the_keys_workload(gw: Gateway) -> None:
    key = gw.create_key("test").secret
    calls(gw.state.engine, "test", spread(18, 60, 3 * 86400))
    calls(gw.state.engine, "test", spread(2, 60, 3 * 86400), status=502)
    status, made = call(gw, "POST", "/api/slos", key, {"name": "chat", "kind": "availability", "objective": 99.5,
                                                        "window": "7d", "description": "answers"})  # fmt: skip
    assert status == 201 and made["workload"] == "test" and made["objective"] == 0.995 and made["source"] == "api"
    status, listed = call(gw, "GET", "/api/slos", key)
    assert status == 200 and [m["name"] for m in listed["data"]] == ["chat", "declared"]
    status, one = call(gw, "GET", "/api/slos/chat", key)
    assert status == 200 and one["measured"] is True
    assert (one["status"]["good"], one["status"]["total"]) == (18, 20)
    assert one["status"]["sli"] == pytest.approx(0.9)
    assert one["status"]["error_budget_remaining"] == pytest.approx(1 - 2 / (0.005 * 20))
    assert set(one["status"]["burn_rates"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
    status, gone = call(gw, "DELETE", "/api/slos/chat", key)
    assert status == 200 and gone == {"deleted": True}
    assert call(gw, "GET", "/api/slos/chat", key)[0] == 404


def test_another_workloads_slo_is_the_same_404_as_a_missing_one(gw: Gateway) -> None:
    mine, theirs = gw.create_key("test").secret, gw.create_key("other").secret
    assert call(gw, "POST", "/api/slos", mine, {"name": "chat", "kind": "availability", "objective": 0.99})[0] == 201
    missing = call(gw, "GET", "/api/slos/nothing", theirs)
    hidden = call(gw, "GET", "/api/slos/chat", theirs)
    assert missing[0] == hidden[0] == 404
    assert call(gw, "GET", "/api/slos/chat/history", theirs)[0] == 404
    assert call(gw, "DELETE", "/api/slos/chat", theirs)[0] == 404
    assert call(gw, "GET", "/api/slos?workload=test", theirs)[0] == 404
    assert call(gw, "GET", "/api/slos", theirs)[1]["data"] == []
    assert call(gw, "POST", "/api/slos", theirs, {"workload": "test", "name": "x", "kind": "availability",
                                                   "objective": 0.99})[0] == 403  # fmt: skip
    viewer = gw.create_key("test", role=Role.VIEWER).secret
    assert call(gw, "DELETE", "/api/slos/chat", viewer)[0] == 403
    admin = call(gw, "GET", "/api/slos?workload=test", ADMIN)[1]["data"]
    assert {m["name"] for m in admin} == {"chat", "declared"}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "a", "kind": "latency", "objective": 0.99},  # no threshold
        {"name": "a", "kind": "availability", "objective": 30},
        {"name": "A B", "kind": "availability", "objective": 0.99},
        {"name": "a", "kind": "availability", "objective": 0.99, "extra": 1},
        {"name": "a", "kind": "quality", "objective": 0.99, "model": "m"},
        {"name": "a", "kind": "availability", "objective": "high"},
    ],
)
def test_bad_input_is_a_400_naming_the_field(gw: Gateway, body: dict[str, object]) -> None:
    status, answer = call(gw, "POST", "/api/slos", gw.create_key("test").secret, body)
    assert status == 400 and answer["error"]["type"] == "invalid_request_error"


def test_a_configured_slo_cannot_be_changed_or_deleted_through_the_api(gw: Gateway) -> None:
    key = gw.create_key("test").secret
    body = {"name": "declared", "kind": "availability", "objective": 0.9}
    assert call(gw, "POST", "/api/slos", key, body)[0] == 409
    assert call(gw, "DELETE", "/api/slos/declared", key)[0] == 409
    assert call(gw, "GET", "/api/slos/declared", key)[1]["source"] == "config"


def test_openslo_export_then_import_round_trips(gw: Gateway) -> None:
    key = gw.create_key("test").secret
    body = {"name": "fast", "kind": "latency", "objective": 0.95, "threshold_ms": 1200, "measure": "ttft",
            "model": "gpt-4o-mini", "window": "28d"}  # fmt: skip
    assert call(gw, "POST", "/api/slos", key, body)[0] == 201
    status, exported = call(gw, "GET", "/api/slos/openslo", key)
    assert status == 200 and {d["metadata"]["name"] for d in exported["documents"]} == {"fast", "declared"}
    before = call(gw, "GET", "/api/slos/fast", key)[1]
    assert call(gw, "DELETE", "/api/slos/fast", key)[0] == 200
    fast = [d for d in exported["documents"] if d["metadata"]["name"] == "fast"]
    status, imported = call(gw, "POST", "/api/slos/openslo", key, {"documents": fast})
    assert status == 201 and len(imported["data"]) == 1
    after = call(gw, "GET", "/api/slos/fast", key)[1]
    fields = ("kind", "objective", "window_days", "threshold_ms", "measure", "model", "route")
    assert {f: after[f] for f in fields} == {f: before[f] for f in fields}
    broken = [{**fast[0], "apiVersion": "openslo/v0"}]
    status, answer = call(gw, "POST", "/api/slos/openslo", key, {"documents": broken})
    assert status == 400 and answer["error"]["param"] == "documents[0].apiVersion"
    theirs = gw.create_key("other").secret  # imported into the caller's own workload
    assert call(gw, "POST", "/api/slos/openslo", theirs, {"documents": fast})[1]["data"][0]["workload"] == "other"


def test_history_and_metrics_after_an_evaluation(gw: Gateway) -> None:
    key = gw.create_key("test").secret
    monitor = gw.state.slots[MONITOR]  # its first tick is `tick_s` (an hour) after start: none in this test
    calls(gw.state.engine, "test", spread(9, 60, 3600))
    calls(gw.state.engine, "test", spread(1, 60, 3600), status=500)
    monitor.evaluate_all(time.time())
    status, history = call(gw, "GET", "/api/slos/declared/history", key)
    assert status == 200 and len(history["data"]) == 1 and history["data"][0]["sli"] == pytest.approx(0.9)
    with urllib.request.urlopen(gw.base_url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    assert 'rungway_slo_sli_ratio{slo="declared",window="30d",workload="test"} 0.9' in text
    assert 'rungway_slo_burn_rate{slo="declared",window="1h",workload="test"} 10.0' in text
    assert 'rungway_slo_error_budget_remaining_ratio{slo="declared",window="30d",workload="test"} -9.0' in text
