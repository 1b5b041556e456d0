"""`/api/anomalies` and `rungway anomalies` against a real gateway: the server's watcher opens an anomaly, the
routes are scoped to the caller's workload, bad input is a 4xx in the API's shape, the webhook gets one alert
per episode across two replicas sharing a store."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from rungway.domain.keys import Role
from tests.alerts.receiver import Receiver
from tests.anomalies.support import GATEWAY_CONFIG, fixed_now, seed_incident, tick
from tests.api.http import call
from tests.servers import Gateway


def test_routes_are_scoped_to_the_callers_workload(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(GATEWAY_CONFIG)
    seed_incident(gw.state.engine, "test")
    seed_incident(gw.state.engine, "other")
    assert sorted(c.anomaly.workload for c in tick(gw)) == ["other", "test"]
    mine, theirs = gw.create_key("test", role=Role.VIEWER).secret, gw.create_key("other").secret
    status, body = call(gw, "GET", "/api/anomalies", mine)
    assert status == 200 and [a["workload"] for a in body["data"]] == ["test"]
    (a,) = body["data"]
    assert a["metric"] == "error_rate" and a["dimension"] == "model" and a["dimension_value"] == "gpt-4o"
    status, detail = call(gw, "GET", f"/api/anomalies/{a['id']}", mine)
    assert status == 200 and detail["anomaly"]["id"] == a["id"] and detail["series"][-1]["z"] >= 5
    hidden = call(gw, "GET", f"/api/anomalies/{a['id']}", theirs)
    missing = call(gw, "GET", "/api/anomalies/anom_000000000000000000000000", theirs)
    assert hidden[0] == missing[0] == 404 and hidden[1]["error"]["type"] == missing[1]["error"]["type"]
    assert call(gw, "GET", "/api/anomalies?workload=test", theirs)[0] == 404
    assert {x["workload"] for x in call(gw, "GET", "/api/anomalies")[1]["data"]} == {"test", "other"}
    assert [x["workload"] for x in call(gw, "GET", "/api/anomalies?workload=other")[1]["data"]] == ["other"]
    watch = call(gw, "GET", f"/api/anomalies/watch?since={int(fixed_now()) - 3600}", mine)[1]["data"]
    assert [(w["workload"], w["enabled"], w["evaluated"], w["open_anomalies"]) for w in watch] == [
        ("test", True, True, 1)
    ]
    assert not call(gw, "GET", "/api/anomalies/watch", mine)[1]["data"][0]["evaluated"]  # not in the last 7 days


def test_bad_input_is_a_4xx_in_the_apis_shape(gateway: Gateway) -> None:
    for path in ("/api/anomalies?status=closed", "/api/anomalies?limit=0", "/api/anomalies?limit=x",
                 "/api/anomalies/watch?since=yesterday", "/api/anomalies?workload=" + "w" * 65,
                 "/api/anomalies/" + "x" * 300):  # fmt: skip
        status, body = call(gateway, "GET", path)
        assert 400 <= status < 500 and "error" in body, (path, status, body)
    assert call(gateway, "GET", "/api/anomalies", None)[0] == 401


def test_the_routes_are_published_in_openapi(gateway: Gateway) -> None:
    paths = call(gateway, "GET", "/api/openapi.json")[1]["paths"]
    assert {"/api/anomalies", "/api/anomalies/watch", "/api/anomalies/{id}"} <= set(paths)


def test_one_alert_per_episode_across_replicas(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    receiver = Receiver()
    try:
        config = GATEWAY_CONFIG + f"alerts:\n  webhook_url: {receiver.url}\n"
        first, second = gateway_factory(config, store_url=store_url), gateway_factory(config, store_url=store_url)
        seed_incident(first.state.engine, "test")
        assert len(tick(first)) == 1
        assert tick(second) == []  # the hour was judged by the first replica
        assert tick(first) == []
        receiver.wait_for(1)
        (event,) = receiver.delivered
        assert event["type"] == "anomaly.opened" and event["workload"] == "test" and event["metric"] == "error_rate"
        assert event["dimension"] == "model" and event["dimension_value"] == "gpt-4o" and event["traces"]
    finally:
        receiver.server.stop()


@pytest.mark.redis
def test_replicas_ticking_at_once_over_redis_send_one_alert(
    gateway_factory: Callable[..., Gateway], store_url: str, redis_url: str
) -> None:
    receiver = Receiver()
    try:
        counters = (
            f"counters:\n  backend: redis\n  redis_url: {redis_url}\n  key_prefix: 'test:{secrets.token_hex(6)}:'\n"
        )
        config = GATEWAY_CONFIG + counters + f"alerts:\n  webhook_url: {receiver.url}\n"
        replicas = [gateway_factory(config, store_url=store_url) for _ in range(2)]
        seed_incident(replicas[0].state.engine, "test")
        with ThreadPoolExecutor(2) as pool:
            found = list(pool.map(tick, replicas))
        assert sorted(len(changes) for changes in found) == [0, 1]  # one replica judged the hour
        receiver.wait_for(1)
        time.sleep(0.5)  # a second alert would arrive by now
        assert [event["type"] for event in receiver.delivered] == ["anomaly.opened"]
    finally:
        receiver.server.stop()
