"""The budgets capability's evidence checks (budgets/checks.py): coverage of the spend, cost watched in use."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rungway.domain.keys import Role
from tests.assessment.helpers import ASSESS_CONFIG, api, assess, chat, run_cli, set_budget
from tests.servers import Gateway


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(ASSESS_CONFIG, store_url=store_url)


def _item(gw: Gateway, item: str, workload: str = "good") -> dict[str, object]:
    return {r["item"]: r for r in assess(gw, workload)[workload]["items"]}[item]


def test_one_budget_for_a_user_who_never_calls_does_not_make_budgets_met(gw: Gateway) -> None:
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 4, user="heavy-user")
    set_budget(gw, "good-total", "workload", "good")
    set_budget(gw, "good-ghost", "user", "good", user="never-calls")
    budgets = _item(gw, "budgets")
    assert budgets["verdict"] == "partial"
    assert budgets["evidence"]["covered_spend_pct"] == 0.0  # type: ignore[index]
    assert budgets["evidence"]["calling_users_bound"] == 0  # type: ignore[index]


def test_named_user_budgets_binding_the_spend_or_a_default_per_user_budget_meet_budgets(gw: Gateway) -> None:
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 4, user="heavy-user")
    set_budget(gw, "good-total", "workload", "good")
    set_budget(gw, "good-heavy", "user", "good", user="heavy-user")
    named = _item(gw, "budgets")
    assert named["verdict"] == "met" and named["evidence"]["covered_spend_pct"] == 100.0  # type: ignore[index]
    chat(gw, key.secret, "pinned-model", 4, user="new-user")  # a new user nobody budgeted for
    assert _item(gw, "budgets")["verdict"] == "partial"
    body = {"name": "good-each", "scope": "user", "each_user": True, "workload": "good", "amount_usd": 5}
    assert api(gw, "PUT", "/api/budgets", body)[0] == 200
    each = _item(gw, "budgets")
    assert each["verdict"] == "met" and each["evidence"]["default_user_budgets"] == ["good-each"]  # type: ignore[index]


def test_user_budgets_without_a_hard_workload_budget_or_soft_only_budgets_are_not_met(gw: Gateway) -> None:
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 2, user="u1")
    set_budget(gw, "good-soft", "workload", "good", hard=False)
    soft = _item(gw, "budgets")
    assert soft["verdict"] == "unmet" and soft["evidence"]["soft_only_budgets"] == ["good-soft"]  # type: ignore[index]
    set_budget(gw, "good-u1", "user", "good", user="u1")
    assert "a hard workload budget" in str(_item(gw, "budgets")["reason"])


def test_priced_calls_and_the_default_provider_account_alone_do_not_evidence_cost_monitoring(gw: Gateway) -> None:
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 3, user="u1")
    unwatched = _item(gw, "provider_cost_monitoring")
    assert unwatched["verdict"] == "partial"
    assert unwatched["evidence"]["provider_account_pct"] == 100.0  # type: ignore[index]
    assert "nobody read cost" in str(unwatched["reason"])
    done = run_cli(gw, ["cost", "report", "--workload", "good", "--format", "json"])
    assert done.exit_code == 0, done.output
    watched = _item(gw, "provider_cost_monitoring")
    assert watched["verdict"] == "met" and watched["evidence"]["cost_reads"] == {"cost_report": 1}  # type: ignore[index]


def test_a_cost_read_through_the_api_or_a_budget_webhook_counts_as_watching(gw: Gateway) -> None:
    key = gw.create_key("weak")
    chat(gw, key.secret, "pinned-model", 2, user="u1")
    assert _item(gw, "provider_cost_monitoring", "weak")["verdict"] == "partial"
    weak_key = gw.create_key("weak", role=Role.VIEWER)
    assert api(gw, "GET", "/api/usage", key=weak_key.secret, by="user")[0] == 200
    assert _item(gw, "provider_cost_monitoring", "weak")["verdict"] == "met"
    other = gw.create_key("good")
    chat(gw, other.secret, "pinned-model", 2, user="u1")
    body = {"name": "good-alerted", "scope": "workload", "workload": "good", "amount_usd": 50,
            "webhook_url": "https://hooks.example/budget"}  # fmt: skip
    assert api(gw, "PUT", "/api/budgets", body)[0] == 200
    watched = _item(gw, "provider_cost_monitoring")
    assert watched["verdict"] == "met" and watched["evidence"]["budgets_with_alert_webhook"] == ["good-alerted"]  # type: ignore[index]


def test_unpriced_models_keep_cost_monitoring_partial(gw: Gateway) -> None:
    key = gw.create_key("weak")
    chat(gw, key.secret, "unpriced-model", 2)
    assert api(gw, "GET", "/api/cost/report", workload="weak")[0] == 200
    item = _item(gw, "provider_cost_monitoring", "weak")
    assert item["verdict"] == "partial" and item["evidence"]["unpriced_models"] == ["my-private-model"]  # type: ignore[index]
