"""The anomaly pages over plain HTTP against a real gateway: the list with the watch state, one anomaly with
what moved, its traces and hours, and the workload scope (another workload's anomaly is a 404 page). The
browser flow is in tests/web/test_browser_anomalies.py."""

from __future__ import annotations

import html
from collections.abc import Callable

from rungway.domain.keys import Role
from tests.anomalies.support import GATEWAY_CONFIG, seed_incident, tick
from tests.servers import Gateway
from tests.web.support import UiClient


def _client(ui_client: Callable[..., UiClient], gateway: Gateway, secret: str) -> UiClient:
    client = ui_client(gateway)
    assert client.sign_in(secret).status_code == 303
    return client


def seed(gateway: Gateway) -> str:
    """An error-rate anomaly of workload `test` (gpt-4o failing); its id."""
    seed_incident(gateway.state.engine, "test")
    (change,) = tick(gateway)
    return change.anomaly.id


def test_the_list_and_an_anomaly_page(gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]) -> (
    None
):  # fmt: skip
    gateway = gateway_factory(GATEWAY_CONFIG)
    anomaly_id = seed(gateway)
    viewer = _client(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    listing = viewer.get("/ui/anomalies")
    assert listing.status_code == 200
    text = html.unescape(listing.text)
    assert f"/ui/anomalies/{anomaly_id}" in text and "Error rate" in text and "gpt-4o" in text
    assert 'id="watch"' in listing.text
    assert anomaly_id not in viewer.get("/ui/anomalies?status=resolved").text
    page = viewer.get(f"/ui/anomalies/{anomaly_id}")
    assert page.status_code == 200
    body = html.unescape(page.text)
    assert "The model dimension moved most" in " ".join(body.split()).replace("<strong>", "").replace("</strong>", "")
    assert "/ui/traces/" in body and "anomalous" in body
    other = _client(ui_client, gateway, gateway.create_key("other", role=Role.VIEWER).secret)
    assert other.get(f"/ui/anomalies/{anomaly_id}").status_code == 404
    assert other.get("/ui/anomalies?workload=test").status_code == 404
    assert anomaly_id not in other.get("/ui/anomalies").text
    assert viewer.get("/ui/anomalies?status=closed").status_code == 400
    admin = _client(ui_client, gateway, "admin-secret")
    assert admin.get(f"/ui/anomalies/{anomaly_id}").status_code == 200
    assert anomaly_id in admin.get("/ui/anomalies?workload=test").text
