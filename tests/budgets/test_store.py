"""The budgets' tables (`budgets/store.py`) on SQLite and PostgreSQL: budgets saved by name, soft-deleted,
spend summed from the request log per scope and period, and the event log."""

from __future__ import annotations

from rungway.budgets.service import BudgetRequest, build_budget
from rungway.budgets.store import (
    BudgetEvent,
    count_events,
    delete_budget,
    get_budget,
    insert_events,
    list_budgets,
    list_events,
    save_budget,
    spend_in_log,
    threshold_recorded,
)
from rungway.domain.records import RequestRecord
from rungway.store.requests import insert_requests
from tests.budgets.support import open_store

T0 = 1_900_000_000.0


def test_saving_a_budget_of_the_same_name_replaces_it_and_keeps_its_id(store_url: str) -> None:
    engine = open_store(store_url)
    first = save_budget(engine, build_budget(BudgetRequest("b1", "workload", "5", workload="test"), T0))
    again = save_budget(engine, build_budget(BudgetRequest("b1", "team", "7", team="qa", hard=False), T0 + 1))
    assert again.id == first.id and (again.scope.value, again.team, again.amount_nano, again.hard) == (
        "team", "qa", 7_000_000_000, False)  # fmt: skip
    assert get_budget(engine, "b1") == again == get_budget(engine, first.id)
    assert [b.name for b in list_budgets(engine)] == ["b1"]


def test_a_deleted_budget_is_gone_from_reads_and_can_be_set_again(store_url: str) -> None:
    engine = open_store(store_url)
    made = save_budget(engine, build_budget(BudgetRequest("b1", "workload", "5", workload="test"), T0))
    assert delete_budget(engine, "b1", T0 + 5)
    assert not delete_budget(engine, "b1", T0 + 6) and not delete_budget(engine, "never", T0)
    assert get_budget(engine, "b1") is None and list_budgets(engine) == []
    back = save_budget(engine, build_budget(BudgetRequest("b1", "workload", "9", workload="test"), T0 + 10))
    assert back.id == made.id and get_budget(engine, "b1") == back


def _spend(engine: object, cost: int, ts: float, workload: str = "test", team: str = "qa", user: str | None = None,
           key_id: str | None = None) -> None:  # fmt: skip
    record = RequestRecord(id=f"req_{int(ts * 1000)}_{cost}", ts_start=ts, ts_end=ts, workload=workload,
                           key_id=key_id, user=user, team=team, cost_nano=cost, priced=True)  # fmt: skip
    insert_requests(engine, [record])  # type: ignore[arg-type]


def test_spend_in_log_sums_the_scopes_calls_within_the_period(store_url: str) -> None:
    engine = open_store(store_url)
    _spend(engine, 100, T0, user="ann", key_id="key_a")
    _spend(engine, 20, T0 + 10, user="bob", key_id="key_b")
    _spend(engine, 3, T0 + 20, workload="limited", team="other", user="ann")
    _spend(engine, 4000, T0 - 1)  # before the period
    _spend(engine, 5000, T0 + 100)  # at its end: the next period's
    budgets = {
        "workload": BudgetRequest("w", "workload", "1", workload="test"),
        "user": BudgetRequest("u", "user", "1", workload="test", user="ann"),
        "team": BudgetRequest("t", "team", "1", team="qa"),
        "key": BudgetRequest("k", "key", "1", key_id="key_b"),
    }
    spent = {scope: spend_in_log(engine, build_budget(req, T0), T0, T0 + 100) for scope, req in budgets.items()}
    assert spent == {"workload": 120, "user": 100, "team": 120, "key": 20}


def test_spend_in_log_is_bounded_however_absurd_the_rows(store_url: str) -> None:
    engine = open_store(store_url)
    for i in range(3):
        _spend(engine, 2**62, T0 + i)
    budget = build_budget(BudgetRequest("w", "workload", "1", workload="test"), T0)
    assert spend_in_log(engine, budget, T0, T0 + 10) == 2**53 - 1


def _event(i: int, kind: str, budget_id: str = "bud_1", threshold: int | None = None) -> BudgetEvent:
    return BudgetEvent(id=f"bev_{i}", budget_id=budget_id, ts=T0 + i, kind=kind, period_start=T0, threshold=threshold,
                       message=f"event {i}")  # fmt: skip


def test_events_are_listed_newest_first_filtered_and_counted(store_url: str) -> None:
    engine = open_store(store_url)
    insert_events(engine, [])
    insert_events(engine, [_event(1, "blocked"), _event(2, "threshold", threshold=50), _event(3, "blocked"),
                           _event(4, "blocked", "bud_2")])  # fmt: skip
    assert [e.id for e in list_events(engine)] == ["bev_4", "bev_3", "bev_2", "bev_1"]
    assert [e.id for e in list_events(engine, "bud_1", "blocked")] == ["bev_3", "bev_1"]
    assert [e.id for e in list_events(engine, since=T0 + 2, limit=2)] == ["bev_4", "bev_3"]
    assert [e.id for e in list_events(engine, budget_ids=["bud_2"])] == ["bev_4"]
    assert list_events(engine, budget_ids=[]) == []
    assert list_events(engine, kind="threshold")[0] == _event(2, "threshold", threshold=50)
    assert count_events(engine, "bud_1", "blocked", T0) == 2 and count_events(engine, "bud_1", "blocked", T0 + 2) == 1


def test_a_threshold_is_recorded_per_budget_period_and_percentage(store_url: str) -> None:
    engine = open_store(store_url)
    insert_events(engine, [_event(1, "threshold", threshold=80)])
    assert threshold_recorded(engine, "bud_1", T0, 80)
    assert not threshold_recorded(engine, "bud_1", T0, 50)
    assert not threshold_recorded(engine, "bud_1", T0 + 86400, 80)
    assert not threshold_recorded(engine, "bud_2", T0, 80)
