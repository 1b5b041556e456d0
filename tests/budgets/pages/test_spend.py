"""The Cost and budgets page over plain HTTP: the API's figures, workload scope, and budget changes by role
with CSRF (the browser test in tests/web/test_browser_pages.py shows a budget set here holds at the gateway)."""

from __future__ import annotations

import re
from collections.abc import Callable

import openai
import pytest
import requests
from multidict import MultiDict

from rungway.api.auth import Caller
from rungway.budgets.pages.spend import budget_form, may_change
from rungway.budgets.service import BudgetRequest, set_budget
from rungway.budgets.steps import BUDGETS
from rungway.budgets.store import get_budget
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest
from rungway.store.reads import reads_by_workload
from tests.servers import Gateway
from tests.web.support import UiClient, seed_calls


def _admin_api(gateway: Gateway, path: str) -> dict[str, object]:
    answer = requests.get(f"{gateway.base_url}{path}", headers={"Authorization": "Bearer admin-secret"}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert isinstance(body, dict)
    return body


def _cells(page: str, attribute: str) -> list[int]:
    return [int(v) for v in re.findall(rf'{attribute}="(\d+)"', page)]


def test_the_breakdowns_equal_the_cost_report_of_the_api(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    seed_calls(gateway, gateway.create_key(workload="test").secret, 3, model="gpt-4o", user="ana")
    seed_calls(gateway, gateway.create_key(workload="other").secret, 2, user="olga")
    admin = ui_client(gateway)
    admin.sign_in("admin-secret")
    for by in ("workload", "user", "model", "team"):
        page = admin.get(f"/ui/cost?by={by}&since=1d")
        assert page.status_code == 200, page.text
        report = _admin_api(gateway, f"/api/cost/report?by={by}&since=1d")
        rows = report["rows"]
        assert isinstance(rows, list)
        assert _cells(page.text, "data-cost-nano") == [r["cost_nano"] for r in rows]
        for row in rows:
            assert f'<td class="clip">{row["key"] if row["key"] is not None else "(none)"}</td>' in page.text
    assert "olga" in admin.get("/ui/cost?by=user").text
    viewer = ui_client(gateway)
    viewer.sign_in(gateway.create_key(workload="test", role=Role.VIEWER).secret)
    scoped = viewer.get("/ui/cost?by=user")
    assert scoped.status_code == 200 and "ana" in scoped.text and "olga" not in scoped.text
    assert viewer.get("/ui/cost?workload=other").status_code == 403  # another workload, as /api/logs refuses
    assert viewer.get("/ui/cost?by=nope").status_code == 400
    assert viewer.get("/ui/cost?by=tag").status_code == 400  # by tag needs the tag key
    assert "Set a budget" not in scoped.text  # a viewer sees, never changes
    gateway.flush()
    reads = reads_by_workload(gateway.state.engine, 0.0, ("cost_report",))
    assert reads["test"]["cost_report"] >= 1  # looking at cost counts as watching it, as on the API


def test_budgets_show_their_state_and_events_scoped_like_the_api(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    engine = gateway.state.engine
    seed_calls(gateway, gateway.create_key(workload="test").secret, 2)  # spent before the budget was set
    set_budget(engine, BudgetRequest(name="test-tiny", scope="workload", amount_usd="0.000001", workload="test"))
    set_budget(engine, BudgetRequest(name="qa-team", scope="team", amount_usd="9", team="qa"))
    gateway.call(gateway.state.slots[BUDGETS].book.refresh)
    client = openai.OpenAI(base_url=gateway.openai_base, api_key=gateway.create_key("test").secret, max_retries=0)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    gateway.flush()
    admin = ui_client(gateway)
    admin.sign_in("admin-secret")
    page = admin.get("/ui/cost").text
    assert 'id="budget-test-tiny"' in page and 'id="budget-qa-team"' in page
    api = _admin_api(gateway, "/api/budgets")["data"]
    assert isinstance(api, list)
    spent = _cells(page, "data-spent-nano")
    assert spent == [b["spent_nano"] for b in api] and max(spent) > 0  # the API's spend, budget by budget
    assert "blocked" in page and 'href="/ui/requests?workload=test"' in page  # the event links to the calls
    viewer = ui_client(gateway)
    viewer.sign_in(gateway.create_key(workload="test", role=Role.VIEWER).secret)
    scoped = viewer.get("/ui/cost").text
    assert 'id="budget-test-tiny"' in scoped and 'id="budget-qa-team"' not in scoped
    assert "Delete budget" not in scoped


def test_only_the_admin_sets_and_deletes_budgets_as_on_the_api(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    engine = gateway.state.engine
    form = {"name": "test-month", "scope": "workload", "amount_usd": "12.5", "period": "monthly", "workload": "test"}
    secret = gateway.create_key(workload="test").secret
    developer = ui_client(gateway)
    developer.sign_in(secret)
    assert developer.post("/ui/cost/budgets", form).status_code == 403  # a valid token, not the admin
    assert 'aria-label="Set a budget"' not in developer.get("/ui/cost").text
    api = requests.put(
        f"{gateway.base_url}/api/budgets",
        json={"name": "test-month", "scope": "workload", "amount_usd": "12.5", "workload": "test"},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )
    assert api.status_code == 403  # the page refuses what the API refuses
    admin = ui_client(gateway)
    admin.sign_in("admin-secret")
    assert admin.post("/ui/cost/budgets", form, csrf="").status_code == 403  # no CSRF token
    assert admin.post("/ui/cost/budgets", form, csrf="wrong").status_code == 403
    assert get_budget(engine, "test-month") is None
    saved = admin.post("/ui/cost/budgets", {**form, "hard": "true", "thresholds": "50, 90"})
    assert saved.status_code == 303 and saved.headers["Location"] == "/ui/cost#budgets"
    budget = get_budget(engine, "test-month")
    assert budget is not None and budget.amount_nano == 12_500_000_000 and budget.hard and budget.thresholds == (50, 90)
    bad = admin.post("/ui/cost/budgets", {**form, "amount_usd": "-3"})
    assert bad.status_code == 400 and "more than 0 USD" in bad.text
    assert admin.post("/ui/cost/budgets", {**form, "name": "x" * 5000}).status_code == 400
    each = {**form, "name": "test-each", "scope": "user", "each_user": "true", "amount_usd": "2"}
    assert admin.post("/ui/cost/budgets", each).status_code == 303
    default = get_budget(engine, "test-each")
    assert default is not None and default.each_user and default.user is None and default.workload == "test"
    assert (
        admin.post("/ui/cost/budgets", {"name": "qa", "scope": "team", "amount_usd": "3", "team": "qa"}).status_code
        == 303
    )
    edit = admin.get("/ui/cost?edit=test-month").text
    assert 'value="12.5"' in edit and 'value="50,90"' in edit
    assert developer.post("/ui/cost/budgets/test-month/delete").status_code == 403
    assert admin.post("/ui/cost/budgets/test-month/delete").status_code == 303
    assert get_budget(engine, "test-month") is None and get_budget(engine, "qa") is not None
    viewer = ui_client(gateway)
    viewer.sign_in(gateway.create_key(workload="test", role=Role.VIEWER).secret)
    assert viewer.post("/ui/cost/budgets", form).status_code == 403


def test_budget_form_bounds_each_field_and_names_mistakes() -> None:
    request = budget_form(MultiDict({"name": "a", "amount_usd": "1", "workload": "w"}), 0.0)
    assert request.scope == "workload" and request.period == "monthly" and not request.hard
    with pytest.raises(InvalidRequest, match="thresholds"):
        budget_form(MultiDict({"thresholds": "50,lots"}), 0.0)
    with pytest.raises(InvalidRequest, match="unknown field 'sneaky'"):
        budget_form(MultiDict({"sneaky": "1"}), 0.0)
    with pytest.raises(InvalidRequest, match="webhook_url is longer"):
        budget_form(MultiDict({"webhook_url": "https://" + "x" * 3000}), 0.0)


def test_who_may_change_which_budget() -> None:
    developer = Caller(Role.DEVELOPER, "key_1", "test")
    assert not may_change(developer, "workload", "test") and not may_change(developer, "user", "test")
    assert not may_change(Caller(Role.VIEWER, "key_2", "test"), "workload", "test")
    assert may_change(Caller(Role.ADMIN, None, None), "team", None)
    assert may_change(Caller(Role.ADMIN, None, None), "workload", "test")
