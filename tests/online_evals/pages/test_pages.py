"""/ui/online-evals over plain HTTP against a real gateway: the scorers with their sampling and today's counts, the
spend against the cap, the online and feedback means side by side, and the workload scope (another workload's
page is a 404). The browser flow is in tests/web/test_browser_online_evals.py."""

from __future__ import annotations

import html
from collections.abc import Callable

import requests

from rungway.domain.keys import Role
from tests.online_evals.support import online_gateway, settle
from tests.servers import Gateway
from tests.web.support import UiClient


def seed(gateway: Gateway) -> str:
    """Three scored calls to gpt-4o and feedback on one of them; the trace id of that one."""
    client = gateway.sdk(gateway.create_key("test").secret)
    trace = ""
    for _ in range(3):
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        trace = raw.headers["x-rungway-trace-id"]
    answer = requests.post(
        gateway.base_url + "/api/scores",
        timeout=10,
        json={"trace_id": trace, "name": "thumbs", "value": True},
        headers={"Authorization": f"Bearer {gateway.create_key('test').secret}"},
    )
    assert answer.status_code == 201, answer.text
    settle(gateway)
    return trace


def _client(ui_client: Callable[..., UiClient], gateway: Gateway, secret: str) -> UiClient:
    client = ui_client(gateway)
    assert client.sign_in(secret).status_code == 303
    return client


def test_the_page_shows_scorers_spend_and_means(
    gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gateway = online_gateway(gateway_factory, cap=2.5)
    seed(gateway)
    viewer = _client(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    page = viewer.get("/ui/online-evals")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'id="workload-test"' in page.text and "short" in text and "length" in text and "model=gpt-4o" in text
    assert "100.0%" in text  # the sampling rate
    assert "$2.50" in text  # the daily cap
    assert "online" in text and "feedback" in text and "thumbs" in text
    assert "1.000" in text  # both means are 1
    other = _client(ui_client, gateway, gateway.create_key("other", role=Role.VIEWER).secret)
    assert other.get("/ui/online-evals?workload=test").status_code == 404
    assert 'id="workload-test"' not in other.get("/ui/online-evals").text
    admin = _client(ui_client, gateway, "admin-secret")
    assert 'id="workload-test"' in admin.get("/ui/online-evals").text
