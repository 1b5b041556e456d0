"""Budget requests and views (`budgets/service.py`): validation into a budget, the subjects it names, its
status from the live counter and the request log, who may see it, and how it is shown."""

from __future__ import annotations

import time

import pytest

from rungway.budgets.service import (
    BudgetRequest,
    budget_dict,
    budget_status,
    build_budget,
    event_dict,
    set_budget,
    status_dict,
    visible_budgets,
)
from rungway.budgets.store import BudgetEvent, insert_events
from rungway.counters.base import BudgetState
from rungway.errors import InvalidRequest
from rungway.services.keys import create_api_key
from tests.budgets.support import open_store, prespend

NOW = 1_900_000_000.0


def test_a_valid_request_becomes_a_budget_with_sorted_unique_thresholds() -> None:
    budget = build_budget(BudgetRequest("b", "user", "12.5", workload="w", user="ann", thresholds=(80, 50, 80)), NOW)
    assert (budget.scope.value, budget.workload, budget.user, budget.team) == ("user", "w", "ann", None)
    assert budget.amount_nano == 12_500_000_000 and budget.thresholds == (50, 80)
    assert budget.id.startswith("bud_") and budget.created_at == budget.updated_at == NOW


@pytest.mark.parametrize(
    ("request_", "param", "fragment"),
    [
        (BudgetRequest("b", "team", "1", team="qa", period="hourly"), "period", "use one of daily, weekly, monthly"),
        (BudgetRequest("b", "team", "1", team="qa", starts_at=NOW), "period", "drop starts_at/ends_at"),
        (BudgetRequest("b", "team", "1", team="qa", period="fixed", starts_at=NOW, ends_at=NOW), "ends_at", "before"),
        (BudgetRequest("b", "team", "1", team="qa", thresholds=(1001,)), "thresholds", "from 1 to 1000"),
        (BudgetRequest("b", "team", "1", team="qa", webhook_url="ftp://x"), "webhook_url", "http:// or https://"),
        (BudgetRequest("b", "key", "1"), "key_id", "a key budget needs `key_id`"),
    ],
)
def test_a_bad_request_names_the_field_and_the_fix(request_: BudgetRequest, param: str, fragment: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        build_budget(request_, NOW)
    assert caught.value.param == param and fragment in caught.value.message


def test_a_budget_must_name_a_workload_and_key_that_exist(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    with pytest.raises(InvalidRequest) as caught:
        set_budget(engine, BudgetRequest("b", "workload", "1", workload="tset"))
    assert caught.value.param == "workload" and "name an existing one: limited, test" in caught.value.message
    with pytest.raises(InvalidRequest) as caught:
        set_budget(engine, BudgetRequest("b", "key", "1", key_id="key_nope"))
    assert caught.value.param == "key_id"


def test_status_takes_the_larger_of_the_live_counter_and_the_log(store_url: str) -> None:
    engine = open_store(store_url)
    budget = set_budget(engine, BudgetRequest("b", "workload", "0.001", workload="test"))
    prespend(engine, 700_000)
    now = time.time()  # prespend logs the call a second ago: this period
    logged = budget_status(engine, budget, now)
    assert (logged.spent_nano, logged.reserved_nano, logged.logged_nano, logged.live) == (700_000, 0, 700_000, False)
    ahead = budget_status(engine, budget, now, BudgetState(900_000, 50_000))
    assert (ahead.spent_nano, ahead.reserved_nano, ahead.remaining_nano) == (900_000, 50_000, 50_000)
    behind = budget_status(engine, budget, now, BudgetState(10, -5))  # a counter that lost its data
    assert (behind.spent_nano, behind.reserved_nano) == (700_000, 0)
    over = budget_status(engine, budget, now, BudgetState(1_200_000, 0))
    assert over.overspend_nano == 200_000 and over.percent == 120.0


def test_a_workload_key_sees_its_own_workload_user_and_key_budgets_but_no_team_budget(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    own_key = create_api_key(engine, workload="test").key
    other_key = create_api_key(engine, workload="limited").key
    made = [
        set_budget(engine, BudgetRequest("wl", "workload", "1", workload="test")),
        set_budget(engine, BudgetRequest("usr", "user", "1", workload="test", user="ann")),
        set_budget(engine, BudgetRequest("other-wl", "workload", "1", workload="limited")),
        set_budget(engine, BudgetRequest("team", "team", "1", team="qa")),
        set_budget(engine, BudgetRequest("my-key", "key", "1", key_id=own_key.id)),
        set_budget(engine, BudgetRequest("their-key", "key", "1", key_id=other_key.id)),
    ]
    assert [b.name for b in visible_budgets(engine, made, "test")] == ["wl", "usr", "my-key"]
    assert visible_budgets(engine, made, None) == []


def test_shown_budgets_mask_webhook_secrets_and_give_times_in_utc(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    budget = set_budget(engine, BudgetRequest(
        "b", "team", "2.5", team="qa", period="fixed", starts_at=NOW, ends_at=NOW + 86400,
        webhook_url="https://hooks.slack.com/services/T000/B000/SECRET"))  # fmt: skip
    shown = budget_dict(budget)
    assert "SECRET" not in str(shown) and shown["webhook_url"].startswith("https://hooks.slack.com")
    assert (shown["amount_usd"], shown["starts_at"], shown["ends_at"]) == (2.5, "2030-03-17T17:46:40Z",
                                                                            "2030-03-18T17:46:40Z")  # fmt: skip
    status = status_dict(budget_status(engine, budget, NOW + 10))
    assert status["period_start"] == "2030-03-17T17:46:40Z" and status["spent_usd"] == 0
    event = BudgetEvent("bev_1", budget.id, NOW, "alert_failed", NOW,
                        message="webhook https://hooks.slack.com/services/T000/B000/SECRET answered 500")  # fmt: skip
    insert_events(engine, [event])
    assert "SECRET" not in event_dict(event)["message"]
