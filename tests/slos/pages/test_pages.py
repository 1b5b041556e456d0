"""The SLO pages over plain HTTP against a real gateway: the list with SLI, budget and burn rates; one SLO with
its tiers, history and alerts; the workload scope (another workload's SLO is a 404 page). The browser flow is in
tests/web/test_browser_slos.py."""

from __future__ import annotations

import html
import time
from collections.abc import Callable

from rungway.domain.keys import Role
from rungway.slos import store
from rungway.slos.model import check_slo
from rungway.slos.monitor import MONITOR
from tests.servers import Gateway
from tests.slos.support import calls, spread
from tests.web.support import UiClient


def seed(gateway: Gateway, workload: str = "test") -> None:
    """An availability SLO of the workload burning its budget (10% of calls failed in the last hour), evaluated
    twice so it has a history and a firing alert."""
    engine = gateway.state.engine
    calls(engine, workload, spread(90, 60, 3000))
    calls(engine, workload, spread(10, 60, 3000), status=502)
    slo = check_slo(workload, "chat-availability", {"kind": "availability", "objective": 0.99,
                                                    "description": "answers <b>arrive</b>"})  # fmt: skip
    store.put_definition(engine, slo, "api", None, time.time())
    monitor = gateway.state.slots[MONITOR]
    monitor.evaluate_all(time.time() - 600)
    monitor.evaluate_all(time.time())


def _client(ui_client: Callable[..., UiClient], gateway: Gateway, secret: str) -> UiClient:
    client = ui_client(gateway)
    assert client.sign_in(secret).status_code == 303
    return client


def test_the_list_and_one_slo_with_its_history(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    seed(gateway)
    viewer = _client(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    listing = viewer.get("/ui/slos")
    text = html.unescape(listing.text)
    assert listing.status_code == 200 and "chat-availability" in text
    assert "90.000%" in text and "10.00x" in text and "page-6h" in text
    page = viewer.get("/ui/slos/chat-availability?workload=test")
    text = html.unescape(page.text)
    assert page.status_code == 200 and 'id="sli"' in page.text and 'id="history"' in page.text
    assert "<b>arrive</b>" not in page.text and "&lt;b&gt;" in page.text  # the description is text
    assert "-900.0%" in text and "firing" in text and "<svg" in page.text
    other = _client(ui_client, gateway, gateway.create_key("other", role=Role.VIEWER).secret)
    assert other.get("/ui/slos/chat-availability?workload=test").status_code == 404
    assert other.get("/ui/slos/chat-availability").status_code == 404
    assert "chat-availability" not in other.get("/ui/slos").text
