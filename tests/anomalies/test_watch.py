"""The webhook events of opened and resolved anomalies: one per episode and kind, with what the on-call needs."""

from __future__ import annotations

from dataclasses import replace

from rungway.anomalies.model import Anomaly
from rungway.anomalies.service import Change
from rungway.anomalies.watch import alert_events


def test_each_change_is_one_event_keyed_by_its_episode() -> None:
    a = Anomaly("anom_1", "test", "latency_p95", "open", 3600.0, 3600.0, None, 900.0, 400.0, 8.0, 8.0, "jump", 0,
                "provider", "sim", {}, ("t1",), 4000.0)  # fmt: skip
    opened, resolved = alert_events([Change("opened", a), Change("resolved", replace(a, status="resolved"))])
    assert (opened.kind, opened.key) == ("anomaly.opened", "anomaly:anom_1:opened")
    assert resolved.key == "anomaly:anom_1:resolved" and opened.key != resolved.key
    body = opened.payload
    assert body["workload"] == "test" and body["metric"] == "latency_p95" and body["unit"] == "ms"
    assert (body["value"], body["expected"], body["dimension"], body["traces"]) == (900.0, 400.0, "provider", ["t1"])
