"""The scheduled re-assessment on the server: drift between runs is posted to a loopback webhook, retried."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from rungway.assessment.service import run_assessment
from tests.assessment.helpers import ASSESS_CONFIG, assess, chat
from tests.servers import AppServer, Gateway


class Receiver:
    """A loopback webhook receiver that fails its first `failures` deliveries with 500."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0
        self.payloads: list[dict[str, Any]] = []
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.server = AppServer(app)
        self.url = self.server.base_url + "/hook"

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.attempts <= self.failures:
            return web.Response(status=500)
        self.payloads.append(orjson.loads(await request.read()))
        return web.Response(status=204)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _scheduled_pinning(gw: Gateway) -> str | None:
    """The model_pinning verdict of `good` in the newest scheduled assessment (None before one)."""
    with gw.state.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "select report from assessments where trigger = 'scheduled' and workload = 'good' "
            "order by assessed_at desc limit 1"
        ).first()
    if row is None:
        return None
    items = orjson.loads(row[0])["items"]
    return str(next(i["verdict"] for i in items if i["item"] == "model_pinning"))


def test_a_manual_run_does_not_swallow_the_drift_the_next_scheduled_run_alerts(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(ASSESS_CONFIG)  # no schedule: the scheduled runs are made here, at chosen times
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 3, user="u1")
    gw.flush()
    engine, config = gw.state.engine, gw.state.config
    now = time.time()
    first = run_assessment(engine, config, workload="good", trigger="scheduled", now=now)
    assert first.drifts == []
    chat(gw, key.secret, "floating-model", 3, user="u1")  # an unpinned model slipped in
    gw.flush()
    manual = run_assessment(engine, config, workload="good", trigger="manual", now=now + 1)
    assert [d.regressed_items for d in manual.drifts] == [("model_pinning",)]  # the person running it sees it
    scheduled = run_assessment(engine, config, workload="good", trigger="scheduled", now=now + 2)
    assert [d.regressed_items for d in scheduled.drifts] == [("model_pinning",)]  # and the alert still goes out
    again = run_assessment(engine, config, workload="good", trigger="scheduled", now=now + 3)
    assert again.drifts == []  # alerted once: the next scheduled run compares against the alerted one


def test_scheduled_assessment_flags_drift_and_posts_the_webhook_with_retries(
    gateway_factory: Callable[..., Gateway],
) -> None:
    receiver = Receiver(failures=1)
    try:
        config = ASSESS_CONFIG + (
            "assessment:\n  interval: 1s\n  refresh: 1h\n"
            f"  webhook: {{url: '{receiver.url}', retries: 3, backoff: 0.1s}}\n"
        )
        gw = gateway_factory(config)
        key = gw.create_key("good")
        chat(gw, key.secret, "pinned-model", 3, user="u1")
        gw.flush()
        # The baseline of a scheduled run is the last scheduled run: wait for one that saw the pinned calls.
        assert wait_for(lambda: _scheduled_pinning(gw) == "met"), "no scheduled run saw the pinned calls"
        assert assess(gw, "good")["good"]["drift"] is None
        chat(gw, key.secret, "floating-model", 3, user="u1")  # an unpinned model slipped in
        gw.flush()
        assert wait_for(lambda: bool(receiver.payloads)), "no drift webhook delivered"
        payload = receiver.payloads[0]
        assert payload["event"] == "maturity.drift"
        drift = next(d for d in payload["drifts"] if d["workload"] == "good")
        assert "model_pinning" in drift["regressed_items"]
        assert receiver.attempts >= 2  # the first delivery failed and was retried
        with gw.state.engine.connect() as conn:
            triggers = {r[0] for r in conn.exec_driver_sql("select trigger from assessments")}
        assert triggers == {"api", "scheduled"}
    finally:
        receiver.server.stop()
