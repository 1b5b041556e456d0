"""The forecasts page over plain HTTP against a real gateway: the forecast table with its intervals, the
budgets' exhaustion dates, the by/days choices, and the workload scope (another workload is a 404 page).
The browser flow is in tests/web/test_browser_forecasts.py."""

from __future__ import annotations

import time
from collections.abc import Callable

from rungway.domain.keys import Role
from rungway.domain.workloads import Workload
from rungway.forecasts.store import refresh_rollup
from rungway.store.workloads import upsert_workload
from tests.conftest import SIMULATOR_CONFIG
from tests.forecasts.support import seed_spend, workload_budget
from tests.servers import Gateway
from tests.web.support import UiClient

CONFIG = SIMULATOR_CONFIG + "  other:\n    team: ops\n"


def seed(gateway: Gateway) -> None:
    """Five weeks of spend in `test` (users ann and bob) and `other`, with a budget each; `test-weekly` runs out
    this week."""
    engine, now = gateway.state.engine, time.time()
    upsert_workload(engine, Workload(name="other", team="ops"))
    seed_spend(engine, "test", 35, users=("ann", "bob"), now=now, noise=0.3)
    seed_spend(engine, "other", 35, team="ops", users=("eve",), now=now, noise=0.3)
    workload_budget(engine, "test-weekly", "test", "1", period="weekly")
    workload_budget(engine, "other-monthly", "other", "100000")
    refresh_rollup(engine, time.time())  # the server's loop, a round early: the seeded days are late rows


def _client(ui_client: Callable[..., UiClient], gateway: Gateway, secret: str) -> UiClient:
    client = ui_client(gateway)
    assert client.sign_in(secret).status_code == 303
    return client


def test_the_forecast_and_the_budgets(gateway_factory: Callable[..., Gateway],
                                      ui_client: Callable[..., UiClient]) -> None:  # fmt: skip
    gateway = gateway_factory(CONFIG)
    seed(gateway)
    admin = _client(ui_client, gateway, "admin-secret")
    page = admin.get("/ui/forecasts")
    assert page.status_code == 200
    assert 'id="forecast"' in page.text and "Forecast by workload" in page.text and "80% interval" in page.text
    assert ">test<" in page.text and ">other<" in page.text and "seasonal-damped" in page.text
    assert "test-weekly" in page.text and "other-monthly" in page.text
    by_user = admin.get("/ui/forecasts?by=user&days=30&workload=other").text
    assert ">eve<" in by_user and ">ann<" not in by_user and "next 30 days" in by_user
    assert admin.get("/ui/forecasts?by=tag").status_code == 400
    assert admin.get("/ui/forecasts?days=14").status_code == 400


def test_a_workload_key_sees_its_own_workload(gateway_factory: Callable[..., Gateway],
                                              ui_client: Callable[..., UiClient]) -> None:  # fmt: skip
    gateway = gateway_factory(CONFIG)
    seed(gateway)
    viewer = _client(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    page = viewer.get("/ui/forecasts?by=user").text
    assert ">ann<" in page and ">bob<" in page and ">eve<" not in page
    assert "test-weekly" in page and "other-monthly" not in page
    assert viewer.get("/ui/forecasts?workload=other").status_code == 404
    assert viewer.get("/ui/forecasts?workload=nobody").status_code == 404
