"""Budget rules: periods in UTC, amounts in nano-dollars, thresholds, coverage, validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rungway.budgets.model import (
    Budget,
    BudgetScope,
    Period,
    counter_ttl_s,
    crossed_thresholds,
    parse_usd,
    period_bounds,
)
from rungway.budgets.service import BudgetRequest, build_budget
from rungway.errors import InvalidRequest


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _budget(period: Period, **kwargs: object) -> Budget:
    return Budget("b", "b", BudgetScope.WORKLOAD, 1_000, period, workload="w", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        (Period.DAILY, "2025-03-09T23:59:59", "2025-03-09T00:00:00", "2025-03-10T00:00:00"),
        (Period.WEEKLY, "2025-03-09T12:00:00", "2025-03-03T00:00:00", "2025-03-10T00:00:00"),  # a Sunday
        (Period.MONTHLY, "2024-02-29T08:00:00", "2024-02-01T00:00:00", "2024-03-01T00:00:00"),
        (Period.MONTHLY, "2025-12-31T23:00:00", "2025-12-01T00:00:00", "2026-01-01T00:00:00"),
    ],
)
def test_periods_start_and_end_in_utc(period: Period, now: str, start: str, end: str) -> None:
    assert period_bounds(_budget(period), _ts(now)) == (_ts(start), _ts(end))


def test_fixed_window_applies_only_inside_it() -> None:
    b = _budget(Period.FIXED, starts_at=100.0, ends_at=200.0)
    assert period_bounds(b, 150) == (100.0, 200.0)
    assert [b.active(t) for t in (99, 100, 199, 200)] == [False, True, True, False]


def test_a_period_counter_lives_a_day_past_the_period_and_never_past_401_days() -> None:
    assert counter_ttl_s(period_end=1000.0, now=400.0) == 600 + 86400
    assert counter_ttl_s(period_end=float("inf"), now=0.0) == 401 * 86400  # a fixed budget without an end
    assert counter_ttl_s(period_end=100.5, now=100.0) == 86400  # the period's last moment: the day after remains


def test_amounts_are_exact_nano_dollars() -> None:
    assert parse_usd("$12.50") == 12_500_000_000
    assert parse_usd("0.000000001") == 1
    for bad in ("ten", "0", "-5"):
        with pytest.raises(ValueError):
            parse_usd(bad)


def test_thresholds_are_crossed_once_upwards() -> None:
    b = _budget(Period.DAILY)
    assert crossed_thresholds(b, 0, 499) == []
    assert crossed_thresholds(b, 499, 1_000) == [50, 80, 100]
    assert crossed_thresholds(b, 800, 900) == []


def test_user_budget_covers_that_user_in_that_workload_only() -> None:
    b = Budget("b", "b", BudgetScope.USER, 1, Period.DAILY, workload="w", user="ann")
    assert b.covers("w", "ann", None, None)
    assert not b.covers("other", "ann", None, None)
    assert not b.covers("w", "bob", None, None)


@pytest.mark.parametrize(
    ("request_", "param"),
    [
        (BudgetRequest("Bad Name", "workload", "1", workload="w"), "name"),
        (BudgetRequest("monthly\n", "workload", "1", workload="w"), "name"),  # `$` alone allows a final newline
        (BudgetRequest("x", "workload", "1"), "workload"),
        (BudgetRequest("x", "user", "1", workload="w"), "user"),
        (BudgetRequest("x", "galaxy", "1"), "scope"),
        (BudgetRequest("x", "team", "abc", team="qa"), "amount_usd"),
        (BudgetRequest("x", "team", "1", period="fixed", team="qa"), "ends_at"),
        (BudgetRequest("x", "team", "1", team="qa", thresholds=(0,)), "thresholds"),
    ],
)
def test_invalid_budgets_name_the_field(request_: BudgetRequest, param: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        build_budget(request_, 0.0)
    assert error.value.param == param
