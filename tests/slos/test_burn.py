"""The SLO arithmetic by hand: SLI, budget remaining, burn rates and which alert tiers fire."""

from __future__ import annotations

import pytest

from rungway.slos.burn import BURN_WINDOWS, TIERS, Counts, burn_rate, status_of, window_label


def test_burn_rate_is_the_bad_share_over_the_error_budget() -> None:
    assert burn_rate(Counts(good=990, total=1000), 0.99) == pytest.approx(1.0)
    assert burn_rate(Counts(good=856, total=1000), 0.99) == pytest.approx(14.4)
    assert burn_rate(Counts(), 0.99) == 0.0  # no events: nothing burns


def test_budget_remaining_is_one_untouched_zero_spent_negative_overspent() -> None:
    windows = {s: Counts() for s in BURN_WINDOWS}
    assert status_of(0, 0.99, Counts(1000, 1000), windows).budget_remaining == pytest.approx(1.0)
    assert status_of(0, 0.99, Counts(995, 1000), windows).budget_remaining == pytest.approx(0.5)
    assert status_of(0, 0.99, Counts(980, 1000), windows).budget_remaining == pytest.approx(-1.0)
    empty = status_of(0, 0.99, Counts(), windows)
    assert empty.sli is None and empty.budget_remaining is None


def test_a_tier_fires_only_when_both_of_its_windows_burn_past_its_factor() -> None:
    def firing(**burns: float) -> tuple[str, ...]:
        # each window's counts chosen so its burn rate (objective 0.99) is the given factor
        windows = {s: Counts(1000 - round(burns.get(window_label(s), 0) * 10), 1000) for s in BURN_WINDOWS}
        return status_of(0, 0.99, Counts(1, 1), windows).firing

    assert firing(**{"1h": 15, "5m": 15}) == ("page-1h",)
    assert firing(**{"1h": 15, "5m": 1}) == ()  # the problem stopped: the short window clears it
    assert firing(**{"1h": 1, "5m": 50}) == ()  # a blip: the long window has not burnt enough
    assert firing(**{"6h": 6, "30m": 6}) == ("page-6h",)
    assert firing(**{"1d": 3, "2h": 3}) == ("ticket-1d",)
    assert firing(**{"3d": 1, "6h": 1}) == ("ticket-3d",)
    assert [t.name for t in TIERS] == ["page-1h", "page-6h", "ticket-1d", "ticket-3d"]
    assert [window_label(s) for s in BURN_WINDOWS] == ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]
