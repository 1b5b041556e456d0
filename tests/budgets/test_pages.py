"""The budgets panel on the overview: spend today and this month as /api/usage says, budgets scoped as /api/budgets."""

from __future__ import annotations

import re
from collections.abc import Callable

import requests

from rungway.budgets.pages import period_starts
from rungway.budgets.service import BudgetRequest, set_budget
from rungway.domain.keys import Role
from rungway.web.render import format_usd
from tests.servers import Gateway
from tests.web.support import UiClient, seed_calls


def _shown(page: str, cell_id: str) -> str:
    found = re.search(rf'id="{cell_id}">([^<]*)<', page)
    assert found is not None, cell_id
    return found.group(1)


def test_the_spend_panel_shows_the_apis_figures_and_the_budgets_state(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    key = gateway.create_key(workload="test")
    seed_calls(gateway, key.secret, 3, model="gpt-4o")
    set_budget(
        gateway.state.engine, BudgetRequest(name="test-monthly", scope="workload", amount_usd="5", workload="test")
    )
    set_budget(gateway.state.engine, BudgetRequest(name="qa-team", scope="team", amount_usd="9", team="qa"))
    usage = requests.get(
        f"{gateway.base_url}/api/usage?by=workload&since=1d",
        headers={"Authorization": "Bearer admin-secret"},
        timeout=30,
    ).json()
    (row,) = usage["data"]
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    page = client.get("/ui").text
    month = _shown(page, "spend-month-test")
    assert month == format_usd(row["cost_usd"])
    assert _shown(page, "spend-today-test") == month  # every call was made today
    assert "test-monthly" in page and "qa-team" in page
    viewer = ui_client(gateway)
    viewer.sign_in(gateway.create_key(workload="test", role=Role.VIEWER).secret)
    scoped = viewer.get("/ui").text
    assert "test-monthly" in scoped and "qa-team" not in scoped  # a team budget sums other workloads' spend


def test_period_starts_are_utc_midnight_and_the_first_of_the_month() -> None:
    assert period_starts(1_764_513_000.0) == (1_764_460_800.0, 1_764_547_200.0 - 30 * 86_400)
